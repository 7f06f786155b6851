"""Unit tests for contrib_compat/separable.py (graph mode, TF1 semantics)."""
import warnings

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim

import contrib_compat
from contrib_compat import separable_conv2d
from tests.conformance import _graph_utils

GLOBAL = tf.GraphKeys.GLOBAL_VARIABLES
MODEL = tf.GraphKeys.MODEL_VARIABLES
TRAINABLE = tf.GraphKeys.TRAINABLE_VARIABLES
REG = tf.GraphKeys.REGULARIZATION_LOSSES


def _images(shape=(2, 8, 8, 3), dtype=tf.float32):
  return tf.placeholder(dtype, shape)


def _names(collection):
  return [v.op.name for v in tf.get_collection(collection)]


def _node_names(graph, prefix):
  return {n.name: n.op for n in graph.as_graph_def().node
          if n.name.startswith(prefix)}


# --- names and exports ------------------------------------------------------


def test_both_names_are_one_object():
  assert contrib_compat.separable_convolution2d is separable_conv2d
  assert contrib_compat.layers.separable_conv2d is separable_conv2d
  assert contrib_compat.layers.separable_convolution2d is separable_conv2d


def test_pointwise_branch_variables(graph):
  separable_conv2d(_images(), 5, [3, 3], depth_multiplier=2)
  shapes = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
  assert shapes == {
      'SeparableConv2d/depthwise_weights': [3, 3, 3, 2],
      'SeparableConv2d/pointwise_weights': [1, 1, 6, 5],
      'SeparableConv2d/biases': [5],
  }


def test_depthwise_branch_variables(graph):
  separable_conv2d(_images(), None, [3, 5], depth_multiplier=4)
  shapes = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
  assert shapes == {
      'SeparableConv2d/depthwise_weights': [3, 5, 3, 4],
      'SeparableConv2d/biases': [12],
  }


def test_default_scope_is_uniquified(graph):
  x = _images()
  separable_conv2d(x, 4, 3)
  separable_conv2d(x, None, 3)
  assert sorted({v.op.name.split('/')[0] for v in tf.global_variables()}) == [
      'SeparableConv2d', 'SeparableConv2d_1']


@pytest.mark.parametrize('dtype', [tf.float16, tf.bfloat16, tf.float32,
                                   tf.float64])
@pytest.mark.parametrize('num_outputs', [None, 4])
def test_variable_dtype_follows_inputs(graph, dtype, num_outputs):
  y = separable_conv2d(_images(dtype=dtype), num_outputs, 3)
  assert y.dtype == dtype
  assert {v.dtype.base_dtype for v in tf.global_variables()} == {dtype}


# --- graph nodes --------------------------------------------------------------


def test_pointwise_graph_nodes(graph):
  separable_conv2d(_images(), 4, 3, scope='sep')
  nodes = _node_names(graph, 'sep/')
  assert nodes['sep/separable_conv2d/depthwise'] == 'DepthwiseConv2dNative'
  assert nodes['sep/separable_conv2d'] == 'Conv2D'
  assert nodes['sep/BiasAdd'] == 'BiasAdd'
  assert nodes['sep/Relu'] == 'Relu'
  assert 'sep/depthwise_weights/Initializer/random_uniform' in nodes


def test_depthwise_graph_nodes(graph):
  separable_conv2d(_images(), None, 3, scope='dw')
  nodes = _node_names(graph, 'dw/')
  assert nodes['dw/depthwise'] == 'DepthwiseConv2dNative'
  assert nodes['dw/BiasAdd'] == 'BiasAdd'
  assert nodes['dw/Relu'] == 'Relu'
  assert not any('separable_conv2d' in n for n in nodes)


def test_graph_matches_tf_slim_node_for_node():
  """Both branches, with regularizers: the whole GraphDef, node by node."""

  def build(fn):
    g = tf.Graph()
    with g.as_default():
      x = _images()
      reg = tf_slim.l2_regularizer(0.1)
      fn(x, 5, 3, depth_multiplier=2, weights_regularizer=reg,
         biases_regularizer=reg)
      fn(x, None, [3, 1], rate=2, weights_regularizer=reg,
         biases_regularizer=reg, padding='VALID')
      tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    return [(n.name, n.op, list(n.input)) for n in g.as_graph_def().node]

  _graph_utils.assert_same_as_tf_slim_on_tf2(
      build(separable_conv2d), build(tf_slim.separable_conv2d))


# --- reuse -----------------------------------------------------------------


