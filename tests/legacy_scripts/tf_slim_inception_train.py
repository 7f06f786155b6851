"""A half-migrated script: `import tf_slim as slim` on `tf.compat.v1`.

This is how TensorFlow's migration guide told TF1 slim users to move, and it
has not run since TF 2.13, where tf_slim's `batch_norm` stopped building: every
`slim.nets` model below uses it through `normalizer_fn`. It runs again under
`python -m contrib_compat.run`, which repairs tf_slim in place. Kept unchanged
on purpose: it is a test input.

Usage: tf_slim_inception_train.py OUTPUT_DIR
Prints `OK <final loss>` as its last line.
"""
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf
import tf_slim as slim
from tf_slim.nets import inception

tf.disable_v2_behavior()


def main(output_dir):
  batch_size, num_classes = 2, 5
  rng = np.random.RandomState(2)
  # 224x224 is the smallest input inception_v1's fixed 7x7 pool accepts.
  train_images = rng.uniform(-1, 1, [batch_size, 224, 224, 3])
  train_labels = rng.randint(0, num_classes, [batch_size])

  with tf.Graph().as_default():
    images = tf.placeholder(tf.float32, [batch_size, 224, 224, 3])
    labels = tf.placeholder(tf.int64, [batch_size])
    with slim.arg_scope(inception.inception_v1_arg_scope()):
      logits, end_points = inception.inception_v1(
          images, num_classes=num_classes, is_training=True)
    assert 'Predictions' in end_points, sorted(end_points)
    tf.losses.sparse_softmax_cross_entropy(labels, logits)
    total_loss = tf.losses.get_total_loss()
    optimizer = tf.train.MomentumOptimizer(0.01, 0.9)
    train_op = slim.learning.create_train_op(total_loss, optimizer)
    saver = tf.train.Saver()
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      for _ in range(2):
        loss = sess.run(train_op, {images: train_images,
                                   labels: train_labels})
        print('loss %.6f' % loss)
      moving_mean = slim.get_variables_by_name('moving_mean')
      if not moving_mean:
        raise RuntimeError('batch_norm created no moving_mean')
      saver.save(sess, os.path.join(output_dir, 'inception_v1.ckpt'))
  print('OK %.6f' % loss)


if __name__ == '__main__':
  if len(sys.argv) != 2:
    sys.exit('usage: %s OUTPUT_DIR' % sys.argv[0])
  main(sys.argv[1])
