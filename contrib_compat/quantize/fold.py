"""Batch norms folded into the layer before them, as TF1's rewrite did.

A conv / depthwise conv / fully connected layer followed by a batch norm
becomes one layer with scaled weights and a bias, so that the weights the
model will run with are the ones fake-quantized:

    w' = w * gamma / sqrt(variance + epsilon)
    b' = beta - mean * gamma / sqrt(variance + epsilon)

For a fused batch norm (FusedBatchNorm / FusedBatchNormV3, found by op-type
patterns) the new ops go to `<layer scope>/BatchNorm_Fold/`, `mul_fold`,
`<Conv2D>_Fold`, `add_fold`. For an unfused one (found by the names TF1's
unfused batch_norm gave its ops, `<ctx>BatchNorm/batchnorm_1/...`) they are
`<ctx>mul_fold`, `<op>_Fold`, `<ctx>add_fold`.

In a training graph the batch statistics drive the batch norm while the
weights are scaled by the moving ones; `correction_*` terms undo the
difference, and after `freeze_bn_delay` steps the moving statistics are
frozen (their decay becomes 0) and used instead.

TF1's quirks kept: an unfused batch norm followed neither by an activation
nor by a bypass op *named* `<ctx>/AddV2` raises KeyError (TF1 looked the add
up by its type as a name); the fused training batch norm's variance has
Bessel's correction undone, and gets the `FoldFusedBatchNormGrad` gradient.
"""
import collections
import re

import tensorflow as tf2
import tensorflow.compat.v1 as tf

from contrib_compat.quantize import _graph_edit
from contrib_compat.quantize import graph_matcher as gm
from contrib_compat.quantize import quant_ops

_LAYER_TYPES = 'Conv2D|DepthwiseConv2dNative|MatMul'
_FUSED_TYPES = 'FusedBatchNorm|FusedBatchNormV3'
# Ops that compute gradients or optimizer state are not rewritten.
SKIPPED_PREFIXES = ('gradients/', 'RMSProp/', 'Adagrad/', 'Const_',
                    'HistogramSummary', 'ScalarSummary')
_ACTIVATION_SUFFIXES = ('Relu6', 'Relu', 'Identity')
_UNFUSED_RE = re.compile(r'^(.*)BatchNorm/batchnorm')


class BatchNormMatch(collections.namedtuple('BatchNormMatch', [
    'layer_op', 'bn_op', 'output_tensor', 'input_tensor', 'weight_tensor',
    'gamma_tensor', 'beta_tensor', 'mean_tensor', 'variance_tensor',
    'moving_mean_tensor', 'moving_variance_tensor', 'bn_decay_mean_tensor',
    'bn_decay_var_tensor', 'batch_epsilon', 'batch_to_space_op'])):
  """What folding one batch norm needs (None where a kind has no such part)."""


def fold_batch_norms(graph, is_training, freeze_batch_norm_delay=None):
  """Folds every fused, then every unfused, batch norm of `graph`."""
  _fold_fused(graph, is_training, freeze_batch_norm_delay)
  _fold_unfused(graph, is_training, freeze_batch_norm_delay)


def consumers_map(graph):
  """tensor -> set of ops reading it, ops under SKIPPED_PREFIXES left out.

  Built once: new ops are never adjacent to the ones looked up, so a map
  made before the rewrite still answers (as TF1's InputToOps).
  """
  readers = collections.defaultdict(set)
  for op in graph.get_operations():
    if not op.name.startswith(SKIPPED_PREFIXES):
      for tensor in op.inputs:
        readers[tensor].add(op)
  return readers


def consumers_of(readers, op):
  return set().union(*(readers[t] for t in op.outputs))


# --- fused batch norms --------------------------------------------------------


