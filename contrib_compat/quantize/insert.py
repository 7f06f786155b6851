"""Fake-quant ops inserted after weights and activations, as TF1's rewrite.

Layers are found by op-type patterns (largest first: a layer with a bypass
add after its activation, a layer ending at an activation, a last layer
ending at its bias add, the depthwise half of a separable conv); each gets

* `<ctx>/weights_quant` after its weights (last-value range, narrow range),
* `<ctx>/act_quant` after its activation (moving-average range, init 0..6),
* with a bypass add before the activation, `<ctx>/conv_quant` on the bias
  add and `<ctx>/add_quant` after the bypass (unless an activation follows),
* `<ctx>/post_activation_bypass_quant` after a bypass after the activation.

Then every Add / AddV2 / Mul whose inputs come (through pass-through ops)
from quantized tensors gets `<op>/activation_<type>_quant`. With
`quant_delay`, each fake quant is a `delayed_quant` cond on
`fake_quantization_step >= quant_delay`.
"""
import collections
import dataclasses
import re
from typing import Any, Optional, Sequence

import tensorflow.compat.v1 as tf

from contrib_compat.quantize import _graph_edit
from contrib_compat.quantize import fold
from contrib_compat.quantize import graph_matcher as gm
from contrib_compat.quantize import quant_ops

_QUANTIZABLE = 'Conv2D|MatMul|DepthwiseConv2dNative'
_ACTIVATION_TYPES = {'Relu', 'Relu6', 'Identity'}
_RELU_TYPES = {'Relu', 'Relu6'}
_ADD_MUL = {'Add', 'AddV2', 'Mul'}
_PASS_THROUGH = {'Reshape', 'Identity', 'BatchToSpaceND', 'SpaceToBatchND',
                 'MaxPool', 'Max'}
_FAKE_QUANTS = {'FakeQuantWithMinMaxVars', 'FakeQuantWithMinMaxArgs',
                'FakeQuantWithMinMaxVarsPerChannel'}


class Options(collections.namedtuple('Options', [
    'is_training', 'weight_bits', 'activation_bits', 'symmetric', 'ema_decay',
    'quant_delay', 'vars_collection', 'scope'])):
  """The rewrite's arguments, as `quantize` takes them."""


class LayerMatch(collections.namedtuple('LayerMatch', [
    'layer_op', 'weight_tensor', 'activation_op', 'bypass_op',
    'post_activation_bypass_op', 'bias_add_op'])):
  """One layer to quantize (None for the parts it does not have)."""


@dataclasses.dataclass(frozen=True)
class _Site:
  """Where a fake quant goes: `<context>/<name>`, between `producer` and
  `consumers`, if the producer is inside `producer_scope` and every consumer
  inside `consumer_scope` (None: anywhere)."""
  context: str
  name: str
  producer: Any
  consumers: Sequence[Any]
  producer_scope: Optional[str] = None
  consumer_scope: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class _Range:
  """How a fake quant tracks its range; None takes the rewrite's option."""
  moving_average: bool = True
  init_min: float = -6.0
  narrow_range: bool = False
  bits: Optional[int] = None
  symmetric: Optional[bool] = None


def quantize(graph, options):
  """Inserts the fake quants into `graph` (see the module docstring)."""
  scope = options.scope
  if scope and not scope.endswith('/'):
    scope += '/'
  readers = fold.consumers_map(graph)

  def insert(context, name, producer, range_=_Range(), **scopes):
    site = _Site(context, name, producer, fold.consumers_of(readers, producer),
                 **scopes)
    _insert(options, site, range_)

  quantized = set()
  for layer in _find_layers(graph):
    context = _context(layer.layer_op.name)
    if layer.weight_tensor is not None:
      insert(context, 'weights_quant', layer.weight_tensor.op,
             _Range(moving_average=False, narrow_range=True,
                    bits=options.weight_bits), consumer_scope=scope)
    add_context = context
    if layer.bypass_op is not None:
      add_context = _context(context)
    if layer.activation_op is not None:
      insert(add_context, 'act_quant', layer.activation_op,
             _Range(init_min=0.0), producer_scope=scope)
      quantized.add(layer.activation_op)
    if layer.bypass_op is not None:
      insert(context, 'conv_quant', layer.bias_add_op, producer_scope=scope,
             consumer_scope=scope)
      quantized.add(layer.bias_add_op)
      after = fold.consumers_of(readers, layer.bypass_op)
      # An activation after the add is fused into it at inference.
      if any(op.type in _ACTIVATION_TYPES for op in after):
        tf.logging.info('Skipping %s, because its followed by an activation.',
                        layer.bypass_op.name)
      else:
        insert(add_context, 'add_quant', layer.bypass_op,
               producer_scope=scope, consumer_scope=scope)
        quantized.add(layer.bypass_op)
    post = layer.post_activation_bypass_op
    if post is not None:
      after = fold.consumers_of(readers, post)
      if any(op.type in _RELU_TYPES for op in after):
        tf.logging.info('Skipping %s, because its followed by an activation.',
                        post.name)
      else:
        insert(_context(post.name), 'post_activation_bypass_quant', post,
               producer_scope=scope)
        quantized.add(post)
  _quantize_adds_and_muls(graph, options, quantized, scope)