@pytest.mark.parametrize('num_outputs', [None, 4])
@pytest.mark.parametrize('reuse', [True, tf.AUTO_REUSE])
def test_reuse_shares_variables_and_losses(graph, num_outputs, reuse):
  x = _images()
  reg = tf_slim.l2_regularizer(0.01)
  kwargs = dict(weights_regularizer=reg, biases_regularizer=reg, scope='c')
  separable_conv2d(x, num_outputs, 3, **kwargs)
  n_vars, n_losses = len(tf.global_variables()), len(tf.get_collection(REG))
  separable_conv2d(x, num_outputs, 3, reuse=reuse, **kwargs)
  assert len(tf.global_variables()) == n_vars
  assert len(tf.get_collection(REG)) == n_losses


def test_reuse_through_enclosing_scope(graph):
  x = _images()
  with tf.variable_scope('tower'):
    separable_conv2d(x, 4, 3, scope='c')
  with tf.variable_scope('tower', reuse=True):
    separable_conv2d(x, 4, 3, scope='c')
  assert len(tf.global_variables()) == 3


def test_auto_reuse_creates_then_reuses(graph):
  x = _images()
  separable_conv2d(x, None, 3, scope='c', reuse=tf.AUTO_REUSE)
  separable_conv2d(x, None, 3, scope='c', reuse=tf.AUTO_REUSE)
  assert len(tf.global_variables()) == 2


def test_enclosing_custom_getter_applies(graph):
  seen = []

  def getter(getter, name, *args, **kwargs):
    seen.append(name)
    return getter(name, *args, **kwargs)

  with tf.variable_scope('outer', custom_getter=getter):
    separable_conv2d(_images(), 4, 3, scope='c')
  assert seen == ['outer/c/depthwise_weights', 'outer/c/pointwise_weights',
                  'outer/c/biases']


# --- collections -----------------------------------------------------------


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_collections_when_trainable(graph, num_outputs):
  separable_conv2d(_images(), num_outputs, 3)
  names = _names(GLOBAL)
  assert _names(MODEL) == names
  assert _names(TRAINABLE) == names


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_not_trainable(graph, num_outputs):
  separable_conv2d(_images(), num_outputs, 3, trainable=False)
  assert tf.get_collection(TRAINABLE) == []
  assert len(tf.get_collection(MODEL)) == len(tf.global_variables()) > 0


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_variables_collections_list(graph, num_outputs):
  separable_conv2d(_images(), num_outputs, 3, variables_collections=['mine'])
  assert sorted(_names('mine')) == sorted(_names(GLOBAL))


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_variables_collections_dict(graph, num_outputs):
  separable_conv2d(_images(), num_outputs, 3, scope='c',
                   variables_collections={'weights': ['w'], 'biases': ['b']})
  expected_w = ['c/depthwise_weights'] + (['c/pointwise_weights']
                                          if num_outputs else [])
  assert sorted(_names('w')) == expected_w
  assert _names('b') == ['c/biases']


def test_outputs_collections_alias(graph):
  y = separable_conv2d(_images(), 4, 3, scope='c',
                       outputs_collections='end_points')
  assert tf.get_collection('end_points') == [y]
  assert y.aliases == ['c']
  assert tf_slim.utils.convert_collection_to_dict('end_points') == {'c': y}


# --- regularizers ----------------------------------------------------------


def test_pointwise_losses_named_after_keras_kernels(graph):
  """TF1 quirk: the pointwise branch names its losses after Keras weights."""
  reg = tf_slim.l2_regularizer(0.5)
  separable_conv2d(_images(), 4, 3, scope='c', weights_regularizer=reg,
                   biases_regularizer=reg)
  assert [t.op.name for t in tf.get_collection(REG)] == [
      'c/depthwise_kernel/Regularizer/l2_regularizer',
      'c/pointwise_kernel/Regularizer/l2_regularizer',
      'c/bias/Regularizer/l2_regularizer',
  ]


def test_depthwise_losses_named_after_variables(graph):
  reg = tf_slim.l2_regularizer(0.5)
  separable_conv2d(_images(), None, 3, scope='c', weights_regularizer=reg,
                   biases_regularizer=reg)
  assert [t.op.name for t in tf.get_collection(REG)] == [
      'c/depthwise_weights/Regularizer/l2_regularizer',
      'c/biases/Regularizer/l2_regularizer',
  ]


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_regularization_value(graph, num_outputs):
  reg = tf_slim.l2_regularizer(0.5)
  separable_conv2d(_images(), num_outputs, 3, weights_regularizer=reg,
                   biases_initializer=tf.ones_initializer())
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    losses = sess.run(tf.get_collection(REG))
    weights = sess.run([v for v in tf.global_variables()
                        if 'weights' in v.op.name])
  np.testing.assert_allclose(
      sorted(losses), sorted(0.5 * 0.5 * np.sum(w**2) for w in weights),
      rtol=1e-5)