def _fold_fused(graph, is_training, freeze_batch_norm_delay):
  for match in _find_fused(graph):
    scope, sep, _ = match.layer_op.name.rpartition('/')
    # The trailing '/' re-enters the layer's scope instead of making scope_1.
    with graph.as_default(), graph.name_scope(scope + sep):
      with graph.name_scope(scope + sep + 'BatchNorm_Fold' + sep):
        multiplier = match.gamma_tensor * tf.rsqrt(
            match.variance_tensor + match.bn_op.get_attr('epsilon'))
        bias = tf.subtract(match.beta_tensor,
                           match.mean_tensor * multiplier, name='bias')
        corrections = None
        if is_training:
          corrections = _corrections('', match, freeze_batch_norm_delay)
        correction_scale = corrections and corrections[0]
        if match.layer_op.type == 'DepthwiseConv2dNative':
          # Depthwise weights are [h, w, in, multiplier].
          shape = match.weight_tensor.get_shape().as_list()[2:4]
          multiplier = tf.reshape(multiplier, shape, name='scale_reshape')
          if corrections:
            correction_scale = tf.reshape(correction_scale, shape,
                                          name='correction_reshape')
      weights = match.weight_tensor
      if corrections:
        weights = tf.multiply(correction_scale, weights,
                              name='correction_mult')
      weights = tf.multiply(weights, multiplier, name='mul_fold')
      layer = _clone_layer(match.layer_op, match.input_tensor, weights,
                           match.batch_to_space_op)
      if corrections:
        layer = tf.multiply(corrections[1], layer, name='post_conv_mul')
        layer = tf.raw_ops.Add(x=layer, y=corrections[2],
                               name='correction_add')
      folded = tf.raw_ops.Add(x=layer, y=bias, name='add_fold')
      if not _graph_edit.reroute(folded, match.output_tensor):
        raise ValueError('Folding batch norms failed, %s had no outputs.' %
                         match.output_tensor.name)


def _fused_patterns():
  """The patterns _find_fused reads its matches with, by role ('*' in an
  input list: any op, not looked up)."""
  p = {role: gm.OpTypePattern('*') for role in (
      'input', 'gamma', 'beta', 'mean', 'variance', 'moving_average',
      'bn_decay',
      # A variable, or a SpaceToBatchND after one (atrous convolutions).
      'weight')}
  p['layer'] = gm.OpTypePattern(_LAYER_TYPES,
                                inputs=[p['input'], p['weight']])
  p['batch_to_space'] = gm.OpTypePattern('BatchToSpaceND',
                                         inputs=[p['layer'], '*', '*'])
  layer_with_identity = gm.OpTypePattern(
      'Identity', inputs=[gm.OneofPattern([p['batch_to_space'], p['layer']])])
  layer_output = gm.OneofPattern(
      [layer_with_identity, p['layer'], p['batch_to_space']])
  # A fully connected layer is reshaped to 4-D for the batch norm and back.
  matmul_reshape = gm.OpTypePattern('Reshape', inputs=[layer_output, '*'])
  p['batch_norm'] = gm.OpTypePattern(_FUSED_TYPES, inputs=[
      gm.OneofPattern([matmul_reshape, layer_output]),
      p['gamma'], p['beta'], p['mean'], p['variance']])
  p['output_reshape'] = gm.OpTypePattern('Reshape',
                                         inputs=[p['batch_norm'], '*'])
  # TF1 also looked for an Identity with two inputs, which no graph has.
  p['root'] = gm.OneofPattern([p['output_reshape'], p['batch_norm']])
  p['moving_average_sub'] = gm.OpTypePattern(
      'Sub', inputs=[p['moving_average'], p['batch_norm']])
  p['moving_average_mul'] = gm.OpTypePattern(
      'Mul', inputs=[p['moving_average_sub'], p['bn_decay']])
  return p


def _find_fused(graph):
  """A BatchNormMatch per layer followed by a fused batch norm."""
  p = _fused_patterns()
  found, layers = [], set()
  for result in gm.GraphMatcher(p['root']).match_graph(graph):
    match = _fused_match(graph, result, p)
    if match is not None and match.layer_op not in layers:
      layers.add(match.layer_op)
      found.append(match)
  return found


