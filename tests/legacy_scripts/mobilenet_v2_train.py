"""A MobileNet v2-style training script, written the TensorFlow 1.x way.

Kept as TF1 code on purpose: it is what `python -m contrib_compat.run` must run
unchanged, and the input of the migration tool's tests. Do not modernise it.

Usage: mobilenet_v2_train.py OUTPUT_DIR [--steps N] [--depth_multiplier M]
Prints `OK <final loss>` as its last line when the restored model agrees.
"""
from __future__ import absolute_import
from __future__ import division
from __future__ import print_function

import os
import sys

import numpy as np
import tensorflow as tf
from tensorflow.contrib import layers as contrib_layers
from tensorflow.contrib.framework import arg_scope

slim = tf.contrib.slim

flags = tf.app.flags
flags.DEFINE_integer('steps', 3, 'Training steps.')
flags.DEFINE_float('depth_multiplier', 1.0, 'Width multiplier of all layers.')
FLAGS = flags.FLAGS

# (expansion, depth, stride, depthwise channel multiplier) per block.
_BLOCKS = [(1, 8, 1, 2), (6, 16, 2, 1), (6, 16, 1, 1), (6, 24, 2, 1)]


def _depth(d, depth_multiplier, min_depth=8):
  return max(int(d * depth_multiplier), min_depth)


def expanded_conv(net, expansion, depth, stride, channel_multiplier,
                  scope=None):
  with tf.variable_scope(scope, default_name='expanded_conv'):
    input_depth = net.get_shape().as_list()[-1]
    shortcut = net
    if expansion > 1:
      net = slim.conv2d(net, input_depth * expansion, [1, 1], scope='expand')
    net = slim.separable_conv2d(net, num_outputs=None, kernel_size=[3, 3],
                                depth_multiplier=channel_multiplier,
                                stride=stride, scope='depthwise')
    net = slim.conv2d(net, depth, [1, 1], activation_fn=tf.identity,
                      scope='project')
    if stride == 1 and input_depth == depth:
      net = tf.add(net, shortcut, name='add')
    return tf.identity(net, name='output')


def mobilenet_v2(inputs, num_classes=10, depth_multiplier=1.0,
                 is_training=True, reuse=None, scope='MobilenetV2'):
  batch_norm_params = {'is_training': is_training, 'decay': 0.9,
                       'center': True, 'scale': True}
  with tf.variable_scope(scope, 'MobilenetV2', [inputs], reuse=reuse):
    with arg_scope([slim.conv2d, contrib_layers.separable_conv2d],
                   normalizer_fn=slim.batch_norm,
                   normalizer_params=batch_norm_params,
                   activation_fn=tf.nn.relu6, padding='SAME'):
      with arg_scope([slim.conv2d],
                     weights_regularizer=slim.l2_regularizer(4e-5)):
        net = slim.conv2d(inputs, _depth(16, depth_multiplier), [3, 3],
                          stride=2, scope='Conv')
        for i, (expansion, depth, stride, channel_multiplier) in enumerate(
            _BLOCKS):
          net = expanded_conv(
              net, expansion, _depth(depth, depth_multiplier), stride,
              channel_multiplier,
              scope='expanded_conv' + ('_%d' % i if i else ''))
        net = slim.conv2d(net, _depth(64, depth_multiplier), [1, 1],
                          scope='Conv_1')
    with tf.variable_scope('Logits'):
      net = tf.reduce_mean(net, [1, 2], keepdims=True, name='AvgPool')
      net = slim.dropout(net, keep_prob=0.8, is_training=is_training)
      logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                           normalizer_fn=None, scope='Conv2d_1c_1x1')
      logits = tf.squeeze(logits, [1, 2])
  return logits


def main(argv):
  if len(argv) != 2:
    print('usage: %s OUTPUT_DIR [--steps N] [--depth_multiplier M]' % argv[0],
          file=sys.stderr)
    return 2
  output_dir = argv[1]
  rng = np.random.RandomState(1)
  train_images = rng.uniform(-1, 1, [8, 32, 32, 3]).astype(np.float32)
  train_labels = rng.randint(0, 10, [8]).astype(np.int64)
  eval_images = rng.uniform(-1, 1, [4, 32, 32, 3]).astype(np.float32)

  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(1)
    images = tf.placeholder(tf.float32, [None, 32, 32, 3])
    labels = tf.placeholder(tf.int64, [None])
    logits = mobilenet_v2(images, depth_multiplier=FLAGS.depth_multiplier)
    eval_logits = mobilenet_v2(images, depth_multiplier=FLAGS.depth_multiplier,
                               is_training=False, reuse=True)
    one_hot = slim.one_hot_encoding(labels, 10)
    tf.losses.softmax_cross_entropy(one_hot, logits)
    total_loss = tf.losses.get_total_loss(add_regularization_losses=True)
    global_step = tf.train.get_or_create_global_step()
    optimizer = tf.train.MomentumOptimizer(0.02, 0.9, use_nesterov=True)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
      train_op = optimizer.minimize(total_loss, global_step=global_step)
    saver = tf.train.Saver(max_to_keep=1)
    init = tf.global_variables_initializer()
  graph.finalize()

  with tf.Session(graph=graph) as sess:
    sess.run(init)
    for _ in range(FLAGS.steps):
      _, loss, step = sess.run([train_op, total_loss, global_step],
                               {images: train_images, labels: train_labels})
      print('global step %d: loss = %.6f' % (step, loss))
    moving_means = [v for v in tf.global_variables()
                    if v.op.name.endswith('moving_mean')]
    expected = sess.run(eval_logits, {images: eval_images})
    save_path = saver.save(sess, os.path.join(output_dir, 'mobilenet_v2.ckpt'))
  if not moving_means:
    raise RuntimeError('no moving_mean variables were created')

  with tf.Graph().as_default():
    images = tf.placeholder(tf.float32, [None, 32, 32, 3])
    eval_logits = mobilenet_v2(images, depth_multiplier=FLAGS.depth_multiplier,
                               is_training=False)
    with tf.Session() as sess:
      tf.train.Saver().restore(sess, save_path)
      restored = sess.run(eval_logits, {images: eval_images})
  # Two graphs: float32 rounding apart where oneDNN fuses them differently.
  np.testing.assert_allclose(
      restored, expected, rtol=0,
      atol=64 * np.finfo(np.float32).eps * np.max(np.abs(expected)))
  print('OK %.6f' % loss)
  return 0


if __name__ == '__main__':
  tf.app.run(main)
