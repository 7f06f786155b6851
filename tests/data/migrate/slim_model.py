"""A TF1 slim model: the migration tool's golden input (see .migrated.py)."""
from __future__ import print_function

import tensorflow as tf
from tensorflow.contrib.framework import (  # the scope helpers
    arg_scope,
    add_arg_scope,
)
from tensorflow.contrib.layers import separable_conv2d

slim = tf.contrib.slim  # the whole slim API


@add_arg_scope
def block(net, depth, scope=None):
  # Depthwise, then pointwise: keep these comments.
  net = separable_conv2d(net, None, [3, 3],
                         depth_multiplier=1, scope=scope)
  net = tf.contrib.layers.batch_norm(net,   # fused on purpose
                                     is_training=True)
  return slim.conv2d(net, depth, [1, 1])


def model(images):
  with arg_scope([block], depth=8):
    with tf.contrib.framework.arg_scope(
        [tf.contrib.layers.separable_convolution2d], padding='SAME'):
      net = tf.contrib.layers.separable_convolution2d(images, 8, [3, 3])
  net = tf.contrib.slim.flatten(net)
  cell = tf.contrib.rnn.LSTMBlockCell(4)  # no drop-in: reported
  return net, cell, tf.contrib.framework.get_model_variables()


def train(loss):
  opt = tf.train.MomentumOptimizer(0.1, 0.9)
  return opt.minimize(loss), tf.Session()
