"""The 21 depthwise layers of a real TF 1.13 graph, rebuilt node for node.

The fixture (see SOURCE.md beside it) is an SSD MobileNet V2 MetaGraphDef and
checkpoint index written by TF 1.13.1 with tf.contrib.slim, resource variables
off. Every DepthwiseConv2dNative node in it comes from
`separable_conv2d(net, None, ...)`. For each one the layer's configuration is
read back from the graph (input channels, kernel shape, strides, padding,
data format, atrous rate, initializer, regularizer, normalizer epsilon,
activation, scope path), the layer is rebuilt with contrib_compat in a fresh
graph, and must give the same variables as the checkpoint and the same nodes
(names, op types, inputs, attributes) as the TF 1.13 graph.

The BatchNorm subtree belongs to the normalizer (tf-slim's batch_norm, not
this layer); a stand-in with batch_norm's variables is used and only its
variables and its place in the wiring are compared.

One difference comes from TensorFlow itself, not from the layer, and is
excluded exactly (the exclusion asserts that it is exactly that):
  * `<scope>/depthwise_weights/Initializer/truncated_normal` is an `Add` in
    TF 1.13 and an `AddV2` on TF 2.x: tf.truncated_normal_initializer computes
    `mul + mean`, and TF 2 emits AddV2 for tensor addition.
TF 2.x's get_variable also calls the regularizer once more, outside every
name scope, leaving root-level `l2_regularizer/...` nodes; this package never
hands get_variable a regularizer (see variables.regularized_variable), so
its graph has only TF 1.13's nodes, and this test checks that.
"""
import functools

import pytest
import tensorflow.compat.v1 as tf
import tf_slim
from tensorflow.core.protobuf import meta_graph_pb2

from contrib_compat import separable_conv2d
from tests.conformance import _graph_utils

NUM_LAYERS = 21
ACTIVATIONS = {'Relu6': tf.nn.relu6, 'Relu': tf.nn.relu}
# Attributes written by export (`add_shapes=True`), not by the layer.
EXPORT_ONLY_ATTRS = {'_output_shapes'}

@functools.lru_cache(maxsize=None)
def _load(fixture_dir):
  meta = meta_graph_pb2.MetaGraphDef()
  meta.ParseFromString((fixture_dir / 'model.ckpt.meta').read_bytes())
  # Both read the index only: the fixture has no data file.
  prefix = str(fixture_dir / 'model.ckpt')
  dtypes = tf.train.load_checkpoint(prefix).get_variable_to_dtype_map()
  checkpoint = {name: (shape, dtypes[name].name)
                for name, shape in tf.train.list_variables(prefix)}
  return meta, checkpoint


@pytest.fixture
def tf113(tf113_fixture):
  """(MetaGraphDef, checkpoint {name: (shape, dtype)}, depthwise NodeDefs)."""
  meta, checkpoint = _load(tf113_fixture)
  depthwise = [n for n in meta.graph_def.node
               if n.op == 'DepthwiseConv2dNative']
  return meta, checkpoint, depthwise


def _attr(node, key):
  value = node.attr[key]
  return value.s.decode() if value.s else list(value.list.i)


