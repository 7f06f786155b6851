"""Differential test: contrib_compat.separable_conv2d against tf-slim 1.1.0.

tf-slim 1.1.0's separable_conv2d still builds on TF 2.21 (through the private
`tensorflow.python.keras`), so each randomized configuration is built twice,
in two fresh graphs, once with each function, and the graphs must be the
same: every NodeDef (name, op, inputs, attributes), every variable, every
collection (REGULARIZATION_LOSSES included), the names the enclosing custom
getter sees, and the outputs once our variables hold tf-slim's initial values
(only where TF's CPU kernels run: NHWC, and DepthwiseConv2dNative takes only
equal row and column strides).
"""
import contextlib

import hypothesis
from hypothesis import strategies as st
import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim

from contrib_compat import separable_conv2d
from tests.conformance import _graph_utils

pytestmark = [
    # tf-slim's pointwise branch goes through Keras' deprecated layer.apply.
    pytest.mark.filterwarnings('ignore:`layer.apply` is deprecated'),
]

DTYPES = {'float16': tf.float16, 'bfloat16': tf.bfloat16,
          'float32': tf.float32, 'float64': tf.float64}
# Outputs are computed by the same kernels from the same values, so these only
# absorb reduction-order noise; float32 is the bound the issue sets.
TOLERANCE = {'float16': 1e-3, 'bfloat16': 1e-2, 'float32': 1e-6,
             'float64': 1e-12}


def _scaled(x, scale=2.0):
  """A normalizer_fn with parameters; its op is named so it shows in graphs."""
  return tf.multiply(x, tf.cast(scale, x.dtype), name='normalized')


REGULARIZERS = {
    'l2': lambda: tf_slim.l2_regularizer(0.25),
    'l1_l2': lambda: tf_slim.l1_l2_regularizer(0.1, 0.2),
    # Returns None: no loss is added, as for tf.no_regularizer.
    'no_regularizer': lambda: tf.no_regularizer,
}
WEIGHTS_INITIALIZERS = {
    'truncated_normal': lambda: tf.truncated_normal_initializer(stddev=0.1),
    'constant': lambda: tf.constant_initializer(0.3),
}
BIASES_INITIALIZERS = {
    'none': lambda: None,
    'constant': lambda: tf.constant_initializer(0.5),
}
ACTIVATIONS = {'none': None, 'relu6': tf.nn.relu6}
# Drawn keyword arguments are tokens (readable in a falsifying example) that
# these tables turn into objects.
_FACTORIES = {
    'weights_regularizer': REGULARIZERS,
    'biases_regularizer': REGULARIZERS,
    'weights_initializer': WEIGHTS_INITIALIZERS,
    'pointwise_initializer': WEIGHTS_INITIALIZERS,
    'biases_initializer': BIASES_INITIALIZERS,
}


def _pair(draw, values):
  return draw(st.one_of(st.sampled_from(values),
                        st.lists(st.sampled_from(values), min_size=2,
                                 max_size=2)))


@st.composite
def configs(draw):
  """A layer configuration: input, keyword arguments and a call plan."""
  data_format = draw(st.sampled_from(['NHWC', 'NCHW']))
  channels = draw(st.integers(1, 4))
  # At least 5: the largest effective kernel ((3 - 1) * rate 2 + 1) fits.
  height, width = draw(st.integers(5, 8)), draw(st.integers(5, 8))
  shape = ([2, height, width, channels] if data_format == 'NHWC' else
           [2, channels, height, width])
  num_outputs = draw(st.one_of(st.none(), st.integers(1, 5)))
  kwargs = {
      'kernel_size': _pair(draw, [1, 2, 3]),
      'depth_multiplier': draw(st.integers(1, 3)),
      'data_format': data_format,
  }
  if draw(st.booleans()):
    kwargs['stride'] = _pair(draw, [1, 2])
  elif draw(st.booleans()):
    kwargs['rate'] = _pair(draw, [1, 2])
  paddings = ['SAME', 'VALID'] + (['same', 'valid'] if num_outputs else [])
  kwargs['padding'] = draw(st.sampled_from(paddings))
  optional = {
      'weights_regularizer': st.sampled_from(sorted(REGULARIZERS)),
      'biases_regularizer': st.sampled_from(sorted(REGULARIZERS)),
      'weights_initializer': st.sampled_from(sorted(WEIGHTS_INITIALIZERS)),
      'pointwise_initializer': st.sampled_from(sorted(WEIGHTS_INITIALIZERS)),
      'biases_initializer': st.sampled_from(sorted(BIASES_INITIALIZERS)),
      'activation_fn': st.sampled_from(sorted(ACTIVATIONS)),
      'normalizer_fn': st.just('scaled'),
      'trainable': st.just(False),
      'variables_collections': st.sampled_from([
          ['extra'], {'weights': ['w']}, {'weights': ['w'], 'biases': ['b']}]),
      'outputs_collections': st.sampled_from(['end_points', ['a', 'b']]),
  }
  for key, strategy in optional.items():
    if draw(st.booleans()):
      kwargs[key] = draw(strategy)
  if kwargs.get('normalizer_fn') and draw(st.booleans()):
    kwargs['normalizer_params'] = {'scale': 3.0}
  return {
      'shape': shape,
      'dtype': draw(st.sampled_from(sorted(DTYPES))),
      'num_outputs': num_outputs,
      'kwargs': kwargs,
      # How the layer is called: once, twice (default scope, uniquified), or
      # twice reusing its variables in one of the ways TF1 code does.
      'plan': draw(st.sampled_from(['once', 'twice', 'reuse_true',
                                    'auto_reuse', 'enclosing_reuse'])),
      'resource_variables': draw(st.booleans()),
      # These keyword arguments come from an enclosing tf_slim.arg_scope.
      'arg_scope_keys': sorted(draw(st.sets(st.sampled_from(sorted(kwargs))))),
      'custom_getter': draw(st.booleans()),
  }