def _quantize_adds_and_muls(graph, options, quantized, scope):
  """activation_<type>_quant after each Add/Mul fed by quantized values."""
  readers = fold.consumers_map(graph)
  for op in graph.get_operations():
    if _needs_quant(op, quantized):
      tf.logging.info('Inserting fake quant op activation_%s_quant after %s',
                      op.type, op.name)
      site = _Site(op.name, 'activation_' + op.type + '_quant', op,
                   fold.consumers_of(readers, op), producer_scope=scope)
      _insert(options, site, _Range(symmetric=False))


def _needs_quant(op, quantized):
  """Whether an Add / AddV2 / Mul reads (through pass-through ops) a fake
  quant or such an op, and is not followed only by a relu."""
  if op in quantized or op.type not in _ADD_MUL:
    return False
  if len(op.outputs) == 1 and len(op.outputs[0].consumers()) == 1:
    if op.outputs[0].consumers()[0].type in _RELU_TYPES:
      tf.logging.info('Skipping quant after %s', op.name)
      return False
  for tensor in op.inputs:
    source = tensor.op
    while source.type in _PASS_THROUGH:
      source = source.inputs[0].op
    if (source.type == 'FakeQuantWithMinMaxVars' or
        source.name.find('delayed_quant/Merge') > 0):
      return True
    if source.type in _ADD_MUL and any(
        _needs_quant(t.op, quantized) for t in source.inputs):
      return True
  return False


def _layer_patterns():
  """The patterns of one layer, by role (see _find_layers; '*' in an input
  list: any op, not looked up)."""
  unordered = lambda types, inputs: gm.OpTypePattern(
      types, inputs=inputs, ordered_inputs=False)
  p = {}
  variable = gm.OpTypePattern('Variable|VariableV2')
  partition = gm.OpTypePattern('Identity', inputs=[variable])
  concat = gm.OpTypePattern('ConcatV2', inputs=[partition, '*', '*'])
  p['weight_identity'] = gm.OpTypePattern(
      'Identity', inputs=[gm.OneofPattern([partition, concat, variable])])
  p['weight_resource'] = gm.OpTypePattern('ReadVariableOp')
  p['folded_weight'] = gm.OpTypePattern('Mul')
  p['layer'] = unordered(_QUANTIZABLE, [
      '*', gm.OneofPattern([p['weight_identity'], p['weight_resource'],
                            p['folded_weight']])])
  # Atrous depthwise convs are followed by a BatchToSpaceND.
  batch_to_space = gm.OpTypePattern('BatchToSpaceND',
                                    inputs=[p['layer'], '*', '*'])
  layer_output = gm.OneofPattern([batch_to_space, p['layer']])
  # A separable conv: a layer right after a layer.
  p['separable'] = unordered(_QUANTIZABLE,
                             [gm.OneofPattern([layer_output]), '*'])
  folded_bias_mul = unordered('Mul', ['*', layer_output])
  correction = unordered('Add|AddV2', [folded_bias_mul, '*'])
  p['folded_bias_add'] = unordered('Add|AddV2', [correction, '*'])
  # Batch norms with forced updates end in an Identity.
  bn_identity = gm.OpTypePattern('Identity', inputs=[p['folded_bias_add']])
  p['bias_add'] = unordered('Add|AddV2|BiasAdd', [layer_output, '*'])
  p['bypass'] = unordered('Add|AddV2', [
      gm.OneofPattern([p['bias_add'], p['folded_bias_add'], bn_identity]),
      '*'])
  p['activation'] = gm.OpTypePattern(
      '|'.join(sorted(_ACTIVATION_TYPES)), inputs=[gm.OneofPattern([
          p['bias_add'], p['folded_bias_add'], bn_identity, p['bypass'],
          p['layer']])])
  p['post_activation_bypass'] = unordered('Add|AddV2',
                                          ['*', p['activation']])
  p['final'] = gm.OneofPattern([p['bias_add'], p['folded_bias_add']])
  return p


