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
import hypothesis
from hypothesis import strategies as st
import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim

from contrib_compat import separable_conv2d
from tests.conformance import _graph_utils
from tests.conformance import oracle_separable

pytestmark = [
    # tf-slim's pointwise branch goes through Keras' deprecated layer.apply.
    pytest.mark.filterwarnings('ignore:`layer.apply` is deprecated'),
]

# Outputs are computed by the same kernels from the same values, so these only
# absorb reduction-order noise; float32 is the bound the issue sets.
TOLERANCE = {'float16': 1e-3, 'bfloat16': 1e-2, 'float32': 1e-6,
             'float64': 1e-12}
build = oracle_separable.build_separable
_config = oracle_separable.separable_config


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
  tokens = lambda table: st.sampled_from(sorted(table))
  optional = {
      'weights_regularizer': tokens(oracle_separable.REGULARIZERS),
      'biases_regularizer': tokens(oracle_separable.REGULARIZERS),
      'weights_initializer': tokens(oracle_separable.WEIGHTS_INITIALIZERS),
      'pointwise_initializer': tokens(oracle_separable.WEIGHTS_INITIALIZERS),
      'biases_initializer': tokens(oracle_separable.BIASES_INITIALIZERS),
      'activation_fn': tokens(oracle_separable.ACTIVATIONS),
      'normalizer_fn': tokens(oracle_separable.NORMALIZERS),
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
  return _config(
      num_outputs, dtype=draw(tokens(oracle_separable.DTYPES)),
      plan=draw(st.sampled_from(oracle_separable.PLANS)),
      resource=draw(st.booleans()), shape=shape,
      dynamic_shape=draw(st.booleans()),
      # These keyword arguments come from an enclosing tf_slim.arg_scope.
      arg_scope_keys=draw(st.sets(st.sampled_from(sorted(kwargs)))),
      custom_getter=draw(st.booleans()), partitioned=draw(st.booleans()),
      model_variable_device=draw(st.booleans()), **kwargs)


def _check_same(config):
  ref_graph, ref_inputs, ref_outputs, ref_seen = build(
      tf_slim.separable_conv2d, config)
  graph, inputs, outputs, seen = build(separable_conv2d, config)

  _graph_utils.collections(ref_graph)  # see assert_same_as_tf_slim_on_tf2
  ref_def, our_def = ref_graph.as_graph_def(), graph.as_graph_def()
  _graph_utils.assert_same_as_tf_slim_on_tf2(
      _graph_utils.nodes(our_def, attrs=True),
      _graph_utils.nodes(ref_def, attrs=True))
  assert _graph_utils.variables(graph) == _graph_utils.variables(ref_graph)
  placed = lambda g: [(v.op.name, v.device) for v in g.get_collection(
      tf.GraphKeys.GLOBAL_VARIABLES)]
  assert placed(graph) == placed(ref_graph)
  assert (_graph_utils.collections(graph) ==
          _graph_utils.collections(ref_graph))
  reg = tf.GraphKeys.REGULARIZATION_LOSSES
  assert ([_graph_utils.item_name(t) for t in graph.get_collection(reg)] ==
          [_graph_utils.item_name(t) for t in ref_graph.get_collection(reg)])
  assert seen == ref_seen
  assert [t.name for t in outputs] == [t.name for t in ref_outputs]
  assert ([getattr(t, 'aliases', None) for t in outputs] ==
          [getattr(t, 'aliases', None) for t in ref_outputs])

  if not oracle_separable.runs_on_cpu(config):
    return
  dtype = oracle_separable.DTYPES[config['dtype']]
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
    # Partitioned, the default initializer differs in float32 too: tf-slim's
    # xavier takes fans from the partition's shape, TF's variance scaling
    # from partition_info.full_shape.
    'pointwise_partitioned_default_initializer': _config(
        3, shape=(2, 5, 5, 4), partitioned=True),
    'pointwise_partitioned_truncated_normal': _config(
        3, shape=(2, 5, 5, 4), partitioned=True,
        weights_initializer='truncated_normal', weights_regularizer='l2',
        variables_collections=['extra'], plan='reuse_true'),
    # TF1's scope getter: the normalizer's and activation's own variables
    # become model variables, `bias` renamed to `biases`, placed by
    # arg_scope([model_variable], device=...).
    'pointwise_getter_normalizer_prelu_on_cpu': _config(
        4, normalizer_fn='getter', activation_fn='prelu',
        model_variable_device=True, plan='reuse_true'),
    'depthwise_getter_normalizer_prelu_on_cpu': _config(
        None, normalizer_fn='getter', activation_fn='prelu',
        model_variable_device=True, custom_getter=True, plan='twice'),
}


@pytest.mark.parametrize('name', sorted(FIXED))
def test_fixed_configuration_matches_tf_slim(name):
  _check_same(FIXED[name])


def test_arg_scope_and_custom_getter_match_tf_slim():
  _check_same(_config(4, weights_regularizer='l2', activation_fn='relu6',
                     padding='VALID', plan='reuse_true', custom_getter=True,
                     arg_scope_keys=['activation_fn', 'padding']))


# derandomize: every run tries the same examples, so a failure here is
# reproducible for whoever sees it; explore more with
# `--hypothesis-seed` after dropping derandomize, or raise max_examples.
@hypothesis.settings(max_examples=100, deadline=None, derandomize=True,
                     suppress_health_check=[hypothesis.HealthCheck.too_slow])
@hypothesis.given(configs())
def test_random_configuration_matches_tf_slim(config):
  _check_same(config)


def test_resource_variable_setting_is_restored():
  before = tf.resource_variables_enabled()
  with _graph_utils.resource_variables(not before):
    assert tf.resource_variables_enabled() is (not before)
  assert tf.resource_variables_enabled() is before
