"""A ResNet v1 training script importing contrib's implementation modules.

Much TF1 code imported contrib's modules by their implementation paths
(`layers.python.layers`, `slim.python.slim.nets` below contrib) rather than
through the public contrib names. Kept as TF1 code on purpose: it is an input
of the runner's and the migration tool's tests. Do not modernise it.

Usage: resnet_contrib_paths_train.py OUTPUT_DIR [--steps N]
Prints `OK <final loss>` as its last line when the restored model agrees.
"""
from __future__ import print_function

import argparse
import os
import sys

import numpy as np
import tensorflow as tf
from tensorflow.contrib.framework.python.ops import arg_scope
from tensorflow.contrib.layers.python.layers import layers as layers_lib
from tensorflow.contrib.layers.python.layers import regularizers
from tensorflow.contrib.slim.python.slim.nets import resnet_utils, resnet_v1


def resnet(images, is_training, reuse=None):
  blocks = [resnet_v1.resnet_v1_block('block1', base_depth=8, num_units=1,
                                      stride=2),
            resnet_v1.resnet_v1_block('block2', base_depth=16, num_units=1,
                                      stride=1)]
  with arg_scope(resnet_utils.resnet_arg_scope(weight_decay=1e-4)):
    with arg_scope([layers_lib.batch_norm], is_training=is_training):
      net, _ = resnet_v1.resnet_v1(images, blocks, num_classes=None,
                                   global_pool=False, include_root_block=True,
                                   reuse=reuse, scope='resnet_v1_small')
      net = layers_lib.separable_conv2d(
          net, 5, [3, 3], normalizer_fn=layers_lib.batch_norm,
          weights_regularizer=regularizers.l2_regularizer(1e-4),
          reuse=reuse, scope='head')
  return tf.reduce_mean(net, [1, 2])


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument('output_dir')
  parser.add_argument('--steps', type=int, default=2)
  args = parser.parse_args(argv[1:])

  rng = np.random.RandomState(0)
  train_images = rng.uniform(-1, 1, [4, 32, 32, 3]).astype(np.float32)
  train_labels = rng.randint(0, 5, [4]).astype(np.int64)

  with tf.Graph().as_default():
    images = tf.placeholder(tf.float32, [None, 32, 32, 3])
    labels = tf.placeholder(tf.int64, [None])
    logits = resnet(images, is_training=True)
    eval_logits = resnet(images, is_training=False, reuse=True)
    tf.losses.sparse_softmax_cross_entropy(labels, logits)
    total_loss = tf.losses.get_total_loss()
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    if not update_ops:
      raise RuntimeError('batch_norm added no UPDATE_OPS')
    with tf.control_dependencies(update_ops):
      train_op = tf.train.MomentumOptimizer(0.01, 0.9).minimize(total_loss)
    saver = tf.train.Saver()
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      for step in range(args.steps):
        _, loss = sess.run([train_op, total_loss],
                           {images: train_images, labels: train_labels})
        print('step %d loss %.6f' % (step, loss))
      expected = sess.run(eval_logits, {images: train_images})
      path = saver.save(sess, os.path.join(args.output_dir, 'model.ckpt'))

  with tf.Graph().as_default():
    images = tf.placeholder(tf.float32, [None, 32, 32, 3])
    eval_logits = resnet(images, is_training=False)
    with tf.Session() as sess:
      tf.train.Saver().restore(sess, path)
      restored = sess.run(eval_logits, {images: train_images})
  # The training graph's eval branch and a fresh graph: two graphs, so
  # float32 rounding apart where oneDNN fuses them differently.
  tolerance = 64 * np.finfo(np.float32).eps * np.max(np.abs(expected))
  if not np.max(np.abs(expected - restored)) <= tolerance:
    raise RuntimeError('restored outputs differ')
  print('OK %.6f' % loss)
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