# --- biases, normalizer, activation -----------------------------------------


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_normalizer_replaces_biases(graph, num_outputs):
  calls = []

  def normalizer(x, flag=None):
    calls.append(flag)
    return tf.identity(x, name='normed')

  y = separable_conv2d(_images(), num_outputs, 3, scope='c',
                       normalizer_fn=normalizer,
                       normalizer_params={'flag': 7})
  assert calls == [7]
  assert not any('biases' in v.op.name for v in tf.global_variables())
  assert y.op.type == 'Relu' and y.op.inputs[0].op.name == 'c/normed'


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_no_biases_initializer_means_no_biases(graph, num_outputs):
  separable_conv2d(_images(), num_outputs, 3, biases_initializer=None)
  assert not any('biases' in v.op.name for v in tf.global_variables())


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_linear_output(graph, num_outputs):
  y = separable_conv2d(_images(), num_outputs, 3, activation_fn=None)
  assert y.op.type == 'BiasAdd'


def test_depthwise_numerics_against_numpy(graph):
  x = np.random.RandomState(0).rand(1, 4, 4, 2).astype(np.float32)
  y = separable_conv2d(tf.constant(x), None, [1, 1], depth_multiplier=2,
                       weights_initializer=tf.constant_initializer(
                           [[[[1., 2.], [3., 4.]]]]),
                       biases_initializer=tf.constant_initializer(0.5),
                       activation_fn=None)
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    out = sess.run(y)
  expected = np.stack([x[..., 0], 2 * x[..., 0], 3 * x[..., 1],
                       4 * x[..., 1]], axis=-1) + 0.5
  np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_pointwise_numerics_against_numpy(graph):
  rng = np.random.RandomState(1)
  x = rng.rand(1, 5, 5, 2).astype(np.float32)
  dw = rng.rand(3, 3, 2, 1).astype(np.float32)
  pw = rng.rand(1, 1, 2, 3).astype(np.float32)
  y = separable_conv2d(tf.constant(x), 3, 3, padding='VALID',
                       weights_initializer=tf.constant_initializer(dw),
                       pointwise_initializer=tf.constant_initializer(pw),
                       activation_fn=None)
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    out = sess.run(y)
  depthwise = np.zeros((1, 3, 3, 2), np.float32)
  for i in range(3):
    for j in range(3):
      depthwise[0, i, j] = np.einsum('hwc,hwc->c', x[0, i:i + 3, j:j + 3],
                                     dw[..., 0])
  np.testing.assert_allclose(out, depthwise @ pw[0, 0], rtol=1e-5)


# --- shapes: formats, strides, rates, padding --------------------------------


@pytest.mark.parametrize('num_outputs', [None, 6])
@pytest.mark.parametrize('stride,rate,padding,expected_hw', [
    (1, 1, 'SAME', 9), (2, 1, 'SAME', 5), ([2, 2], 1, 'VALID', 4),
    (1, 2, 'VALID', 5), (1, [2, 2], 'SAME', 9)])
def test_output_shape(graph, num_outputs, stride, rate, padding, expected_hw):
  y = separable_conv2d(_images((2, 9, 9, 3)), num_outputs, 3,
                       depth_multiplier=2, stride=stride, rate=rate,
                       padding=padding)
  assert y.shape.as_list() == [2, expected_hw, expected_hw, num_outputs or 6]


@pytest.mark.parametrize('num_outputs', [None, 6])
def test_nchw(graph, num_outputs):
  y = separable_conv2d(_images((2, 3, 9, 9)), num_outputs, 3,
                       depth_multiplier=2, stride=2, data_format='NCHW')
  assert y.shape.as_list() == [2, num_outputs or 6, 5, 5]
  dw = [v for v in tf.global_variables() if 'depthwise' in v.op.name][0]
  assert dw.shape.as_list() == [3, 3, 3, 2]


def test_rectangular_stride_and_rate(graph):
  y = separable_conv2d(_images((1, 9, 9, 3)), 4, [3, 1], stride=[2, 1])
  assert y.shape.as_list() == [1, 5, 9, 4]
  y = separable_conv2d(_images((1, 9, 9, 3)), None, 3, rate=[2, 1],
                       padding='VALID')
  assert y.shape.as_list() == [1, 5, 7, 3]


