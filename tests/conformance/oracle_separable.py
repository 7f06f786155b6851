"""separable_conv2d's golden family, made on the oracle stack.

The oracle is TF 2.12.1 + tf-slim 1.1.0 (`python3 -m venv /tmp/oracle &&
/tmp/oracle/bin/pip install tensorflow-cpu==2.12.1 tf-slim==1.1.0`); the
goldens are made through the one generator:

    python tests/conformance/generate.py separable [--check]

This module holds the configurations as plain, JSON-able data, a builder
that takes the layer function, and a function turning one build into a
small JSON-able dict. The tests import it and build with contrib_compat's
function, so the golden and the comparison can only differ in the layer.

Golden files are `separable_<config name>.json`: the configuration, the
oracle's versions, and the data (small: short node lists, a few dozen
numbers).
"""
import contextlib
import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
if __package__ in (None, ''):
  # Run as a script (the oracle venv does not have this package installed).
  sys.path.insert(0, REPO)

import numpy as np
import tensorflow.compat.v1 as tf
import tf_slim

from tests.conformance import _graph_utils
from tests.conformance import golden_io
from tests.helpers import versions

SIGNIFICANT_DIGITS = 7

# --- separable_conv2d ---------------------------------------------------------
# A configuration is plain data: keyword arguments use tokens (strings) that
# the tables below turn into objects, so configurations print readably, go
# into JSON, and are drawn by the differential test's hypothesis strategy.

DTYPES = {'float16': tf.float16, 'bfloat16': tf.bfloat16,
          'float32': tf.float32, 'float64': tf.float64}


def scaled(x, scale=2.0):
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
def getter_normalizer(x, scale=2.0):
  """A normalizer whose variables come from plain get_variable, one `bias`.

  TF1's layer scope sent them through model_variable and renamed `bias`.
  """
  # Scalars: the channel axis depends on data_format, and shapes may be
  # dynamic.
  gain = tf.get_variable('gain', [], dtype=x.dtype,
                         initializer=tf.constant_initializer(scale))
  bias = tf.get_variable('bias', [], dtype=x.dtype,
                         initializer=tf.constant_initializer(0.5))
  return tf.add(x * gain, bias, name='normalized')


def prelu(x):
  """An activation with a variable of its own, made inside the layer scope."""
  alpha = tf.get_variable('alpha', [], dtype=x.dtype,
                          initializer=tf.constant_initializer(0.25))
  return tf.maximum(x, tf.zeros_like(x)) + alpha * tf.minimum(
      x, tf.zeros_like(x))


ACTIVATIONS = {'none': None, 'relu6': tf.nn.relu6, 'prelu': prelu}
NORMALIZERS = {'scaled': scaled, 'getter': getter_normalizer}
_FACTORIES = {
    'weights_regularizer': REGULARIZERS,
    'biases_regularizer': REGULARIZERS,
    'weights_initializer': WEIGHTS_INITIALIZERS,
    'pointwise_initializer': WEIGHTS_INITIALIZERS,
    'biases_initializer': BIASES_INITIALIZERS,
}
_TABLES = {'activation_fn': ACTIVATIONS, 'normalizer_fn': NORMALIZERS}
PLANS = ('once', 'twice', 'reuse_true', 'auto_reuse', 'enclosing_reuse')


def separable_config(num_outputs, dtype='float32', plan='once',
                     resource=True, shape=(2, 7, 6, 3), dynamic_shape=False,
                     arg_scope_keys=(), custom_getter=False, partitioned=False,
                     model_variable_device=False, **kwargs):
  """A separable_conv2d configuration; kwargs are the layer's (tokens).

  Args:
    num_outputs: the layer's num_outputs.
    dtype: a key of DTYPES.
    plan: how the layer is called, one of PLANS: once; twice in the default
      scope (uniquified); or twice with scope 'layer', the second time
      reusing through reuse=True, AUTO_REUSE both times, or an enclosing
      variable_scope('tower', reuse=True).
    resource: whether resource variables are on while building.
    shape: the input's shape (of the value fed, when dynamic_shape).
    dynamic_shape: whether the input placeholder leaves batch and spatial
      dimensions unknown (atrous convolutions then build dynamic paddings).
    arg_scope_keys: which kwargs come from an enclosing tf_slim.arg_scope.
    custom_getter: whether an enclosing scope has a recording custom getter.
    partitioned: whether an enclosing scope's partitioner splits 4-D
      variables in two along their input channels (where that is even).
    model_variable_device: whether an enclosing
      `arg_scope([tf_slim.model_variable], device='/cpu:0')` places variables.
    **kwargs: the layer's keyword arguments, objects given as tokens.
  """
  kwargs.setdefault('kernel_size', 3)
  kwargs.setdefault('data_format', 'NHWC')
  config = {'shape': list(shape), 'dynamic_shape': dynamic_shape,
            'dtype': dtype, 'num_outputs': num_outputs,
            'kwargs': kwargs, 'plan': plan, 'resource_variables': resource,
            'arg_scope_keys': sorted(arg_scope_keys),
            'custom_getter': custom_getter, 'partitioned': partitioned}
  if model_variable_device:
    # Only when set, so that the goldens written before it stay exact.
    config['model_variable_device'] = True
  return config