def _layer_config(graph_def, node):
  """The separable_conv2d arguments that built `node`, read from the graph."""
  by_name = {n.name: n for n in graph_def.node}
  scope, leaf = node.name.rsplit('/', 1)
  assert leaf == 'depthwise'
  # Depthwise-only branch: no pointwise weights and no biases (BatchNorm).
  assert scope + '/pointwise_weights' not in by_name
  assert scope + '/biases' not in by_name
  weights = by_name[node.input[1].rsplit('/read', 1)[0]]
  assert weights.name == scope + '/depthwise_weights'
  kernel = [d.size for d in weights.attr['shape'].shape.dim]
  shapes = by_name[node.input[0]].attr['_output_shapes'].list.shape
  input_shape = [d.size for d in shapes[0].dim]
  data_format = _attr(node, 'data_format')
  channels = input_shape[1 if data_format == 'NCHW' else 3]
  assert channels == kernel[2]
  strides = _attr(node, 'strides')
  stride = strides[2:] if data_format == 'NCHW' else strides[1:3]
  rate = _graph_utils.const_value(by_name[scope + '/depthwise/dilation_rate'])
  init = scope + '/depthwise_weights/Initializer/truncated_normal/'
  scale = by_name.get(scope + '/depthwise_weights/Regularizer/l2_regularizer/'
                      'scale')
  norm = by_name[scope + '/BatchNorm/FusedBatchNorm']
  consumers = [n for n in graph_def.node if norm.name in n.input]
  assert len(consumers) == 1 and consumers[0].name.startswith(scope + '/')
  return {
      'scope': scope,
      'input_shape': [None if d < 0 else d for d in input_shape],
      'kernel_size': kernel[:2],
      'depth_multiplier': kernel[3],
      'stride': stride,
      'padding': _attr(node, 'padding'),
      'data_format': data_format,
      'rate': [int(r) for r in rate],
      'mean': float(_graph_utils.const_value(by_name[init + 'mean'])),
      'stddev': float(_graph_utils.const_value(by_name[init + 'stddev'])),
      'l2_scale': (None if scale is None else
                   float(_graph_utils.const_value(scale))),
      'epsilon': norm.attr['epsilon'].f,
      'activation': consumers[0].op,
  }


def _batch_norm(inputs, epsilon):
  """Stand-in for slim.batch_norm at inference: its four variables, fused."""
  channels = inputs.shape[-1]
  with tf.variable_scope('BatchNorm'):
    gamma = tf.get_variable('gamma', [channels],
                            initializer=tf.ones_initializer())
    beta = tf.get_variable('beta', [channels],
                           initializer=tf.zeros_initializer())
    mean = tf.get_variable('moving_mean', [channels], trainable=False,
                           initializer=tf.zeros_initializer())
    variance = tf.get_variable('moving_variance', [channels], trainable=False,
                               initializer=tf.ones_initializer())
    outputs, _, _ = tf.nn.fused_batch_norm(
        inputs, gamma, beta, mean=mean, variance=variance, epsilon=epsilon,
        is_training=False)
  return outputs


def _rebuild(config, normalizer_fn=_batch_norm, normalizer_params=None):
  """contrib_compat's layer for `config`, in a fresh graph, ref variables."""
  graph = tf.Graph()
  outer, scope = config['scope'].rsplit('/', 1)
  regularizer = (None if config['l2_scale'] is None else
                 tf_slim.l2_regularizer(config['l2_scale']))
  with _graph_utils.resource_variables(False), graph.as_default():
    inputs = tf.placeholder(tf.float32, config['input_shape'], name='inputs')
    with tf.variable_scope(outer):
      separable_conv2d(
          inputs, None, config['kernel_size'],
          depth_multiplier=config['depth_multiplier'],
          stride=config['stride'], padding=config['padding'],
          data_format=config['data_format'], rate=config['rate'],
          activation_fn=ACTIVATIONS[config['activation']],
          normalizer_fn=normalizer_fn,
          normalizer_params=normalizer_params or {
              'epsilon': config['epsilon']},
          weights_initializer=tf.truncated_normal_initializer(
              mean=config['mean'], stddev=config['stddev']),
          weights_regularizer=regularizer,
          scope=scope)
  return graph


def _layer_nodes(graph_def, scope):
  """The layer's own nodes: under `scope`, minus the normalizer's subtree.

  Inputs from outside the scope read '<inputs>', inputs from the normalizer
  '<normalizer>'; attributes as {key: serialized value}.
  """
  norm = scope + '/BatchNorm/'

  def rename(name):
    if name.lstrip('^').startswith(norm):
      return '<normalizer>'
    return name if name.lstrip('^').startswith(scope + '/') else '<inputs>'

  return [(name, op, inputs, dict(attrs)) for name, op, inputs, attrs in
          _graph_utils.nodes(graph_def, rename=rename, attrs=True,
                             keep=lambda n: (n.startswith(scope + '/') and
                                             not n.startswith(norm)))]


