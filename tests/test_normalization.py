"""Tests for contrib_compat.normalization.batch_norm.

Numerics against a NumPy model of TF1's batch norm: training and inference
outputs and moving-average updates (decay, zero-debiasing, the fused
kernel's Bessel-corrected variance), for the fused and unfused kernels, NHWC
and NCHW, updates through UPDATE_OPS or in place. Then errors, collections,
reuse and arg_scope.
"""
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from contrib_compat import argscope
from contrib_compat.normalization import batch_norm
from tests.conformance import _graph_utils

SHAPE_NHWC = (6, 3, 4, 5)
EPSILON = 0.001
DECAY = 0.7


def _images(data_format, seed=0):
  rng = np.random.RandomState(seed)
  x = rng.normal(2.0, 3.0, SHAPE_NHWC).astype(np.float32)
  return x if data_format == 'NHWC' else x.transpose(0, 3, 1, 2)


def _reference(x, data_format, gamma, beta, mean=None, variance=None):
  """Normalized x; batch statistics (biased variance) unless given."""
  axes = (0, 1, 2) if data_format == 'NHWC' else (0, 2, 3)
  shape = [1, 1, 1, -1] if data_format == 'NHWC' else [1, -1, 1, 1]
  if mean is None:
    mean, variance = x.mean(axis=axes), x.var(axis=axes)
  inv = 1.0 / np.sqrt(variance + EPSILON)
  return ((x - mean.reshape(shape)) * (inv * gamma).reshape(shape) +
          beta.reshape(shape))


def _batch_moments(x, data_format, bessel):
  axes = (0, 1, 2) if data_format == 'NHWC' else (0, 2, 3)
  n = x.size // x.shape[3 if data_format == 'NHWC' else 1]
  variance = x.var(axis=axes)
  return x.mean(axis=axes), variance * n / (n - 1) if bessel else variance


def _variable(name):
  return [v for v in tf.global_variables() if v.op.name == name][0]


CONFIGS = [
    # (fused, data_format, updates_collections, zero_debias)
    (True, 'NHWC', tf.GraphKeys.UPDATE_OPS, False),
    (True, 'NCHW', tf.GraphKeys.UPDATE_OPS, False),
    (True, 'NHWC', None, False),
    (True, 'NCHW', None, True),
    (True, 'NHWC', tf.GraphKeys.UPDATE_OPS, True),
    (False, 'NHWC', tf.GraphKeys.UPDATE_OPS, False),
    (False, 'NCHW', tf.GraphKeys.UPDATE_OPS, False),
    (False, 'NHWC', None, True),
    (False, 'NCHW', None, False),
    (False, 'NCHW', 'my_updates', True),
]