def _fused_match(graph, result, p):
  """The BatchNormMatch of one pattern match, or None when it is not one."""
  layer_op = result.get_op(p['layer'])
  bn_op = result.get_op(p['batch_norm'])
  output = bn_op.outputs[0]
  if layer_op.type == 'MatMul':
    reshape = result.get_op(p['output_reshape'])
    if reshape is None:
      return None  # matched again at the Reshape after it
    output = reshape.outputs[0]
  if not output.consumers():
    return None  # a dangling batch norm
  moving = {'mean': (None, None), 'variance': (None, None)}
  if bn_op.get_attr('is_training'):
    # FusedBatchNormGrad has no gradient for the batch statistics, which
    # the folded graph uses.
    _graph_edit.set_gradient(bn_op, 'FoldFusedBatchNormGrad')
    mean = bn_op.outputs[1]
    # The kernel's batch variance has Bessel's correction applied (for the
    # moving average); the normalization used the biased one.
    scope, sep, _ = bn_op.name.rpartition('/')
    with graph.as_default(), graph.name_scope(scope + sep):
      n = tf.cast(tf.size(result.get_tensor(p['layer'])) / tf.size(mean),
                  tf.float32)
      variance = tf.multiply(bn_op.outputs[2], (n - 1) / n,
                             name='Undo_Bessel_Correction')
    updates = gm.GraphMatcher(p['moving_average_mul'])
    for update in updates.match_graph(graph):
      sub = update.get_op(p['moving_average_sub'])
      for kind, stat in (('mean', bn_op.outputs[1]),
                         ('variance', bn_op.outputs[2])):
        if sub.inputs[1].name == stat.name:
          moving[kind] = (sub.inputs[0], update.get_tensor(p['bn_decay']))
  else:
    mean = result.get_tensor(p['mean'])
    variance = result.get_tensor(p['variance'])
  return BatchNormMatch(
      layer_op=layer_op, bn_op=bn_op, output_tensor=output,
      input_tensor=result.get_tensor(p['input']),
      weight_tensor=result.get_tensor(p['weight']),
      gamma_tensor=result.get_tensor(p['gamma']),
      beta_tensor=result.get_tensor(p['beta']),
      mean_tensor=mean, variance_tensor=variance,
      moving_mean_tensor=moving['mean'][0],
      moving_variance_tensor=moving['variance'][0],
      bn_decay_mean_tensor=moving['mean'][1],
      bn_decay_var_tensor=moving['variance'][1],
      batch_epsilon=bn_op.get_attr('epsilon'),
      batch_to_space_op=result.get_op(p['batch_to_space']))


def _clone_layer(layer_op, input_tensor, weights, batch_to_space_op):
  """`layer_op` again (`<name>_Fold`) on new inputs and weights."""
  conv = _layer(layer_op, input_tensor, weights,
                layer_op.name.split('/')[-1] + '_Fold')
  if batch_to_space_op is not None:
    # No dilations on the clone: an atrous layer keeps its SpaceToBatchND
    # input and gets its own BatchToSpaceND.
    original = layer_op.outputs[0].consumers()[0]
    conv = tf.batch_to_space_nd(
        conv, original.inputs[1], original.inputs[2],
        name=original.name.split('/')[-1] + '_Fold')
  return conv


def _layer(layer_op, input_tensor, weights, name):
  """A conv / depthwise conv / matmul with `layer_op`'s attributes."""
  if layer_op.type == 'Conv2D':
    return tf.nn.conv2d(
        input_tensor, weights, strides=layer_op.get_attr('strides'),
        padding=layer_op.get_attr('padding'),
        use_cudnn_on_gpu=layer_op.get_attr('use_cudnn_on_gpu'),
        data_format=layer_op.get_attr('data_format').decode(), name=name)
  if layer_op.type == 'MatMul':
    return tf.matmul(input_tensor, weights,
                     transpose_a=layer_op.get_attr('transpose_a'),
                     transpose_b=layer_op.get_attr('transpose_b'), name=name)
  if layer_op.type == 'DepthwiseConv2dNative':
    return tf.nn.depthwise_conv2d(input_tensor, weights,
                                  strides=layer_op.get_attr('strides'),
                                  padding=layer_op.get_attr('padding'),
                                  name=name)
  raise ValueError('Cannot handle operation of type: %s' % layer_op.type)