def _objects(kwargs):
  """Drawn tokens -> the objects passed to the layer."""
  out = dict(kwargs)
  for key, table in _FACTORIES.items():
    if key in out:
      out[key] = table[out[key]]()
  if 'activation_fn' in out:
    out['activation_fn'] = ACTIVATIONS[out['activation_fn']]
  if 'normalizer_fn' in out:
    out['normalizer_fn'] = _scaled
  return out


def _calls(plan, kwargs):
  """[(enclosing variable scope args, layer kwargs)] for each call."""
  if plan == 'once':
    return [(None, kwargs)]
  if plan == 'twice':
    return [(None, kwargs), (None, kwargs)]
  scoped = dict(kwargs, scope='layer')
  if plan == 'reuse_true':
    return [(None, scoped), (None, dict(scoped, reuse=True))]
  if plan == 'auto_reuse':
    auto = dict(scoped, reuse=tf.AUTO_REUSE)
    return [(None, auto), (None, auto)]
  assert plan == 'enclosing_reuse'
  return [({'name_or_scope': 'tower'}, scoped),
          ({'name_or_scope': 'tower', 'reuse': True}, scoped)]


def build(fn, config):
  """Builds `config` with `fn` in a fresh graph.

  Returns:
    (graph, input placeholder, outputs, names seen by the custom getter).
  """
  graph = tf.Graph()
  seen = []

  def recording_getter(getter, name, *args, **kwargs):
    seen.append(name)
    return getter(name, *args, **kwargs)

  kwargs = _objects(config['kwargs'])
  scoped = {k: kwargs.pop(k) for k in config['arg_scope_keys']}
  getter = recording_getter if config['custom_getter'] else None
  with _graph_utils.resource_variables(config['resource_variables']), \
      graph.as_default():
    inputs = tf.placeholder(DTYPES[config['dtype']], config['shape'],
                            name='inputs')
    outputs = []
    with tf.variable_scope('outer', custom_getter=getter), \
        tf_slim.arg_scope([fn], **scoped):
      for enclosing, call_kwargs in _calls(config['plan'], kwargs):
        with (tf.variable_scope(**enclosing) if enclosing else
              contextlib.nullcontext()):
          outputs.append(fn(inputs, config['num_outputs'], **call_kwargs))
  return graph, inputs, outputs, seen


def _runs_on_cpu(kwargs):
  """Whether TF's CPU kernels run the layer: NHWC, equal strides."""
  stride = kwargs.get('stride', 1)
  return kwargs['data_format'] == 'NHWC' and (
      isinstance(stride, int) or stride[0] == stride[1])