def test_pointwise_accepts_lowercase_padding(graph):
  y = separable_conv2d(_images(), 4, 3, padding='valid')
  assert y.shape.as_list() == [2, 6, 6, 4]


# --- errors ------------------------------------------------------------------


def test_bad_data_format(graph):
  with pytest.raises(ValueError, match='data_format has to be either NCHW or '
                     'NHWC.'):
    separable_conv2d(_images(), 4, 3, data_format='CHWN')


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_integer_inputs(graph, num_outputs):
  with pytest.raises(TypeError, match='non-floating point type'):
    separable_conv2d(_images(dtype=tf.int32), num_outputs, 3)


@pytest.mark.parametrize('shape', [(2, 8, 3), (2, 1, 8, 8, 3), None])
def test_rank_must_be_4(graph, shape):
  with pytest.raises(ValueError, match='`inputs` must have rank 4'):
    separable_conv2d(tf.placeholder(tf.float32, shape), 4, 3)


@pytest.mark.parametrize('data_format,shape', [('NHWC', (2, 8, 8, None)),
                                               ('NCHW', (2, None, 8, 8))])
def test_unknown_channels(graph, data_format, shape):
  with pytest.raises(ValueError, match='channel dimension of `inputs`'):
    separable_conv2d(tf.placeholder(tf.float32, shape), None, 3,
                     data_format=data_format)


@pytest.mark.parametrize('num_outputs,padding', [
    (4, 'FULL'), (None, 'FULL'), (None, 'same'), (4, 0), (None, [1, 1])])
def test_bad_padding(graph, num_outputs, padding):
  with pytest.raises(ValueError, match='`padding` must be'):
    separable_conv2d(_images(), num_outputs, 3, padding=padding)


@pytest.mark.parametrize('arg', ['kernel_size', 'stride', 'rate'])
@pytest.mark.parametrize('value', [[3, 3, 3], 0, [1, -1], 'x', 1.5, True])
def test_malformed_pairs(graph, arg, value):
  kwargs = {'kernel_size': 3, arg: value}
  with pytest.raises(ValueError, match='`%s` must be' % arg):
    separable_conv2d(_images(), 4, **kwargs)


@pytest.mark.parametrize('arg', ['num_outputs', 'depth_multiplier'])
@pytest.mark.parametrize('value,error,message', [
    (0, ValueError, 'must be at least 1, got 0'),
    (-2, ValueError, 'must be at least 1, got -2'),
    (2.5, ValueError, 'must be a whole number, got 2.5'),
    ('3', TypeError, "must be an int, got '3'")])
def test_bad_channel_counts(graph, arg, value, error, message):
  kwargs = {'num_outputs': 4, arg: value}
  with pytest.raises(error, match='`%s` %s' % (arg, message)):
    separable_conv2d(_images(), kernel_size=3, **kwargs)


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_integral_channel_counts_accepted(graph, num_outputs):
  # TF1 took anything with __index__ here, numpy integers included.
  y = separable_conv2d(_images(), num_outputs and np.int64(num_outputs), 3,
                       depth_multiplier=np.int32(2))
  assert y.shape.as_list()[-1] == (num_outputs or 6)


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_rate_with_stride(graph, num_outputs):
  with pytest.raises(ValueError, match='`rate` > 1 cannot be combined with '
                     '`stride` > 1'):
    separable_conv2d(_images(), num_outputs, 3, stride=2, rate=[1, 2])


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_reuse_of_scope_without_variables(graph, num_outputs):
  with pytest.raises(ValueError, match="reuse=True but variable scope 'new'"):
    separable_conv2d(_images(), num_outputs, 3, scope='new', reuse=True)


# --- arg_scope, placement, warnings -------------------------------------------


def test_tf_slim_arg_scope_applies(graph):
  with tf_slim.arg_scope([separable_conv2d], activation_fn=None,
                         padding='VALID'):
    y = separable_conv2d(_images(), 4, 3)
  assert y.op.type == 'BiasAdd' and y.shape.as_list() == [2, 6, 6, 4]