@tf2.RegisterGradient('FoldFusedBatchNormGrad')
def _fold_fused_batch_norm_grad(op, unused_grad_y, grad_mean, grad_var,
                                *unused):
  """Gradient of the batch statistics the folded training graph uses."""
  x = op.inputs[0]
  n = tf.cast(tf.size(x) / tf.size(grad_mean), tf.float32)
  dmean_dx = grad_mean / n
  dvar_dx = 2 * grad_var * (x - op.outputs[1]) / (n - 1)
  return (dmean_dx + dvar_dx), None, None, None, None


# --- corrections (training graphs) ------------------------------------------


def _smart_cond(pred, true_fn, false_fn, name):
  """TF1's layers.utils.smart_cond: a branch now when `pred` is static."""
  value = tf.get_static_value(pred) if tf.is_tensor(pred) else pred
  if value is not None:
    return true_fn() if value else false_fn()
  return tf.cond(pred, true_fn, false_fn, name=name)


def _corrections(context, match, freeze_batch_norm_delay):
  """(correction_scale, correction_recip, correction_offset).

  Until frozen: scale = sigma_batch / sigma_moving, recip = 1 / scale,
  offset = 0. Frozen (step >= freeze_batch_norm_delay): recip = 1, offset =
  gamma * (mean_batch / sigma_batch - mean_moving / sigma_moving), and the
  moving averages' decay is 0.
  """
  graph = tf.get_default_graph()
  with graph.name_scope((context or '') + 'batch_norm_correction'):
    recip_sigma_mv = tf.rsqrt(match.moving_variance_tensor +
                              match.batch_epsilon)
    recip_sigma = tf.rsqrt(match.variance_tensor + match.batch_epsilon)
    scale = tf.math.divide(recip_sigma_mv, recip_sigma, name='scale_compute')
    scale = tf.identity(scale, name='correction_scale')
    recip = tf.math.reciprocal(scale, name='reciprocal_compute')
    offset = tf.multiply(
        match.gamma_tensor,
        match.mean_tensor * recip_sigma -
        match.moving_mean_tensor * recip_sigma_mv,
        name='offset_compute')
    use_moving = False
    if freeze_batch_norm_delay is not None:
      use_moving = tf.greater_equal(quant_ops.quantization_step(),
                                    freeze_batch_norm_delay,
                                    name='use_moving_average')
    # Each decay's readers are listed before its own cond reads it.
    decay_readers = list(match.bn_decay_mean_tensor.consumers())
    for decay, name in ((match.bn_decay_mean_tensor, 'freeze_moving_mean'),
                        (match.bn_decay_var_tensor, 'freeze_moving_var')):
      frozen = _smart_cond(use_moving, lambda: 0.0, lambda d=decay: d,
                           name=name)
      _graph_edit.reroute(frozen, decay, can_modify=decay_readers)
      decay_readers = list(match.bn_decay_var_tensor.consumers())
    recip = _smart_cond(use_moving, lambda: tf.ones(scale.shape),
                        lambda: recip, name='correction_recip')
    offset = _smart_cond(use_moving, lambda: offset,
                         lambda: tf.zeros(offset.shape),
                         name='correction_offset')
  return scale, recip, offset


# --- unfused batch norms ----------------------------------------------------


def _unfused_contexts(graph):
  """The prefixes `<ctx>` of `<ctx>BatchNorm/batchnorm...` ops, in order."""
  found = []
  for op in graph.get_operations():
    match = _UNFUSED_RE.search(op.name)
    if match and not match.group(1).startswith(SKIPPED_PREFIXES):
      found.append(match.group(1))
  return list(collections.OrderedDict.fromkeys(found))