def _objects(kwargs):
  """Tokens -> the objects passed to the layer."""
  out = dict(kwargs)
  for key, table in _FACTORIES.items():
    if key in out:
      out[key] = table[out[key]]()
  for key, table in _TABLES.items():
    if key in out:
      out[key] = table[out[key]]
  return out


def _calls(plan, kwargs):
  """[(enclosing variable_scope kwargs or None, layer kwargs)] per call."""
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
  if plan == 'enclosing_reuse':
    return [({'name_or_scope': 'tower'}, scoped),
            ({'name_or_scope': 'tower', 'reuse': True}, scoped)]
  raise ValueError('unknown plan %r' % (plan,))


def _split_input_channels(shape, dtype):
  """A partitioner: 4-D variables in two along axis 2 when it is even."""
  del dtype  # unused
  if shape.ndims == 4 and shape[2] % 2 == 0:
    return [1, 1, 2, 1]
  return [1] * shape.ndims


def build_separable(fn, config):
  """Builds `config` with `fn` (a separable_conv2d) in a fresh graph.

  Everything is built inside variable_scope('outer'), which carries the
  recording custom getter and the partitioner when the configuration asks.

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
    shape = config['shape']
    if config['dynamic_shape']:
      channels = 1 if config['kwargs']['data_format'] == 'NCHW' else 3
      shape = [d if i == channels else None for i, d in enumerate(shape)]
    inputs = tf.placeholder(DTYPES[config['dtype']], shape, name='inputs')
    outputs = []
    partitioner = _split_input_channels if config['partitioned'] else None
    device = ({'device': '/cpu:0'} if config.get('model_variable_device')
              else {})
    with tf.variable_scope('outer', custom_getter=getter,
                           partitioner=partitioner), \
        tf_slim.arg_scope([fn], **scoped), \
        tf_slim.arg_scope([tf_slim.model_variable], **device):
      for enclosing, call_kwargs in _calls(config['plan'], kwargs):
        with (tf.variable_scope(**enclosing) if enclosing else
              contextlib.nullcontext()):
          outputs.append(fn(inputs, config['num_outputs'], **call_kwargs))
  return graph, inputs, outputs, seen


def runs_on_cpu(config):
  """Whether TF's CPU kernels run the layer: NHWC, equal strides.

  CPU kernels need not support NCHW, and DepthwiseConv2dNative takes only
  equal row and column strides.
  """
  kwargs = config['kwargs']
  stride = kwargs.get('stride', 1)
  return kwargs['data_format'] == 'NHWC' and (
      isinstance(stride, int) or stride[0] == stride[1])


def fixed_weights(graph):
  """name -> deterministic value of each global variable, in its dtype."""
  return {v.op.name: _graph_utils.fixed_values(
              v.op.name, v.shape.as_list()).astype(
                  v.dtype.base_dtype.as_numpy_dtype)
          for v in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)}


def _rounded(array):
  return [float('%.*g' % (SIGNIFICANT_DIGITS, x))
          for x in np.asarray(array, np.float64).ravel()]


def separable_golden(fn, config):
  """The golden data of one build: JSON-able, compact.

  nodes: [name, op, inputs] in creation order; variables: [name, shape,
  dtype, variable op]; collections: {key: item names}; getter_names: what the
  custom getter saw; outputs: per call, the output's name, aliases, shape
  and (when CPU kernels run it) values for fixed input and fixed weights.
  """
  graph, inputs, outputs, seen = build_separable(fn, config)
  golden = {
      'nodes': [list(n) for n in _graph_utils.nodes(graph.as_graph_def())],
      'variables': _graph_utils.variables(graph),
      'collections': _graph_utils.collections(graph),
      'getter_names': seen,
      'outputs': [{'name': t.name,
                   'aliases': list(getattr(t, 'aliases', [])),
                   'shape': t.shape.as_list()} for t in outputs],
  }
  if runs_on_cpu(config):
    value = _graph_utils.fixed_values('inputs', config['shape']).astype(
        inputs.dtype.as_numpy_dtype)
    results = _graph_utils.run_with_values(graph, outputs, {inputs: value},
                                           fixed_weights(graph))
    for out, result in zip(golden['outputs'], results):
      out['values'] = _rounded(result)
  return golden


SEPARABLE_CONFIGS = {
    'pointwise_default': separable_config(4, shape=(1, 6, 6, 3)),
    'depthwise_default': separable_config(
        None, shape=(1, 6, 6, 2), depth_multiplier=2),
    'pointwise_regularized_strided_valid': separable_config(
        3, shape=(1, 7, 7, 2), stride=2, padding='VALID',
        weights_regularizer='l2', biases_regularizer='l1_l2'),
    'depthwise_regularized_atrous_ref_vars_auto_reuse': separable_config(
        None, resource=False, shape=(1, 7, 7, 2), dynamic_shape=True, rate=2,
        plan='auto_reuse',
        weights_regularizer='l2', biases_regularizer='l2',
        weights_initializer='truncated_normal'),
    'pointwise_nchw': separable_config(
        2, shape=(1, 3, 6, 6), data_format='NCHW', depth_multiplier=2,
        weights_regularizer='l2'),
    'depthwise_nchw_strided_partitioned': separable_config(
        None, shape=(1, 2, 7, 7), data_format='NCHW', stride=[2, 1],
        kernel_size=[3, 1], partitioned=True),
    'pointwise_normalizer_collections_partitioned': separable_config(
        3, shape=(1, 5, 5, 2), partitioned=True, normalizer_fn='scaled',
        normalizer_params={'scale': 3.0}, trainable=False,
        variables_collections={'weights': ['w'], 'biases': ['b']},
        outputs_collections='end_points', activation_fn='relu6'),
    'depthwise_reuse_true_float64': separable_config(
        None, dtype='float64', shape=(1, 5, 5, 2), plan='reuse_true',
        biases_initializer='none', activation_fn='none',
        weights_regularizer='l2', variables_collections=['extra'],
        outputs_collections=['a', 'b']),
    'pointwise_float16_rectangular_atrous_dynamic_shape': separable_config(
        2, dtype='float16', shape=(1, 6, 6, 2), dynamic_shape=True,
        kernel_size=[3, 1], rate=[1, 2], biases_initializer='constant'),
    'pointwise_enclosing_reuse_getter_arg_scope': separable_config(
        4, shape=(1, 5, 5, 3), plan='enclosing_reuse', custom_getter=True,
        weights_regularizer='l2', pointwise_initializer='constant',
        arg_scope_keys=('padding', 'weights_regularizer'), padding='VALID'),
    'depthwise_bfloat16_twice': separable_config(
        None, dtype='bfloat16', shape=(1, 5, 5, 2), plan='twice',
        kernel_size=2, depth_multiplier=3),
}

# --- the files ----------------------------------------------------------------


def golden_path(name):
  """separable_<name>.json's repository path."""
  return 'tests/conformance/golden/separable_%s.json' % name


def _document(config, data):
  return {'oracle': {'tensorflow': tf.__version__,
                     'tf_slim': versions.installed('tf-slim')},
          'config': config, 'golden': data}


# A JSON list holding only scalars and scalar lists (a node, a shape, the
# output values): written on one line to keep files short.
_FLAT_LIST = re.compile(r'\[(?:[^\[\]{}]|\[[^\[\]{}]*\])*\]')


def _dumps(document):
  text = json.dumps(document, indent=1, sort_keys=True)
  return _FLAT_LIST.sub(lambda m: re.sub(r'\s*\n\s*', ' ', m.group()),
                        text) + '\n'


def _main(argv=None):
  out = golden_io.arguments(__doc__).parse_args(argv).out
  for name, config in SEPARABLE_CONFIGS.items():
    data = separable_golden(tf_slim.separable_conv2d, config)
    golden_io.write_text(out, golden_path(name),
                         _dumps(_document(config, data)))
  return 0


if __name__ == '__main__':
  sys.exit(_main())
