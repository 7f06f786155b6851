"""Tests for contrib_compat.models.mobilenet_v1 with contrib_compat.batch_norm.

The slim-style MobileNet v1 (32x32 inputs, depth multiplier 0.25) trains in
graph mode on TF 2 with UPDATE_OPS wired into the train op, its moving
averages move, and a Saver round trip restores identical outputs. Its
variables, UPDATE_OPS and regularization losses are compared with what
tf-slim builds from the same model code on TF 2.12 in test_models.py
(golden from tests/conformance/oracle_models.py).
"""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from contrib_compat import numerics
from contrib_compat import slim
from contrib_compat.models import mobilenet_v1
from tests.conformance import oracle_models

NUM_CLASSES = 10
SHAPE = oracle_models.INPUT_SHAPE

pytestmark = [
    # tf_slim's conv2d and avg_pool2d go through Keras' deprecated layer.apply.
    pytest.mark.filterwarnings('ignore:`layer.apply` is deprecated'),
]


def _model(inputs, is_training, reuse=None):
  with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope()):
    return mobilenet_v1.mobilenet_v1(
        inputs, NUM_CLASSES, depth_multiplier=0.25, is_training=is_training,
        reuse=reuse)


def _data(seed=0):
  rng = np.random.RandomState(seed)
  return (rng.uniform(-1, 1, SHAPE).astype(np.float32),
          rng.randint(0, NUM_CLASSES, SHAPE[0]))


def _moving_means():
  return [v for v in tf.global_variables()
          if v.op.name.endswith('BatchNorm/moving_mean')]


def test_trains_updates_moving_averages_and_round_trips(graph, tmp_path):
  # A fixed seed and a gentle learning rate: with lr 0.05 and momentum 0.9
  # the loss after a few steps was above the first in 7 of 40 seeds.
  tf.set_random_seed(0)
  images = tf.placeholder(tf.float32, SHAPE)
  labels = tf.placeholder(tf.int64, [SHAPE[0]])
  logits, end_points = _model(images, is_training=True)
  eval_logits, _ = _model(images, is_training=False, reuse=True)
  assert logits.shape.as_list() == [SHAPE[0], NUM_CLASSES]
  assert end_points['Conv2d_13_pointwise'].shape.as_list() == [4, 1, 1, 256]
  # One conv2d + 13 (depthwise + pointwise), each with two updates.
  update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
  assert len(update_ops) == 2 * 27
  loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
  total = loss + tf.add_n(tf.losses.get_regularization_losses())
  with tf.control_dependencies(update_ops):
    train_op = tf.train.MomentumOptimizer(0.01, 0.9).minimize(total)
  moving_means = _moving_means()
  assert len(moving_means) == 27
  saver = tf.train.Saver()
  x, y = _data()
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    before = sess.run(moving_means)
    losses = [sess.run([train_op, loss], {images: x, labels: y})[1]
              for _ in range(8)]
    # The loss after the last step, not the loss the last step started from.
    losses.append(sess.run(loss, {images: x, labels: y}))
    after = sess.run(moving_means)
    eval_out = sess.run(eval_logits, {images: x})
    path = saver.save(sess, str(tmp_path / 'model.ckpt'))
  assert all(np.isfinite(losses))
  assert losses[-1] < losses[0]
  for b, a in zip(before, after):
    assert not np.allclose(a, b)

  with tf.Graph().as_default():
    images = tf.placeholder(tf.float32, SHAPE)
    restored_logits, _ = _model(images, is_training=False)
    with tf.Session() as sess:
      tf.train.Saver().restore(sess, path)
      restored = sess.run(restored_logits, {images: x})
  # Two graphs (the training graph's eval copy, a fresh one): float32
  # rounding apart where oneDNN fuses them differently.
  numerics.different_graphs(restored, eval_out)


def test_is_training_tensor_switches_batch_norm_and_dropout(graph):
  images = tf.placeholder(tf.float32, SHAPE)
  is_training = tf.placeholder(tf.bool, [])
  logits, _ = _model(images, is_training)
  x, _ = _data(1)
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    train = sess.run(logits, {images: x, is_training: True})
    infer = sess.run(logits, {images: x, is_training: False})
    infer_again = sess.run(logits, {images: x, is_training: False})
  assert not np.allclose(train, infer)
  np.testing.assert_array_equal(infer, infer_again)


def test_checkpoint_names_are_the_model_zoo_ones(graph):
  _model(tf.placeholder(tf.float32, SHAPE), is_training=False)
  names = {v.op.name for v in tf.global_variables()}
  for name in ('MobilenetV1/Conv2d_0/weights',
               'MobilenetV1/Conv2d_1_depthwise/depthwise_weights',
               'MobilenetV1/Conv2d_1_depthwise/BatchNorm/moving_variance',
               'MobilenetV1/Conv2d_13_pointwise/BatchNorm/gamma',
               'MobilenetV1/Logits/Conv2d_1c_1x1/biases'):
    assert name in names
  assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []


def test_bad_arguments(graph):
  with pytest.raises(ValueError, match='`depth_multiplier`'):
    mobilenet_v1.mobilenet_v1(tf.zeros(SHAPE), depth_multiplier=0)
  with pytest.raises(ValueError, match='`inputs` must be rank 4'):
    mobilenet_v1.mobilenet_v1(tf.zeros([4, 32, 32]))