def _find_layers(graph):
  """A LayerMatch per layer, each layer once, the largest match winning.

  Matches overlap, so they are taken largest first: with a post-activation
  bypass, ending at an activation, ending at a bias add (the last layer),
  separable convs' depthwise halves.
  """
  p = _layer_patterns()
  found, layers = [], set()

  def weights(result, folded=True):
    for role in ('weight_identity', 'weight_resource') + (
        ('folded_weight',) if folded else ()):
      tensor = result.get_tensor(p[role])
      if tensor is not None:
        return tensor
    return None

  def bias_add(result):
    op = result.get_op(p['bias_add'])
    return op if op is not None else result.get_op(p['folded_bias_add'])

  def add(match):
    if match.layer_op not in layers:
      layers.add(match.layer_op)
      found.append(match)

  matches = lambda role: gm.GraphMatcher(p[role]).match_graph(graph)
  for r in matches('post_activation_bypass'):
    add(LayerMatch(r.get_op(p['layer']), weights(r), r.get_op(p['activation']),
                   r.get_op(p['bypass']), r.get_op(p['post_activation_bypass']),
                   bias_add(r)))
  for r in matches('activation'):
    activation = r.get_op(p['activation'])
    if r.get_op(p['layer']) not in layers and not _feeds_fused_batch_norm(
        activation):
      add(LayerMatch(r.get_op(p['layer']), weights(r), activation,
                     r.get_op(p['bypass']), None, bias_add(r)))
  for r in matches('final'):
    # The bias add's output is quantized as the activation.
    add(LayerMatch(r.get_op(p['layer']), weights(r), bias_add(r), None, None,
                   None))
  for r in matches('separable'):
    add(LayerMatch(r.get_op(p['layer']), weights(r, folded=False),
                   r.get_op(p['layer']), None, None, None))
  return found


def _feeds_fused_batch_norm(activation):
  """conv -> Identity -> fused batch norm: the Identity is the batch norm's
  input (its statistics after folding), not an activation."""
  if activation.type != 'Identity' or len(activation.outputs) != 1:
    return False
  readers = activation.outputs[0].consumers()
  if len(readers) == 1 and readers[0].type in ('FusedBatchNorm',
                                               'FusedBatchNormV3'):
    tf.logging.info(
        'Skipping quantizing %s, because it is the output of a conv/fc '
        'followed by a identity, feeding a fused batch norm.',
        activation.name)
    return True
  return False


def _followed_by_fake_quant(tensor):
  readers = tensor.consumers()
  while readers:
    reader = readers.pop()
    if reader.type in _FAKE_QUANTS:
      return True
    if reader.type in ('Reshape', 'Identity'):
      for output in reader.outputs:
        readers.extend(output.consumers())
  return False


def _insert(options, site, range_):
  """A fake quant at `site` (a _Site), ranged as `range_` (a _Range).

  Nothing when the producer is outside `producer_scope`, a consumer outside
  `consumer_scope`, or the producer's output is already fake-quantized.
  """
  context, name, producer, consumers = (site.context, site.name,
                                        site.producer, site.consumers)
  producer_scope, consumer_scope = site.producer_scope, site.consumer_scope
  if producer_scope and not producer.name.startswith(producer_scope):
    tf.logging.info('_InsertQuantOp ignores context="%s" name="%s" because '
                    'producer "%s" is not in scope "%s"', context, name,
                    producer.name, producer_scope)
    return
  if consumer_scope:
    for consumer in consumers:
      if not consumer.name.startswith(consumer_scope):
        tf.logging.info('_InsertQuantOp context="%s" name="%s" ignores '
                        'consumer "%s" because it is not in scope "%s"',
                        context, name, consumer.name, consumer_scope)
        return
  name_prefix = context + '/' + name if context else name
  # Under TPUReplicate/loop the names already carry the scope.
  current = tf.get_default_graph().get_name_scope()
  if current and name_prefix.startswith(current + '/'):
    name_prefix = name_prefix[len(current) + 1:]
  inputs = producer.outputs[0]
  if _followed_by_fake_quant(inputs):
    return
  symmetric = options.symmetric if range_.symmetric is None else (
      range_.symmetric)
  config = quant_ops.RangeConfig(
      moving_average=range_.moving_average, init_min=range_.init_min,
      init_max=6.0, ema_decay=options.ema_decay,
      is_training=options.is_training,
      bits=range_.bits or options.activation_bits,
      narrow_range=range_.narrow_range, symmetric=symmetric,
      vars_collection=options.vars_collection)
  quant = quant_ops.quantize(inputs, name_prefix, config)
  if options.quant_delay and options.quant_delay > 0:
    active = tf.greater_equal(quant_ops.quantization_step(),
                              options.quant_delay,
                              name=name_prefix + '/activate_quant')
    quant = tf.cond(active, lambda: quant, lambda: inputs,
                    name=name_prefix + '/delayed_quant')
  if consumers:
    changed = _graph_edit.reroute(quant, inputs, can_modify=consumers)
    # An op may read the tensor twice: at least one change per consumer.
    if changed < len(consumers):
      raise ValueError('No inputs quantized for ops: [%s]' % ', '.join(
          consumer.name for consumer in consumers))


def _context(name):
  """'a/b/c' -> 'a/b'; 'c' -> ''."""
  found = re.search(r'^(.*)/([^/]+)', name)
  return found.group(1) if found else ''
