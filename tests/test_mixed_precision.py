"""Unit tests for contrib_compat/mixed_precision.py (float32 master weights)."""
import numpy as np
import pytest
import tensorflow as tf2
import tensorflow.compat.v1 as tf

import contrib_compat
from contrib_compat.mixed_precision import float32_storage_getter
from tests.helpers.tf1_models import images
from tests.helpers.tf1_models import randomize
from tests.helpers.tf1_models import small_mobilenet

# Relative tolerance per compute dtype (10 mantissa bits vs 7).
TOLERANCE = {tf.float16: 2e-2, tf.bfloat16: 8e-2}

def _depthwise_model(x, is_training=False):
  """The depthwise-only branch + batch_norm (no pointwise branch)."""
  net = contrib_compat.separable_conv2d(
      x, None, [3, 3], depth_multiplier=2, normalizer_fn=contrib_compat.
      batch_norm, normalizer_params={'is_training': is_training},
      weights_regularizer=lambda w: tf.nn.l2_loss(w), scope='dw')
  return tf.reduce_mean(net, [1, 2])


def _skip_without_fused_batch_norm_kernel(dtype):
  # TF 2.13's CPU FusedBatchNormV3 has no bfloat16 kernel (2.16 on has one);
  # batch_norm picks the fused kernel as TF1 did, so such a TF cannot run it.
  x = tf2.zeros([1, 2, 2, 1], dtype)
  scale = tf2.ones([1])
  try:
    tf2.raw_ops.FusedBatchNormV3(x=x, scale=scale, offset=scale, mean=scale,
                                 variance=scale, is_training=False)
  except (tf2.errors.InvalidArgumentError, tf2.errors.NotFoundError) as e:
    pytest.skip('this TensorFlow has no %s FusedBatchNormV3 kernel on %s: %s'
                % (dtype.name, x.device, e.message.splitlines()[0]))


def _compare(model_fn, dtype, is_training=False):
  _skip_without_fused_batch_norm_kernel(dtype)
  x = images()
  reference = contrib_compat.Tf1Module(model_fn)
  reference(x, is_training=False)
  randomize(reference)
  module = contrib_compat.Tf1Module(model_fn,
                                    custom_getter=float32_storage_getter)
  module(tf2.cast(x, dtype), is_training=False)
  assert [v.name for v in module.variables] == [
      v.name for v in reference.variables]
  for var, ref in zip(module.variables, reference.variables):
    var.assign(tf2.cast(ref, var.dtype))
  expected = reference(x, is_training=is_training).numpy()
  got = module(tf2.cast(x, dtype), is_training=is_training)
  assert got.dtype == dtype
  scale = np.abs(expected).max()
  np.testing.assert_allclose(tf2.cast(got, tf2.float32), expected,
                             atol=TOLERANCE[dtype] * scale)
  with tf2.GradientTape() as tape:
    loss = tf2.reduce_sum(tf2.cast(module(tf2.cast(x, dtype)), tf2.float32))
    # The pointwise branch regularizes the cast (compute-dtype) weights, as
    # TF1's Keras-based layer did; the depthwise-only branch the masters.
    loss += tf2.add_n([tf2.cast(l, tf2.float32)
                       for l in module.regularization_losses])
  grads = tape.gradient(loss, module.trainable_variables)
  return module, grads


@pytest.mark.parametrize('dtype', [tf.float16, tf.bfloat16],
                         ids=['float16', 'bfloat16'])
def test_depthwise_branch_float32_masters(dtype):
  module, grads = _compare(_depthwise_model, dtype)
  trainable = {v.name: v for v in module.trainable_variables}
  # Trainable weights are float32 masters; gradients reach them in float32.
  assert trainable['dw/depthwise_weights:0'].dtype == tf.float32
  assert all(g is not None and g.dtype == tf.float32 for g in grads)
  # Regularization losses are computed on the float32 masters.
  assert [l.dtype for l in module.regularization_losses] == [tf.float32]


@pytest.mark.parametrize('dtype', [tf.float16, tf.bfloat16],
                         ids=['float16', 'bfloat16'])
def test_mobilenet_float32_masters(dtype):
  module, grads = _compare(small_mobilenet, dtype, is_training=True)
  assert all(v.dtype == tf.float32 for v in module.trainable_variables)
  assert all(g is not None and g.dtype == tf.float32 for g in grads)


def test_graph_mode_getter_stores_float32_and_reads_the_compute_dtype(graph):
  with tf.variable_scope('model', custom_getter=float32_storage_getter):
    x = tf.placeholder(tf.float16, [2, 8, 8, 3])
    y = _depthwise_model(x, is_training=True)
  assert y.dtype == tf.float16
  dtypes = {v.op.name: v.dtype.base_dtype for v in tf.global_variables()}
  assert dtypes['model/dw/depthwise_weights'] == tf.float32
  # batch_norm asks for float32 statistics of 16-bit inputs, as TF1 did.
  assert dtypes['model/dw/BatchNorm/moving_mean'] == tf.float32
  grads = tf.gradients(tf.reduce_sum(y), tf.trainable_variables())
  assert all(g is not None and g.dtype == tf.float32 for g in grads)


def test_float32_requests_pass_through(graph):
  with tf.variable_scope('m', custom_getter=float32_storage_getter):
    var = tf.get_variable('w', [2], tf.float32)
    f16 = tf.get_variable('n', [2], tf.float16, trainable=False)
  assert isinstance(var, tf2.Variable) and var.dtype.base_dtype == tf.float32
  assert isinstance(f16, tf2.Variable) and f16.dtype.base_dtype == tf.float16