def _check_same(config):
  ref_graph, ref_inputs, ref_outputs, ref_seen = build(
      tf_slim.separable_conv2d, config)
  graph, inputs, outputs, seen = build(separable_conv2d, config)

  ref_def, our_def = ref_graph.as_graph_def(), graph.as_graph_def()
  assert (_graph_utils.nodes(our_def, attrs=True) ==
          _graph_utils.nodes(ref_def, attrs=True))
  assert _graph_utils.variables(graph) == _graph_utils.variables(ref_graph)
  assert (_graph_utils.collections(graph) ==
          _graph_utils.collections(ref_graph))
  reg = tf.GraphKeys.REGULARIZATION_LOSSES
  assert ([_graph_utils.item_name(t) for t in graph.get_collection(reg)] ==
          [_graph_utils.item_name(t) for t in ref_graph.get_collection(reg)])
  assert seen == ref_seen
  assert [t.name for t in outputs] == [t.name for t in ref_outputs]
  assert ([getattr(t, 'aliases', None) for t in outputs] ==
          [getattr(t, 'aliases', None) for t in ref_outputs])

  if not _runs_on_cpu(config['kwargs']):
    return
  dtype = DTYPES[config['dtype']]
  value = _graph_utils.fixed_values('inputs', config['shape']).astype(
      dtype.as_numpy_dtype)
  values = _graph_utils.initial_values(ref_graph)
  expected = _graph_utils.run_with_values(ref_graph, ref_outputs,
                                          {ref_inputs: value}, values)
  actual = _graph_utils.run_with_values(graph, outputs, {inputs: value},
                                        values)
  tol = TOLERANCE[config['dtype']]
  for a, e in zip(actual, expected):
    np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64),
                               rtol=tol, atol=tol)


def _config(num_outputs, dtype='float32', plan='once', resource=True,
            shape=(2, 7, 6, 3), **kwargs):
  kwargs.setdefault('kernel_size', 3)
  kwargs.setdefault('data_format', 'NHWC')
  return {'shape': list(shape), 'dtype': dtype, 'num_outputs': num_outputs,
          'kwargs': kwargs, 'plan': plan, 'resource_variables': resource,
          'arg_scope_keys': [], 'custom_getter': False}


# Fixed cases run on every run, whatever hypothesis draws.
FIXED = {
    'pointwise_regularized_ref_vars': _config(
        4, resource=False, weights_regularizer='l2', biases_regularizer='l2',
        plan='reuse_true'),
    'depthwise_regularized_ref_vars': _config(
        None, resource=False, weights_regularizer='l1_l2',
        biases_regularizer='l2', plan='auto_reuse'),
    'pointwise_nchw_strided': _config(
        3, shape=(2, 3, 8, 8), data_format='NCHW', stride=[2, 1],
        depth_multiplier=2, weights_regularizer='l2'),
    'depthwise_nchw_atrous': _config(
        None, shape=(2, 3, 8, 8), data_format='NCHW', rate=2,
        padding='VALID'),
    'pointwise_normalized_collections': _config(
        5, dtype='float64', normalizer_fn='scaled',
        normalizer_params={'scale': 3.0}, trainable=False,
        variables_collections={'weights': ['w'], 'biases': ['b']},
        outputs_collections=['a', 'b'], plan='enclosing_reuse'),
    'depthwise_half_no_biases': _config(
        None, dtype='float16', biases_initializer='none', activation_fn='none',
        kernel_size=[1, 3], rate=[1, 2], variables_collections=['extra'],
        outputs_collections='end_points', plan='twice'),
    'pointwise_bfloat16_lowercase_padding': _config(
        2, dtype='bfloat16', padding='valid', stride=2,
        pointwise_initializer='constant', biases_initializer='constant'),
    # Keras' add_loss looked REGULARIZATION_LOSSES up even when the
    # regularizer returned None: tf-slim's graph has the (empty) key.
    'pointwise_regularizer_returning_none': _config(
        4, weights_regularizer='no_regularizer'),
    # The default xavier initializer: tf-slim computes the uniform limit as
    # sqrt(3 / n); tf.variance_scaling_initializer as sqrt(3 * (1 / n)),
    # which for n = (4 + 1) / 2 is one float64 ulp larger.
    'depthwise_float64_default_initializer': _config(
        None, dtype='float64', shape=(2, 5, 5, 4), kernel_size=1),
}


@pytest.mark.parametrize('name', sorted(FIXED))
def test_fixed_configuration_matches_tf_slim(name):
  _check_same(FIXED[name])


def test_arg_scope_and_custom_getter_match_tf_slim():
  config = _config(4, weights_regularizer='l2', activation_fn='relu6',
                   padding='VALID', plan='reuse_true')
  config.update(arg_scope_keys=['activation_fn', 'padding'],
                custom_getter=True)
  _check_same(config)


# derandomize: every run tries the same examples, so a failure here is
# reproducible for whoever sees it; explore more with
# `--hypothesis-seed` after dropping derandomize, or raise max_examples.
@hypothesis.settings(max_examples=60, deadline=None, derandomize=True,
                     suppress_health_check=[hypothesis.HealthCheck.too_slow])
@hypothesis.given(configs())
def test_random_configuration_matches_tf_slim(config):
  _check_same(config)


def test_resource_variable_setting_is_restored():
  before = tf.resource_variables_enabled()
  with _graph_utils.resource_variables(not before):
    assert tf.resource_variables_enabled() is (not before)
  assert tf.resource_variables_enabled() is before