@pytest.mark.parametrize('fused, data_format, updates, zero_debias', CONFIGS)
def test_training_outputs_and_moving_averages(graph, fused, data_format,
                                              updates, zero_debias):
  x = _images(data_format)
  gamma = np.linspace(0.5, 2.0, 5).astype(np.float32)
  beta = np.linspace(-1.0, 1.0, 5).astype(np.float32)
  inputs = tf.placeholder(tf.float32, x.shape)
  output = batch_norm(
      inputs, decay=DECAY, scale=True, epsilon=EPSILON, fused=fused,
      data_format=data_format, updates_collections=updates,
      zero_debias_moving_mean=zero_debias,
      param_initializers={'gamma': tf.constant_initializer(gamma),
                          'beta': tf.constant_initializer(beta)})
  kernel = [op.type for op in graph.get_operations()
            if op.type.startswith('FusedBatchNorm')]
  assert bool(kernel) == fused
  update_ops = tf.get_collection(updates) if updates else []
  assert len(update_ops) == (2 if updates else 0)
  with tf.control_dependencies(update_ops):
    step = tf.identity(output)
  moving_mean = _variable('BatchNorm/moving_mean')
  moving_variance = _variable('BatchNorm/moving_variance')

  want_mean = np.zeros(5)
  want_var = np.ones(5)
  biased = np.zeros(5)
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for i in range(3):
      batch = _images(data_format, seed=i)
      got = sess.run(step, {inputs: batch})
      np.testing.assert_allclose(
          got, _reference(batch, data_format, gamma, beta), rtol=1e-4,
          atol=1e-4)
      mean, var = _batch_moments(batch, data_format, bessel=fused)
      if zero_debias:
        biased = DECAY * biased + (1 - DECAY) * mean
        want_mean = biased / (1 - DECAY ** (i + 1))
      else:
        want_mean = DECAY * want_mean + (1 - DECAY) * mean
      want_var = DECAY * want_var + (1 - DECAY) * var
      np.testing.assert_allclose(sess.run(moving_mean), want_mean, rtol=1e-5,
                                 atol=1e-5)
      np.testing.assert_allclose(sess.run(moving_variance), want_var,
                                 rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('fused', [True, False])
@pytest.mark.parametrize('data_format', ['NHWC', 'NCHW'])
@pytest.mark.parametrize('placeholder', [False, True])
def test_inference_uses_moving_statistics(graph, fused, data_format,
                                          placeholder):
  x = _images(data_format)
  mean = np.linspace(-1.0, 1.0, 5).astype(np.float32)
  variance = np.linspace(0.5, 3.0, 5).astype(np.float32)
  beta = np.full(5, 0.25, np.float32)
  is_training = tf.placeholder(tf.bool, []) if placeholder else False
  output = batch_norm(
      tf.constant(x), is_training=is_training, epsilon=EPSILON, fused=fused,
      data_format=data_format,
      param_initializers={
          'moving_mean': tf.constant_initializer(mean),
          'moving_variance': tf.constant_initializer(variance),
          'beta': tf.constant_initializer(beta)})
  assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == (
      2 if placeholder else 0)
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    feed = {is_training: False} if placeholder else {}
    for _ in range(2):
      got = sess.run([output] + tf.get_collection(tf.GraphKeys.UPDATE_OPS),
                     feed)[0]
    np.testing.assert_allclose(
        got, _reference(x, data_format, np.ones(5), beta, mean, variance),
        rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(sess.run(_variable('BatchNorm/moving_mean')),
                               mean)
    if placeholder:  # The same graph normalizes with the batch when training.
      got = sess.run(output, {is_training: True})
      np.testing.assert_allclose(
          got, _reference(x, data_format, np.ones(5), beta), rtol=1e-4,
          atol=1e-4)


@pytest.mark.parametrize('fused', [True, False])
def test_rank2_and_float16(graph, fused):
  x = np.random.RandomState(1).normal(size=(8, 3)).astype(np.float16)
  output = batch_norm(tf.constant(x), fused=fused, epsilon=EPSILON)
  assert output.dtype == tf.float16 and output.shape.as_list() == [8, 3]
  assert _variable('BatchNorm/beta').dtype.base_dtype == tf.float32
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    got = sess.run(output)
  want = (x - x.mean(0)) / np.sqrt(x.astype(np.float64).var(0) + EPSILON)
  np.testing.assert_allclose(got, want, rtol=1e-2, atol=1e-2)


def test_renorm_builds_and_trains(graph):
  inputs = tf.constant(_images('NHWC'))
  output = batch_norm(inputs, renorm=True, scale=True, decay=0.5,
                      renorm_clipping={'rmax': 3.0, 'rmin': 0.3, 'dmax': 5.0})
  names = {v.op.name for v in tf.model_variables()}
  assert names == {'BatchNorm/' + n for n in (
      'beta', 'gamma', 'moving_mean', 'moving_variance', 'moving_stddev',
      'renorm_mean', 'renorm_stddev')}
  assert not [op for op in graph.get_operations()
              if op.type.startswith('FusedBatchNorm')]
  train = tf.train.GradientDescentOptimizer(0.1).minimize(
      tf.reduce_sum(output ** 2))
  with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    train = tf.group(train)
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(3):
      sess.run(train)
    out, stddev, var = sess.run([output, _variable('BatchNorm/moving_stddev'),
                                 _variable('BatchNorm/moving_variance')])
  assert np.all(np.isfinite(out))
  # Renorm derives the moving variance from the tracked stddev.
  np.testing.assert_allclose(var, np.maximum(stddev ** 2 - 0.001, 0),
                             rtol=1e-5)
  assert not np.allclose(var, 1.0)


def test_default_graph_names_and_collections(graph):
  output = batch_norm(tf.placeholder(tf.float32, [2, 4, 4, 3]), scale=True)
  assert output.op.name == 'BatchNorm/FusedBatchNormV3'
  assert [v.op.name for v in tf.model_variables()] == [
      'BatchNorm/gamma', 'BatchNorm/beta', 'BatchNorm/moving_mean',
      'BatchNorm/moving_variance']
  assert [v.op.name for v in tf.trainable_variables()] == [
      'BatchNorm/gamma', 'BatchNorm/beta']
  # The layer path files operations, as TF1's layer did.
  assert [op.name for op in tf.get_collection(tf.GraphKeys.UPDATE_OPS)] == [
      'BatchNorm/AssignMovingAvg/AssignSubVariableOp',
      'BatchNorm/AssignMovingAvg_1/AssignSubVariableOp']
  assert tf.get_collection(tf.GraphKeys.MOVING_AVERAGE_VARIABLES) == []


def test_zero_debias_shadow_variables(graph):
  batch_norm(tf.placeholder(tf.float32, [2, 4, 4, 3]), scope='bn',
             zero_debias_moving_mean=True, fused=False)
  names = [v.op.name for v in tf.model_variables()]
  assert 'bn/bn/moving_mean/biased' in names
  assert 'bn/bn/moving_mean/local_step' in names


def test_not_trainable_layer_files_no_update_ops(graph):
  batch_norm(tf.placeholder(tf.float32, [2, 4, 4, 3]), trainable=False)
  assert tf.trainable_variables() == []
  assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []


@pytest.mark.parametrize('fused', [True, False])
def test_variables_collections_and_regularizers(graph, fused):
  batch_norm(tf.placeholder(tf.float32, [2, 4, 4, 3]), scale=True,
             fused=fused, variables_collections=['bn_vars'],
             param_regularizers={'gamma': lambda v: tf.reduce_sum(v),
                                 'beta': lambda v: 2.0 * tf.reduce_sum(v)},
             outputs_collections='outs')
  assert sorted(v.op.name for v in tf.get_collection('bn_vars')) == [
      'BatchNorm/beta', 'BatchNorm/gamma', 'BatchNorm/moving_mean',
      'BatchNorm/moving_variance']
  assert [t.op.name for t in tf.get_collection(
      tf.GraphKeys.REGULARIZATION_LOSSES)] == [
          'BatchNorm/gamma/Regularizer/Sum', 'BatchNorm/beta/Regularizer/mul']
  assert tf.get_collection('outs')[0].aliases == ['BatchNorm']


@pytest.mark.parametrize('fused', [True, False])
def test_reuse_shares_variables(graph, fused):
  inputs = tf.placeholder(tf.float32, [2, 4, 4, 3])
  batch_norm(inputs, scope='bn', scale=True, fused=fused,
             param_regularizers={'gamma': tf.nn.l2_loss})
  batch_norm(inputs, scope='bn', scale=True, fused=fused, reuse=True,
             is_training=False, param_regularizers={'gamma': tf.nn.l2_loss})
  assert len(tf.global_variables()) == 4
  assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 1
  with pytest.raises(ValueError, match='does not exist'):
    batch_norm(inputs, scope='other', reuse=True)


def test_arg_scope_sets_defaults(graph):
  with argscope.arg_scope([batch_norm], scale=True, center=False,
                          updates_collections=None):
    batch_norm(tf.placeholder(tf.float32, [2, 4, 4, 3]))
  assert [v.op.name for v in tf.model_variables()] == [
      'BatchNorm/gamma', 'BatchNorm/moving_mean', 'BatchNorm/moving_variance']
  assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []


def test_batch_weights_with_fused_true_falls_back_as_in_tf1(graph):
  # TF 1.15 built the unfused (legacy) graph without a word; so do we.
  outputs = batch_norm(tf.placeholder(tf.float32, [5, 3, 3, 2]), fused=True,
                       batch_weights=[1.0] * 5)
  ops = {op.type for op in tf.get_default_graph().get_operations()}
  assert 'FusedBatchNormV3' not in ops
  assert outputs.shape.as_list() == [5, 3, 3, 2]


def test_activation_fn(graph):
  output = batch_norm(tf.placeholder(tf.float32, [2, 3]),
                      activation_fn=tf.nn.relu)
  assert output.op.type == 'Relu'


@pytest.mark.parametrize('kwargs, inputs, error, match', [
    ({}, None, ValueError, 'undefined rank'),
    ({'data_format': 'NHWC'}, [5, 3, 3, None], ValueError,
     r'undefined `C` \(channels\) dimension'),
    ({'data_format': 'NCHW', 'fused': False}, [5, None, 3, 3], ValueError,
     'undefined'),
    ({'data_format': 'CHWN'}, [5, 3, 3, 2], ValueError,
     'data_format has to be either NCHW or NHWC'),
    ({'renorm': True, 'updates_collections': None}, [5, 3, 3, 2], ValueError,
     'renorm is not supported with batch_weights'),
    ({'renorm': True, 'renorm_clipping': {'rmx': 1.0}}, [5, 3, 3, 2],
     ValueError, '`renorm_clipping` accepts'),
    ({'is_training': 'yes'}, [5, 3, 3, 2], TypeError, '`is_training`'),
    ({'is_training': tf.zeros([])}, [5, 3, 3, 2], TypeError,
     '`is_training` must be a boolean tensor'),
])
def test_errors_name_the_argument(graph, kwargs, inputs, error, match):
  placeholder = tf.placeholder(tf.float32, inputs)
  with pytest.raises(error, match=match):
    batch_norm(placeholder, **kwargs)
  assert tf.global_variables() == []


def test_integer_inputs_rejected(graph):
  with pytest.raises(TypeError, match='`inputs` must be floating point'):
    batch_norm(tf.zeros([2, 3], tf.int32))


def test_batch_weights(graph):
  x = _images('NHWC')
  weights = np.array([1, 0, 0, 2, 1, 0], np.float32)
  output = batch_norm(tf.constant(x), batch_weights=weights, decay=0.0)
  with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    output = tf.identity(output)
  w = weights.reshape(-1, 1, 1, 1) * np.ones_like(x)
  mean = (w * x).sum((0, 1, 2)) / w.sum((0, 1, 2))
  var = (w * (x - mean) ** 2).sum((0, 1, 2)) / w.sum((0, 1, 2))
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    got = sess.run(output)
    np.testing.assert_allclose(sess.run(_variable('BatchNorm/moving_mean')),
                               mean, rtol=1e-5)
  np.testing.assert_allclose(
      got, _reference(x, 'NHWC', np.ones(5), np.zeros(5), mean, var),
      rtol=1e-4, atol=1e-4)


def test_building_logs_no_warnings(graph, tf_warnings):
  inputs = tf.placeholder(tf.float32, [2, 4, 4, 3])
  for kwargs in ({}, {'fused': False}, {'updates_collections': None},
                 {'zero_debias_moving_mean': True}, {'renorm': True},
                 {'is_training': tf.placeholder(tf.bool, [])}):
    batch_norm(inputs, **kwargs)
  assert [r.getMessage() for r in tf_warnings] == []


# --- TF1's scope: activation and variables inside it (issue 11) -------------

PATHS = {  # batch_norm arguments choosing each of TF1's three paths
    'layer': {},
    'slim_fused': {'updates_collections': None},
    'legacy': {'updates_collections': None, 'fused': False},
}


@pytest.mark.parametrize('path', sorted(PATHS))
@pytest.mark.parametrize('is_training', [True, False])
def test_activation_is_inside_the_scope(graph, path, is_training):
  # Real TF 1.4 / 1.14 graphs: `<scope>/Relu`, not `Relu` at the caller.
  y = batch_norm(tf.placeholder(tf.float32, [1, 4, 4, 3]),
                 activation_fn=tf.nn.relu, is_training=is_training,
                 scope='bn', **PATHS[path])
  assert y.op.name == 'bn/Relu'
  assert y.op.type == 'Relu'


def _prelu(inputs):
  alpha = tf.get_variable('alpha', [inputs.shape[-1]],
                          initializer=tf.constant_initializer(0.25))
  return tf.maximum(inputs, 0.0) + alpha * tf.minimum(inputs, 0.0)


@pytest.mark.parametrize('path,model', [
    ('layer', True), ('legacy', True), ('slim_fused', False)])
def test_activation_variables_follow_the_path_getter(graph, path, model):
  # TF1's layer and legacy paths opened the scope with the model-variable
  # getter; its own fused path did not.
  batch_norm(tf.placeholder(tf.float32, [1, 4, 4, 3]), activation_fn=_prelu,
             scope='bn', **PATHS[path])
  model_names = [v.op.name for v in tf.model_variables()]
  assert ('bn/alpha' in model_names) == model
  assert 'bn/alpha' in [v.op.name for v in tf.global_variables()]


@pytest.fixture
def ref_variables():
  """TF1's default: reference variables, read through `<name>/read`."""
  with _graph_utils.resource_variables(False):
    yield


def _fused_inputs(graph):
  (node,) = [n for n in graph.as_graph_def().node
             if n.op.startswith('FusedBatchNorm')]
  return node.name, list(node.input)


@pytest.mark.parametrize('scale', [True, False])
def test_layer_fused_training_feeds_empty_statistics(graph, ref_variables,
                                                     scale):
  # TF 1.14 / 1.15: FusedBatchNorm(x, gamma, beta, Const, Const_1) with the
  # empty mean and variance, then the momentum; TF 2's Keras fed the moving
  # statistics instead.
  batch_norm(tf.placeholder(tf.float32, [2, 4, 4, 3]), scale=scale,
             is_training=True, scope='bn')
  name, inputs = _fused_inputs(graph)
  first = 'bn/Const_1' if not scale else 'bn/Const'
  second = 'bn/Const_2' if not scale else 'bn/Const_1'
  gamma = 'bn/gamma/read' if scale else 'bn/Const'
  assert name == 'bn/FusedBatchNormV3'
  assert inputs == ['Placeholder', gamma, 'bn/beta/read', first, second]
  for const in (first, second):
    value = graph.get_tensor_by_name(const + ':0')
    assert value.shape.as_list() == [0]
  momentum = 'bn/Const_3' if not scale else 'bn/Const_2'
  assert graph.get_operation_by_name(momentum).type == 'Const'
  assert momentum + ':0' in [
      t.name for op in graph.get_operations()
      if op.name.startswith('bn/AssignMovingAvg/') for t in op.inputs]


def test_layer_fused_inference_keeps_the_momentum_const(graph, ref_variables):
  # The TF 1.13 fixture: FusedBatchNorm on the moving statistics and an
  # unused `BatchNorm/Const` (the momentum) after it.
  batch_norm(tf.placeholder(tf.float32, [2, 4, 4, 3]), scale=True,
             is_training=False, scope='bn')
  _, inputs = _fused_inputs(graph)
  assert inputs[3:] == ['bn/moving_mean/read', 'bn/moving_variance/read']
  const = graph.get_operation_by_name('bn/Const')
  assert const.type == 'Const'
  assert np.isclose(tf.get_static_value(const.outputs[0]), 0.999)


def test_rank5_layer_path_is_unfused_as_in_tf115(graph):
  # TF 1.15's layer fused rank 4 only; TF 2's Keras also fuses rank 5.
  batch_norm(tf.placeholder(tf.float32, [2, 3, 4, 4, 3]), scope='bn')
  ops = {op.type for op in graph.get_operations()}
  assert not any(t.startswith('FusedBatchNorm') for t in ops)
  assert 'Mean' in ops
