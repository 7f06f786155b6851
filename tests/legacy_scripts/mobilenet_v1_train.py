"""A MobileNet v1-style training script, written the TensorFlow 1.x way.

Kept as TF1 code on purpose: it is what `python -m contrib_compat.run` must run
unchanged, and the input of the migration tool's tests. Do not modernise it.

Usage: mobilenet_v1_train.py OUTPUT_DIR [--steps N]
Prints `OK <final loss>` as its last line when the restored model agrees.
"""
from __future__ import absolute_import
from __future__ import division
from __future__ import print_function

import argparse
import os
import sys

import numpy as np
import tensorflow as tf

slim = tf.contrib.slim

# (stride, depth) of each depthwise-separable block: a thin MobileNet v1.
_BLOCKS = [(1, 16), (2, 32), (1, 32), (2, 64)]


def mobilenet_v1_arg_scope(is_training=True, weight_decay=4e-5):
  batch_norm_params = {
      'is_training': is_training,
      'center': True,
      'scale': True,
      'decay': 0.9,
      'epsilon': 0.001,
  }
  regularizer = tf.contrib.layers.l2_regularizer(weight_decay)
  with slim.arg_scope([slim.conv2d, slim.separable_conv2d],
                      weights_initializer=tf.truncated_normal_initializer(
                          stddev=0.09),
                      activation_fn=tf.nn.relu6,
                      normalizer_fn=slim.batch_norm):
    with slim.arg_scope([slim.batch_norm], **batch_norm_params):
      with slim.arg_scope([slim.conv2d], weights_regularizer=regularizer):
        with slim.arg_scope([slim.separable_conv2d],
                            weights_regularizer=None) as sc:
          return sc


def mobilenet_v1(inputs, num_classes=10, scope='MobilenetV1', reuse=None):
  with tf.variable_scope(scope, 'MobilenetV1', [inputs], reuse=reuse):
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d], padding='SAME'):
      net = slim.conv2d(inputs, 8, [3, 3], stride=2, scope='Conv2d_0')
      for i, (stride, depth) in enumerate(_BLOCKS):
        net = slim.separable_conv2d(net, None, [3, 3], depth_multiplier=1,
                                    stride=stride,
                                    scope='Conv2d_%d_depthwise' % (i + 1))
        net = slim.conv2d(net, depth, [1, 1], stride=1,
                          scope='Conv2d_%d_pointwise' % (i + 1))
    with tf.variable_scope('Logits'):
      net = tf.reduce_mean(net, [1, 2], keep_dims=True, name='AvgPool')
      logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                           normalizer_fn=None, scope='Conv2d_1c_1x1')
      logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
  return logits


def build_eval_logits(images):
  with slim.arg_scope(mobilenet_v1_arg_scope(is_training=False)):
    return mobilenet_v1(images, reuse=tf.AUTO_REUSE)


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument('output_dir')
  parser.add_argument('--steps', type=int, default=3)
  args = parser.parse_args(argv[1:])

  rng = np.random.RandomState(0)
  train_images = rng.uniform(-1, 1, [8, 32, 32, 3]).astype(np.float32)
  train_labels = rng.randint(0, 10, [8]).astype(np.int64)
  eval_images = rng.uniform(-1, 1, [4, 32, 32, 3]).astype(np.float32)

  with tf.Graph().as_default():
    tf.set_random_seed(0)
    images = tf.placeholder(tf.float32, [None, 32, 32, 3], name='images')
    labels = tf.placeholder(tf.int64, [None], name='labels')
    with slim.arg_scope(mobilenet_v1_arg_scope(is_training=True)):
      logits = mobilenet_v1(images)
    eval_logits = build_eval_logits(images)
    tf.losses.sparse_softmax_cross_entropy(labels, logits)
    total_loss = tf.losses.get_total_loss()
    global_step = tf.train.get_or_create_global_step()
    optimizer = tf.train.MomentumOptimizer(learning_rate=0.01, momentum=0.9)
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    if not update_ops:
      raise RuntimeError('batch_norm added no UPDATE_OPS')
    with tf.control_dependencies(update_ops):
      train_op = optimizer.minimize(total_loss, global_step=global_step)
    saver = tf.train.Saver()

    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      feed = {images: train_images, labels: train_labels}
      for step in range(args.steps):
        _, loss = sess.run([train_op, total_loss], feed_dict=feed)
        print('step %d loss %.6f' % (step, loss))
      if not np.isfinite(loss):
        raise RuntimeError('loss is not finite: %r' % loss)
      expected = sess.run(eval_logits, feed_dict={images: eval_images})
      path = saver.save(sess, os.path.join(args.output_dir, 'model.ckpt'),
                        global_step=global_step)

  # A fresh graph and session that only see the checkpoint.
  with tf.Graph().as_default():
    images = tf.placeholder(tf.float32, [None, 32, 32, 3], name='images')
    eval_logits = build_eval_logits(images)
    restorer = tf.train.Saver()
    with tf.Session() as sess:
      restorer.restore(sess, path)
      restored = sess.run(eval_logits, feed_dict={images: eval_images})
  # The training graph's eval branch and a fresh graph: two graphs, so
  # float32 rounding apart where oneDNN fuses them differently.
  tolerance = 64 * np.finfo(np.float32).eps * np.max(np.abs(expected))
  if not np.max(np.abs(expected - restored)) <= tolerance:
    raise RuntimeError('restored outputs differ: %s vs %s'
                       % (expected, restored))
  print('OK %.6f' % loss)
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