def _fold_unfused(graph, is_training, freeze_batch_norm_delay):
  readers = consumers_map(graph)
  for context in _unfused_contexts(graph):
    rsqrt = graph.get_operation_by_name(context +
                                        'BatchNorm/batchnorm_1/Rsqrt')
    # With scale, Rsqrt feeds one Mul (by gamma); without, two.
    has_scaling = sum(1 for op in consumers_of(readers, rsqrt)
                      if op.type == 'Mul') == 1
    add_shift = graph.get_operation_by_name(context +
                                            'BatchNorm/batchnorm_1/add_1')
    if not add_shift.outputs[0].consumers():
      continue  # a dangling batch norm
    folded = _fold_unfused_one(graph, context, has_scaling, is_training,
                               freeze_batch_norm_delay)
    activation = _endpoint_activation(graph, context)
    if activation is not None:
      if _graph_edit.reroute(folded.outputs[0], add_shift.outputs[0],
                             can_modify=[activation]) != 1:
        raise ValueError('Unexpected inputs to op: %s' % activation.name)
      continue
    # Else a bypass add one scope up ('a/b/' -> 'a/', 'a/' -> ''); TF1
    # looked it up by its op type as a name.
    outer = re.search(r'^(.*)/([^/]+)', context) if context else None
    outer = outer.group(1) + '/' if outer and outer.group(1) else ''
    bypass = graph.get_operation_by_name(outer + 'AddV2')
    if _graph_edit.reroute(folded.outputs[0], add_shift.outputs[0],
                           can_modify=[bypass]) != 1:
      raise ValueError('Unexpected inputs to op: %s' % bypass.name)


def _endpoint_activation(graph, context):
  for suffix in _ACTIVATION_SUFFIXES:
    try:
      return graph.get_operation_by_name(context + suffix)
    except KeyError:
      pass
  return None


def _best_match(graph, suffix, context):
  """The tensor of the op ending in `suffix` sharing most scope parts with
  `context` (MobilenetV1/MobilenetV1/Conv2d_3 names its variables
  MobilenetV1/Conv2d_3/...); the last such op on a tie; None if none."""
  parts = set(context.split('/'))
  scores = collections.OrderedDict()
  for op in graph.get_operations():
    if op.name.endswith(suffix):
      score = len(set(op.name.split('/')) & parts)
      if score > 0 or not context:
        scores[op.name] = score
  if not scores:
    return None
  return graph.get_tensor_by_name(max(scores, key=scores.get) + ':0')


def _unfused_params(graph, context, has_scaling):
  """The batch statistics, moving statistics, epsilon and decays by name."""
  resource = tf.get_variable_scope().use_resource
  read = '/Read/ReadVariableOp' if resource else '/read'
  find = lambda suffix: _best_match(graph, 'BatchNorm/' + suffix, context)
  moving_mean = find('moving_mean' + read)
  if has_scaling:
    gamma = find('gamma/Read/ReadVariableOp' if resource else 'gamma')
  else:
    gamma = tf.ones(moving_mean.shape)
  return BatchNormMatch(
      layer_op=None, bn_op=None, output_tensor=None, input_tensor=None,
      weight_tensor=None, beta_tensor=None, batch_to_space_op=None,
      gamma_tensor=gamma,
      mean_tensor=find('moments/Squeeze'),
      variance_tensor=find('moments/Squeeze_1'),
      moving_mean_tensor=moving_mean,
      moving_variance_tensor=find('moving_variance' + read),
      batch_epsilon=find('batchnorm_1/add/y'),
      bn_decay_mean_tensor=find('AssignMovingAvg/decay'),
      bn_decay_var_tensor=find('AssignMovingAvg_1/decay'))