def _normalizer_inputs(graph_def, scope):
  """Inputs of the normalizer's subtree that come from outside it."""
  norm = scope + '/BatchNorm/'
  return sorted({i for n in graph_def.node if n.name.startswith(norm)
                 for i in n.input if not i.startswith(norm)})


def test_fixture_has_21_depthwise_layers(tf113):
  meta, _, depthwise = tf113
  assert meta.meta_info_def.tensorflow_version == '1.13.1'
  assert len(depthwise) == NUM_LAYERS
  configs = [_layer_config(meta.graph_def, n) for n in depthwise]
  # The fixture exercises both strides and both regularizer settings.
  assert {tuple(c['stride']) for c in configs} == {(1, 1), (2, 2)}
  assert sum(c['l2_scale'] is not None for c in configs) == 4


@pytest.mark.parametrize('index', range(NUM_LAYERS))
def test_layer_matches_tf113(tf113, index):
  meta, checkpoint, depthwise = tf113
  config = _layer_config(meta.graph_def, depthwise[index])
  scope = config['scope']
  graph = _rebuild(config)
  ours_def = graph.as_graph_def()

  # Variables: names, shapes and dtypes as in the TF 1.13 checkpoint.
  assert {v.op.name: (v.shape.as_list(), v.dtype.base_dtype.name)
          for v in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)} == {
              name: value for name, value in checkpoint.items()
              if name.startswith(scope + '/')}
  # The stand-in normalizer's plain get_variable calls too: TF1's scope-wide
  # getter sent every variable under the layer's scope to model_variable.
  assert [v.op.name for v in
          graph.get_collection(tf.GraphKeys.MODEL_VARIABLES)] == [
              scope + '/depthwise_weights'] + [
                  scope + '/BatchNorm/' + name for name in
                  ('gamma', 'beta', 'moving_mean', 'moving_variance')]

  # The layer's nodes, node for node, with the AddV2 exclusion.
  theirs = _layer_nodes(meta.graph_def, scope)
  ours = _layer_nodes(ours_def, scope)
  initializer = scope + '/depthwise_weights/Initializer/truncated_normal'
  op_changes = {name: (t_op, o_op) for (name, t_op, _, _), (_, o_op, _, _)
                in zip(theirs, ours) if t_op != o_op}
  assert op_changes == {initializer: ('Add', 'AddV2')}
  assert ([(n, i) for n, _, i, _ in ours] == [(n, i) for n, _, i, _ in theirs])
  for (name, _, _, t_attrs), (_, _, _, o_attrs) in zip(theirs, ours):
    keys = set(t_attrs) - EXPORT_ONLY_ATTRS
    assert {k: o_attrs.get(k) for k in keys} == {k: t_attrs[k]
                                                 for k in keys}, name

  # The normalizer hangs where it did: fed by the depthwise conv only.
  assert (_normalizer_inputs(ours_def, scope) ==
          _normalizer_inputs(meta.graph_def, scope) == [scope + '/depthwise'])

  # Regularization losses: the TF 1.13 loss ops, by name.
  assert [t.op.name for t in
          graph.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)] == [
              n.name for n in meta.graph_def.node
              if n.name == scope + '/depthwise_weights/Regularizer/'
              'l2_regularizer']

  # Nothing else in our graph but the input (no root-level regularizer
  # nodes: TF 1.13 had none).
  weights_read = scope + '/depthwise_weights/read'
  rest = _graph_utils.nodes(
      ours_def, rename=lambda n: '<weights>' if n == weights_read else n,
      keep=lambda n: not n.startswith(scope + '/'))
  assert rest == [('inputs', 'Placeholder', [])]
