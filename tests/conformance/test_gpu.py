"""On a GPU: NCHW layers, fused batch_norm and float16 training match the CPU.

TF's CPU kernels have no NCHW depthwise convolution, so TF1 models trained
on GPUs in NCHW (the faster layout there) could only be checked on a GPU.
Each test builds the layer on /gpu:0 and compares with the NHWC layer on the
CPU, from the same weights. Without a GPU they skip (`tools/gpu_check` runs
them, and says when they skipped).
"""
import numpy as np
import pytest
import tensorflow as tf2

tf = tf2.compat.v1

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not tf2.config.list_physical_devices('GPU'),
                       reason='needs a GPU'),
]

RNG = np.random.RandomState(0)
IMAGES = RNG.standard_normal((4, 9, 9, 6)).astype(np.float32)
DEPTHWISE = RNG.standard_normal((3, 3, 6, 2)).astype(np.float32)
POINTWISE = RNG.standard_normal((1, 1, 12, 8)).astype(np.float32)


def _nchw(x):
  return np.transpose(x, (0, 3, 1, 2))


def _nhwc(x):
  return np.transpose(x, (0, 2, 3, 1))


def _run_layer(layer, data_format, device):
  """layer(inputs, data_format) on `device`; returns its NHWC output."""
  import contrib_compat
  del contrib_compat
  graph = tf.Graph()
  with graph.as_default(), tf.device(device):
    inputs = tf.constant(_nchw(IMAGES) if data_format == 'NCHW' else IMAGES)
    outputs = layer(inputs, data_format)
    with tf.Session(graph=graph, config=tf.ConfigProto(
        allow_soft_placement=False)) as session:
      session.run(tf.global_variables_initializer())
      got = session.run(outputs)
  return _nhwc(got) if data_format == 'NCHW' else got


@pytest.mark.parametrize('num_outputs', [None, 8])
def test_separable_conv2d_nchw_on_gpu_matches_nhwc_on_cpu(num_outputs):
  import contrib_compat

  def layer(inputs, data_format):
    return contrib_compat.separable_conv2d(
        inputs, num_outputs, [3, 3], depth_multiplier=2, stride=2,
        data_format=data_format,
        weights_initializer=tf.constant_initializer(DEPTHWISE),
        pointwise_initializer=tf.constant_initializer(POINTWISE),
        biases_initializer=tf.constant_initializer(0.1))

  expected = _run_layer(layer, 'NHWC', '/cpu:0')
  got = _run_layer(layer, 'NCHW', '/gpu:0')
  np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('is_training', [True, False])
def test_fused_batch_norm_nchw_on_gpu_matches_nhwc_on_cpu(is_training):
  import contrib_compat

  def layer(inputs, data_format):
    outputs = contrib_compat.batch_norm(
        inputs, is_training=is_training, scale=True, fused=True,
        data_format=data_format,
        param_initializers={'moving_mean': tf.constant_initializer(0.3),
                            'moving_variance': tf.constant_initializer(2.0)})
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
      return tf.identity(outputs)

  expected = _run_layer(layer, 'NHWC', '/cpu:0')
  got = _run_layer(layer, 'NCHW', '/gpu:0')
  np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_float16_training_with_float32_masters_on_gpu():
  import contrib_compat
  from contrib_compat import mixed_precision
  graph = tf.Graph()
  with graph.as_default(), tf.device('/gpu:0'):
    with tf.variable_scope(
        'model', custom_getter=mixed_precision.float32_storage_getter):
      net = tf.cast(tf.constant(_nchw(IMAGES)), tf.float16)
      net = contrib_compat.separable_conv2d(
          net, 8, [3, 3], data_format='NCHW',
          normalizer_fn=contrib_compat.batch_norm,
          normalizer_params={'is_training': True, 'data_format': 'NCHW'})
      loss = tf.reduce_mean(tf.square(tf.cast(net, tf.float32)))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
      train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    assert {v.dtype.base_dtype for v in tf.trainable_variables()} == {
        tf.float32}
    with tf.Session(graph=graph) as session:
      session.run(tf.global_variables_initializer())
      losses = [session.run([train, loss])[1] for _ in range(5)]
  assert np.all(np.isfinite(losses))
  assert losses[-1] < losses[0]