def _fold_unfused_one(graph, context, has_scaling, is_training,
                      freeze_batch_norm_delay):
  """Builds `<ctx>mul_fold`, `<layer>_Fold` and `<ctx>add_fold`; the last."""
  scale_mul = graph.get_operation_by_name(
      context + 'BatchNorm/batchnorm_1/' + ('mul_1' if has_scaling else 'mul'))
  layer_op = scale_mul.inputs[0].op
  batch_to_space_op = None
  if layer_op.type == 'BatchToSpaceND':
    batch_to_space_op = layer_op
    layer_op = layer_op.inputs[0].op
  if layer_op.type not in ('Conv2D', 'MatMul', 'DepthwiseConv2dNative'):
    raise ValueError('Cannot handle operation of type: %s' % layer_op.type)
  weights = layer_op.inputs[1]
  params = _unfused_params(graph, context, has_scaling)
  corrections = None
  if is_training:
    corrections = _corrections(context, params, freeze_batch_norm_delay)
  scale = scale_mul.inputs[1]
  if layer_op.type == 'DepthwiseConv2dNative':
    shape = weights.get_shape().as_list()[2:4]
    scale = graph.get_operation_by_name(
        context + 'BatchNorm/batchnorm_1/' +
        ('mul' if has_scaling else 'Rsqrt')).outputs[0]
    scale = tf.reshape(scale, shape, context + 'scale_reshape')
    if corrections:
      correction_scale = tf.reshape(corrections[0], shape,
                                    context + 'correction_reshape')
  elif corrections:
    correction_scale = corrections[0]
  if corrections:
    with tf.device(scale_mul.device):
      weights = tf.multiply(correction_scale, weights,
                            context + 'correction_mult')
  mul_fold = _clone(scale_mul, context + 'mul_fold', {0: weights, 1: scale})
  _assert_same_shape('mul_fold', mul_fold.inputs[0], mul_fold.outputs[0])
  layer = _clone(layer_op, layer_op.name + '_Fold', {1: mul_fold.outputs[0]})
  add_shift = graph.get_operation_by_name(context +
                                          'BatchNorm/batchnorm_1/add_1')
  output = layer.outputs[0]
  if batch_to_space_op is not None:
    output = tf.batch_to_space_nd(output, batch_to_space_op.inputs[1],
                                  batch_to_space_op.inputs[2],
                                  name=batch_to_space_op.name + '_Fold')
  if corrections:
    with tf.device(layer.device):
      output = tf.multiply(corrections[1], output, context + 'post_conv_mul')
      output = tf.raw_ops.Add(x=output, y=corrections[2],
                              name=context + 'correction_add')
  add_fold = _clone(add_shift, context + 'add_fold', {0: output})
  _assert_same_shape('add_fold', add_fold.inputs[0], add_fold.outputs[0])
  return add_fold


def _clone(op, name, new_inputs):
  """`op` again as `name`, inputs at the keys of `new_inputs` replaced."""
  inputs = list(op.inputs)
  for index, tensor in new_inputs.items():
    inputs[index] = tensor
  if op.type == 'Mul':
    return tf.multiply(inputs[0], inputs[1], name=name).op
  if op.type in ('Add', 'AddV2'):
    return tf.raw_ops.Add(x=inputs[0], y=inputs[1], name=name).op
  if op.type in ('Conv2D', 'DepthwiseConv2dNative'):
    image, weights = inputs[0].get_shape(), inputs[1].get_shape()
    if len(image) != 4 or len(weights) != 4 or image[3] != weights[2]:
      raise ValueError('Incompatible shapes for op %s inputs: %s and %s' %
                       (op.name, image, weights))
    return _layer(op, inputs[0], inputs[1], name).op
  if op.type == 'MatMul':
    left, right = inputs[0].get_shape(), inputs[1].get_shape()
    if len(left) != 2 or len(right) != 2 or left[1] != right[0]:
      raise ValueError('Incompatible shapes for op %s inputs: %s and %s' %
                       (op.name, left, right))
    return _layer(op, inputs[0], inputs[1], name).op
  raise TypeError('Unsupported operation type: %s' % op.type)


def _assert_same_shape(name, before, after):
  if not before.get_shape().is_compatible_with(after.get_shape()):
    raise ValueError('%s should not change tensor shape: input %s, '
                     'output %s' % (name, before.get_shape(),
                                    after.get_shape()))
