"""A TF1 slim model: the migration tool's golden input (see .migrated.py)."""
from __future__ import print_function

import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
import contrib_compat.slim
from contrib_compat import (  # the scope helpers
    arg_scope,
    add_arg_scope,
)
from contrib_compat import separable_conv2d

from contrib_compat import slim  # the whole slim API


@add_arg_scope
def block(net, depth, scope=None):
  # Depthwise, then pointwise: keep these comments.
  net = separable_conv2d(net, None, [3, 3],
                         depth_multiplier=1, scope=scope)
  net = contrib_compat.batch_norm(net,   # fused on purpose
                                     is_training=True)
  return slim.conv2d(net, depth, [1, 1])


def model(images):
  with arg_scope([block], depth=8):
    with contrib_compat.arg_scope(
        [contrib_compat.separable_convolution2d], padding='SAME'):
      net = contrib_compat.separable_convolution2d(images, 8, [3, 3])
  net = contrib_compat.slim.flatten(net)
  cell = tf.contrib.rnn.LSTMBlockCell(4)  # no drop-in: reported
  return net, cell, contrib_compat.slim.get_model_variables()


def train(loss):
  opt = tf.train.MomentumOptimizer(0.1, 0.9)
  return opt.minimize(loss), tf.Session()