def test_one_scope_stack_with_tf_slim(graph):
  with contrib_compat.arg_scope([tf_slim.conv2d], activation_fn=None):
    with tf_slim.arg_scope([separable_conv2d], activation_fn=None):
      a = tf_slim.conv2d(_images(), 4, 3)
      b = separable_conv2d(_images(), 4, 3)
  assert a.op.type == b.op.type == 'BiasAdd'


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_model_variable_arg_scope_places_variables(graph, num_outputs):
  with tf_slim.arg_scope([tf_slim.model_variable, tf_slim.variable],
                         device='/cpu:0'):
    separable_conv2d(_images(), num_outputs, 3)
  assert {v.device for v in tf.global_variables()} == {'/device:CPU:0'}


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_no_warnings(graph, tf_warnings, num_outputs):
  reg = tf_slim.l2_regularizer(0.1)
  with warnings.catch_warnings():
    warnings.simplefilter('error')
    separable_conv2d(_images(), num_outputs, 3, weights_regularizer=reg,
                     biases_regularizer=reg, scope='c')
    separable_conv2d(_images(), num_outputs, 3, scope='c', reuse=True)
  assert [r.getMessage() for r in tf_warnings] == []


# --- TF1's scope-wide getter and whole-number floats (issue 11) -------------


def _getter_normalizer(inputs, scope='Norm'):
  """A normalizer creating variables with plain get_variable (one `bias`)."""
  with tf.variable_scope(scope):
    scale = tf.get_variable('scale', [inputs.shape[-1]],
                            initializer=tf.ones_initializer())
    bias = tf.get_variable('bias', [inputs.shape[-1]],
                           initializer=tf.zeros_initializer())
  return inputs * scale + bias


def _prelu(inputs):
  alpha = tf.get_variable('alpha', [inputs.shape[-1]],
                          initializer=tf.constant_initializer(0.25))
  return tf.maximum(inputs, 0.0) + alpha * tf.minimum(inputs, 0.0)


@pytest.mark.parametrize('num_outputs', [None, 4])
def test_variables_made_inside_the_scope_are_model_variables(graph,
                                                             num_outputs):
  # TF1 sent every get_variable under the layer's scope through
  # model_variable, renaming `bias` to `biases`; a Saver built from
  # get_model_variables() saw the normalizer's and the activation's variables.
  with tf_slim.arg_scope([tf_slim.model_variable], device='/cpu:0'):
    separable_conv2d(_images(), num_outputs, 3, normalizer_fn=_getter_normalizer,
                     activation_fn=_prelu, scope='sep')
  made = ['sep/Norm/scale', 'sep/Norm/biases', 'sep/alpha']
  assert set(made) <= set(_names(MODEL))
  assert set(made) <= set(_names(TRAINABLE))
  assert 'sep/Norm/bias' not in _names(GLOBAL)
  for var in tf.get_collection(MODEL):
    assert var.device == '/device:CPU:0', var.op.name


def test_variables_outside_the_scope_are_left_alone(graph):
  separable_conv2d(_images(), None, 3, normalizer_fn=_getter_normalizer,
                   scope='sep')
  _getter_normalizer(_images(), scope='after')
  assert 'after/bias' in _names(GLOBAL)
  assert not [n for n in _names(MODEL) if n.startswith('after/')]


@pytest.mark.parametrize('num_outputs', [None, 8.0])
def test_whole_number_floats_build_as_tf1(graph, num_outputs):
  # Real TF1 model code passes depth_multiplier=1.0; its checkpoint holds
  # depthwise_weights of shape [3, 3, C, 1].
  y = separable_conv2d(_images(), num_outputs, [3.0, 3.0], depth_multiplier=1.0,
                       stride=[1.0, 1.0], rate=[1.0, 1.0], scope='sep')
  weights = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
  assert weights['sep/depthwise_weights'] == [3, 3, 3, 1]
  if num_outputs:
    assert weights['sep/pointwise_weights'] == [1, 1, 3, 8]
  assert y.shape.as_list() == [2, 8, 8, 8 if num_outputs else 3]


@pytest.mark.parametrize('arg,value', [
    ('depth_multiplier', 1.5), ('num_outputs', 7.25)])
def test_non_whole_floats_are_refused_by_name(graph, arg, value):
  kwargs = {'num_outputs': 4, arg: value}
  with pytest.raises(ValueError, match='`%s` must be a whole number' % arg):
    separable_conv2d(_images(), kernel_size=3, **kwargs)


@pytest.mark.parametrize('arg', ['kernel_size', 'stride', 'rate'])
def test_non_whole_floats_in_pairs_are_refused_by_name(graph, arg):
  # TF1's depthwise branch truncated [3.5, 3] to (3, 3) silently.
  kwargs = {'kernel_size': 3, arg: [2.5, 1]}
  with pytest.raises(ValueError, match='`%s` must be' % arg):
    separable_conv2d(_images(), None, **kwargs)
