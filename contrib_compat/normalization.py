"""`batch_norm`: tf.contrib.layers' batch normalization, rebuilt on tf.nn.

tf.contrib (and tf-slim 1.1.0) chose between three implementations, and each
left its own graph behind; this module keeps all three:

* the "slim fused" path (`fused` and rank 2 or 4 with `zero_debias_moving_mean`,
  rank 2 or a non-default `updates_collections`): `tf.nn.fused_batch_norm` and
  `assign_moving_average` updates, variables made without a custom getter;
* the "layer" path (the default: `updates_collections=UPDATE_OPS`, no
  `batch_weights`, no zero-debiasing): what the Keras `BatchNormalization`
  layer built -- FusedBatchNormV3 for rank 4 float inputs, `tf.nn.moments`
  otherwise, renorm and `adjustment` -- with its update ops (operations) put
  in UPDATE_OPS unless `trainable=False`;
* the "legacy" path (`batch_weights`, a non-default `updates_collections` or
  zero-debiasing without the fused kernel): moments or weighted moments and
  `tf.nn.batch_normalization`.

Everything goes through public `tf.compat.v1` / `tf.nn` ops; variables are made
by `model_variable` so arg_scopes on it apply.
"""
import dataclasses
from typing import Any, Callable, Optional

import numpy as np
import tensorflow as tf2
import tensorflow.compat.v1 as tf

from contrib_compat import argscope
from contrib_compat import moving_averages
from contrib_compat import variables

_NHWC = 'NHWC'
_NCHW = 'NCHW'
_UPDATE_OPS = tf.GraphKeys.UPDATE_OPS
_FUSED_DTYPES = (tf.float16, tf.bfloat16, tf.float32)


@dataclasses.dataclass(frozen=True)
class _Config:
  """batch_norm's arguments that its three paths read, checked once."""
  decay: Any
  center: bool
  scale: bool
  epsilon: float
  initializers: dict
  regularizers: dict
  updates_collections: Any
  is_training: Any
  collections: Any  # variables_collections
  trainable: bool
  fused: bool
  data_format: str
  zero_debias: bool
  batch_weights: Any
  renorm: bool
  renorm_clipping: Optional[dict]
  renorm_decay: float
  adjustment: Optional[Callable]


@dataclasses.dataclass(frozen=True)
class _Params:
  """The variables (or stand-ins) one path made: beta, gamma and the moving
  statistics by name."""
  beta: Any
  gamma: Any
  stats: dict


def _constant_value(pred):
  """`is_training` as a Python bool, or None when only known at run time."""
  if isinstance(pred, tf2.Variable):
    return None
  if tf.is_tensor(pred):
    if pred.dtype.base_dtype != tf.bool:
      raise TypeError('batch_norm: `is_training` must be a boolean tensor, got '
                      'dtype %s' % pred.dtype.name)
    value = tf.get_static_value(pred)
    return None if value is None else bool(value)
  if isinstance(pred, (bool, np.bool_)) or (
      isinstance(pred, int) and pred in (0, 1)):
    return bool(pred)
  raise TypeError('batch_norm: `is_training` must be a Python bool or a '
                  'boolean tensor, got %r' % (pred,))


def _smart_cond(pred, true_fn, false_fn, name=None):
  """Calls one branch when `pred` is static, else builds a tf.cond."""
  value = _constant_value(pred)
  if value is not None:
    return true_fn() if value else false_fn()
  return tf.cond(pred, true_fn, false_fn, name=name)


# TF 1.x's tf.nn.fused_batch_norm raised epsilon to cuDNN's minimum on every
# device; TF 2's does not, so a TF1 graph had 1.001e-05 where the user gave
# 1e-05 (or less), and its checkpoints were trained with that.
_FUSED_MIN_EPSILON = 1.001e-5


def _fused_batch_norm(inputs, gamma, beta, epsilon, data_format, mean=None,
                      variance=None):
  """tf.nn.fused_batch_norm as TF 1.x built it; inference when given moments."""
  epsilon = max(epsilon, _FUSED_MIN_EPSILON)
  if mean is None:
    return tf.nn.fused_batch_norm(inputs, gamma, beta, epsilon=epsilon,
                                  data_format=data_format)
  return tf.nn.fused_batch_norm(inputs, gamma, beta, mean=mean,
                                variance=variance, epsilon=epsilon,
                                is_training=False, data_format=data_format)


def _ones_like(tensor):
  """TF1's `ones_like`: a `Shape` constant (or op) filled with ones.

  TF 2's builds `ones_like/Shape/shape_as_tensor` where TF1 had
  `ones_like/Shape`.
  """
  with tf.name_scope(None, 'ones_like', [tensor]) as scope:
    if tensor.shape.is_fully_defined():
      shape = tf.constant(tensor.shape.as_list(), tf.int32, name='Shape')
    else:
      shape = tf.shape(tensor, name='Shape')
    ones = tf.fill(shape, tf.constant(1, tensor.dtype.base_dtype), name=scope)
  ones.set_shape(tensor.shape)
  return ones


def _weighted_moments(x, axes, frequency_weights, keepdims):
  """Weighted mean and variance, node for node as TF 1.15's nn built them.

  TF 2 divides with `div_no_nan`; TF 1.15 multiplied by the reciprocal of the
  summed weights (`inv_weight_sum`), which is what TF1 checkpoints saw.
  """
  with tf.name_scope(None, 'weighted_moments', [x, frequency_weights, axes]):
    x = tf.convert_to_tensor(x, name='x')
    frequency_weights = tf.convert_to_tensor(frequency_weights,
                                             name='frequency_weights')
    half = x.dtype == tf.float16
    if half:
      x = tf.cast(x, tf.float32)
    if frequency_weights.dtype != x.dtype:
      frequency_weights = tf.cast(frequency_weights, x.dtype)
    weighted_sum = tf.reduce_sum(frequency_weights * x, axes, keepdims=True,
                                 name='weighted_input_sum')
    total_weight = tf.reduce_sum(frequency_weights + tf.zeros_like(x), axes,
                                 keepdims=True, name='sum_of_weights')
    inverse = tf.reciprocal(total_weight, name='inv_weight_sum')
    mean = tf.multiply(weighted_sum, inverse)
    distsq = tf.reduce_sum(
        frequency_weights * tf.squared_difference(x, mean), axes,
        keepdims=True, name='weighted_distsq')
    variance = tf.multiply(distsq, inverse)
    if not keepdims:
      mean = tf.squeeze(mean, axis=axes)
      variance = tf.squeeze(variance, axis=axes)
    if half:
      mean = tf.cast(mean, tf.float16)
      variance = tf.cast(variance, tf.float16)
  return mean, variance


def _update_op(update):
  """The op of an update; None when executing eagerly (it has already run)."""
  return None if tf.executing_eagerly() else update.op


def _keras_moving_average(variable, value, momentum):
  """The layer's update: variable -= (variable - value) * (1 - momentum)."""
  with tf.name_scope(None, 'AssignMovingAvg', []) as scope:
    with moving_averages.colocate(variable):
      decay = tf.convert_to_tensor(1.0 - momentum, name='decay')
      if decay.dtype != variable.dtype.base_dtype:
        decay = tf.cast(decay, variable.dtype.base_dtype)
      delta = (variable - tf.cast(value, variable.dtype.base_dtype)) * decay
      return tf.assign_sub(variable, delta, name=scope)


def _keras_assign(variable, value):
  with tf.name_scope(None, 'AssignNewValue', []) as scope:
    with moving_averages.colocate(variable):
      return tf.assign(variable, value, name=scope)


def _params_shape(inputs, data_format):
  """(rank, channel axis, channels); errors name `inputs`."""
  shape = inputs.shape
  if shape.rank is None:
    raise ValueError('batch_norm: `inputs` %s has undefined rank; a known rank '
                     'is needed' % inputs.name)
  axis = 1 if data_format == _NCHW else shape.rank - 1
  channels = shape.dims[axis] if shape.rank > axis >= 0 else None
  channels = channels if channels is None or isinstance(channels, int) else (
      channels.value)
  if channels is None:
    raise ValueError(
        'batch_norm: `inputs` %s has undefined `C` (channels) dimension '
        '(data_format=%s, shape %s); it must be known' % (inputs.name,
                                                           data_format, shape))
  return shape.rank, axis, channels


def _layer_weight(name, **kwargs):
  """A variable as TF1's Keras layer made it: through `get_variable`.

  The layer path's variable scope carries the layer getter, which calls
  `model_variable` once, as TF1's did; the other paths call `model_variable`
  themselves (and the legacy path, as in TF1, then passes the getter too).
  """
  return tf.get_variable(name, **kwargs)


def _moving_stats(initializers, shape, dtype, collections, renorm=False,
                  create=variables.model_variable, **kwargs):
  """moving_mean and moving_variance (and renorm's), never partitioned."""
  with tf.variable_scope(tf.get_variable_scope()) as local_scope:
    local_scope.set_partitioner(None)
    mean_init = initializers.get('moving_mean', tf.zeros_initializer())
    var_init = initializers.get('moving_variance', tf.ones_initializer())
    made = {}
    for name, init in (('moving_mean', mean_init),
                       ('moving_variance', var_init)):
      made[name] = create(
          name, shape=shape, dtype=dtype, initializer=init, trainable=False,
          collections=variables.get_variable_collections(collections, name)
          if collections is not False else None, **kwargs)
    if renorm:
      def stddev_init(*args, **init_kwargs):
        return tf.sqrt(var_init(*args, **init_kwargs))
      # TF1's layer made each with the default strategy's
      # colocate_vars_with: next to the variable it tracks.
      for name, init, beside in (('moving_stddev', stddev_init,
                                  'moving_variance'),
                                 ('renorm_mean', mean_init, 'moving_mean'),
                                 ('renorm_stddev', stddev_init,
                                  'moving_stddev')):
        # The strategy's own colocation: plain colocate_with under the
        # default one, as TF1's layer did, and what a strategy's
        # distributed variables allow under another.
        with tf2.distribute.get_strategy().extended.colocate_vars_with(
            made[beside]):
          made[name] = create(
              name, shape=shape, dtype=dtype, initializer=init,
              trainable=False, **kwargs)
  return made


def _scale_offset(config, shape, dtype, collections, gamma_first,
                  create=variables.model_variable, stand_ins=False,
                  regularized=True):
  """beta and gamma, in the creating path's order.

  Where disabled: None, or with `stand_ins` (the fused kernels need both) a
  constant 0 / 1 made in the variable's turn, as TF1 made it. The legacy
  path ignored `param_regularizers` in TF1 (`regularized=False`).
  """
  made = {}
  order = ('gamma', 'beta') if gamma_first else ('beta', 'gamma')
  regularizers = config.regularizers if regularized else {}
  for name in order:
    if not (config.center if name == 'beta' else config.scale):
      made[name] = tf.constant(0.0 if name == 'beta' else 1.0, dtype=dtype,
                               shape=shape) if stand_ins else None
      continue
    default = tf.zeros_initializer() if name == 'beta' else (
        tf.ones_initializer())
    # The layer path's losses are its Keras layer's; the others, get_variable's.
    made[name] = variables.regularized_variable(
        create, name, regularizers.get(name),
        keras_name=name if create is _layer_weight else None, shape=shape,
        dtype=dtype, initializer=config.initializers.get(name, default),
        trainable=config.trainable,
        collections=variables.get_variable_collections(collections, name)
        if collections is not False else None)
  return made['beta'], made['gamma']


@argscope.add_arg_scope
def batch_norm(inputs,  # noqa: PLR0913 (TF1's signature)
               decay=0.999,
               center=True,
               scale=False,
               epsilon=0.001,
               activation_fn=None,
               param_initializers=None,
               param_regularizers=None,
               updates_collections=_UPDATE_OPS,
               is_training=True,
               reuse=None,
               variables_collections=None,
               outputs_collections=None,
               trainable=True,
               batch_weights=None,
               fused=None,
               data_format=_NHWC,
               zero_debias_moving_mean=False,
               scope=None,
               renorm=False,
               renorm_clipping=None,
               renorm_decay=0.99,
               adjustment=None):
  """Adds a Batch Normalization layer (Ioffe & Szegedy, arXiv:1502.03167).

  As `tf.contrib.layers.batch_norm` (TF 1.15). Normalizes over all but the
  channel dimension (the last for NHWC, the second for NCHW), then scales by
  `gamma` and shifts by `beta`. In training mode the batch statistics are used
  and `moving_mean` / `moving_variance` are updated with
  `moving = decay * moving + (1 - decay) * batch`; the update ops go to
  `updates_collections` (run them with the train op), or run in place before
  the output when `updates_collections=None`. In inference mode the moving
  statistics are used. The fused kernel's variance (and hence
  `moving_variance`) carries Bessel's correction, as in TF1.

  Variables: `<scope>/BatchNorm/beta` (if `center`), `gamma` (if `scale`),
  `moving_mean`, `moving_variance`, with renorm `moving_stddev`,
  `renorm_mean`, `renorm_stddev`; all in MODEL_VARIABLES (TF1 did not file
  them in MOVING_AVERAGE_VARIABLES either). With `zero_debias_moving_mean`,
  `<scope>/BatchNorm/<scope>/BatchNorm/moving_mean/biased` and `local_step`.

  Args:
    inputs: A tensor of known rank, batch first, with a known channel
      dimension.
    decay: Moving average decay, typically 0.999, 0.99 or 0.9.
    center: If True, add the offset `beta`.
    scale: If True, multiply by `gamma`.
    epsilon: Small float added to the variance.
    activation_fn: Optional activation applied to the output.
    param_initializers: Optional dict of initializers for 'beta', 'gamma',
      'moving_mean' and 'moving_variance'.
    param_regularizers: Optional dict of regularizers for 'beta' and 'gamma'.
    updates_collections: Collections the update ops are added to; None runs
      them in place.
    is_training: Python bool or boolean tensor: batch statistics and updates
      (True) or moving statistics (False).
    reuse: Whether the layer and its variables are reused; needs `scope`.
    variables_collections: Extra collections for the variables, a list or a
      dict keyed by variable name.
    outputs_collections: Collections the output is added to.
    trainable: Whether beta and gamma go to TRAINABLE_VARIABLES. As in TF1,
      with the default update path a non-trainable layer puts no update ops in
      UPDATE_OPS.
    batch_weights: Optional [batch_size] tensor of per-example weights for
      the moments; unfused only.
    fused: None or True use the fused kernel where TF 1.15 did (rank 2 and
      4; not rank 5, which TF 2's Keras fuses; float16/bfloat16/float32, no renorm,
      `adjustment` or `batch_weights`); False never does.
    data_format: 'NHWC' (default) or 'NCHW'.
    zero_debias_moving_mean: Zero-debias `moving_mean`.
    scope: Optional variable scope; defaults to 'BatchNorm'.
    renorm: Use batch renormalization (arXiv:1702.03275).
    renorm_clipping: Optional dict with 'rmax', 'rmin' and 'dmax' for renorm.
    renorm_decay: Decay of renorm's moving averages.
    adjustment: Optional function of the input shape returning (scale, bias)
      tensors applied to the normalized values in training.

  Returns:
    The output tensor, shaped like `inputs`.

  Raises:
    ValueError: if `data_format` is neither 'NHWC' nor 'NCHW', `inputs` has an
      unknown rank or channel dimension, `renorm` is combined with `batch_weights`, `updates_collections` or
      `zero_debias_moving_mean`, or `renorm_clipping` has unknown keys.
    TypeError: if `inputs` is not floating point or `is_training` is neither a
      bool nor a boolean tensor.
  """
  if data_format not in (_NCHW, _NHWC):
    raise ValueError('data_format has to be either NCHW or NHWC. '
                     '(batch_norm got data_format=%r)' % (data_format,))
  if renorm:
    renorm_clipping = dict(renorm_clipping or {})
    unknown = set(renorm_clipping) - {'rmax', 'rmin', 'dmax'}
    if unknown:
      raise ValueError('batch_norm: `renorm_clipping` accepts the keys rmax, '
                       'rmin and dmax, got %s' % sorted(unknown))
  if fused is None:
    fused = True
  inputs = tf.convert_to_tensor(inputs)
  if not inputs.dtype.base_dtype.is_floating:
    raise TypeError('batch_norm: `inputs` must be floating point, got %s'
                    % inputs.dtype.name)
  _constant_value(is_training)  # Rejects bad values before building anything.
  param_initializers = param_initializers or {}
  param_regularizers = param_regularizers or {}
  rank = inputs.shape.rank
  default_updates = updates_collections == _UPDATE_OPS
  possible_to_fuse = (batch_weights is None and not renorm and
                      rank in (2, 4) and adjustment is None)
  slim_fused = fused and possible_to_fuse and (
      zero_debias_moving_mean or rank == 2 or not default_updates)
  # TF1's own fused path opened its scope without the model-variable getter;
  # the other two did, so anything creating variables inside is a model
  # variable there.
  getter = None if slim_fused else variables.layer_variable_getter()
  config = _Config(
      decay=decay, center=center, scale=scale, epsilon=epsilon,
      initializers=param_initializers, regularizers=param_regularizers,
      updates_collections=updates_collections, is_training=is_training,
      collections=variables_collections, trainable=trainable, fused=fused,
      data_format=data_format, zero_debias=zero_debias_moving_mean,
      batch_weights=batch_weights, renorm=renorm,
      renorm_clipping=renorm_clipping, renorm_decay=renorm_decay,
      adjustment=adjustment)
  with tf.variable_scope(scope, 'BatchNorm', [inputs], reuse=reuse,
                         custom_getter=getter) as sc:
    if slim_fused:
      outputs = _slim_fused(inputs, config)
    elif (batch_weights is None and default_updates and
          not zero_debias_moving_mean):
      outputs = _layer(inputs, config)
    else:
      if renorm:
        raise ValueError('renorm is not supported with batch_weights, '
                         'updates_collections or zero_debias_moving_mean '
                         '(batch_norm `renorm`)')
      outputs = _legacy(inputs, config)
    # Inside the scope, as in TF1: the activation is `<scope>/Relu`.
    if activation_fn is not None:
      outputs = activation_fn(outputs)
    return variables.collect_named_outputs(outputs_collections, sc.name,
                                           outputs)


def _slim_fused(inputs, config):
  """tf.contrib's own fused path: rank 2 (reshaped to 4-D) or 4."""
  data_format, epsilon, is_training = (config.data_format, config.epsilon,
                                       config.is_training)
  original_shape = inputs.shape
  original_inputs = inputs
  if original_shape.rank == 2:
    channels = _params_shape(inputs, _NHWC)[2]
    inputs = tf.reshape(inputs, [-1, channels, 1, 1] if data_format == _NCHW
                        else [-1, 1, 1, channels])
  _, _, channels = _params_shape(inputs, data_format)
  # float32 parameters whatever the input type: fp16 would lose precision.
  beta, gamma = _scale_offset(config, [channels], tf.float32,
                              config.collections, gamma_first=False,
                              stand_ins=True)
  stats = _moving_stats(config.initializers, [channels], tf.float32,
                        config.collections)
  moving_mean, moving_variance = stats['moving_mean'], stats['moving_variance']

  outputs, mean, variance = _smart_cond(
      is_training,
      lambda: _fused_batch_norm(inputs, gamma, beta, epsilon, data_format),
      lambda: _fused_batch_norm(inputs, gamma, beta, epsilon, data_format,
                                moving_mean, moving_variance))

  def updates():
    return _moving_updates(stats, mean, variance, config)

  updates_collections = config.updates_collections
  training_value = _constant_value(is_training)
  if training_value is None or training_value:
    if updates_collections is None:
      def forced():
        with tf.control_dependencies(updates()):
          return tf.identity(outputs)
      outputs = _smart_cond(is_training, forced, lambda: outputs)
    else:
      update_mean, update_variance = _smart_cond(
          is_training, updates, lambda: (moving_mean, moving_variance))
      tf.add_to_collections(updates_collections, update_mean)
      tf.add_to_collections(updates_collections, update_variance)
  outputs.set_shape(inputs.shape)

  if original_shape.rank == 2:
    # `Shape`: a constant when the shape is fully known, as in TF1.
    outputs = tf.reshape(outputs, tf.shape(original_inputs))
  return outputs


def _moving_updates(stats, mean, variance, config):
  """tf.contrib's own update ops: moving_mean (zero-debiased if asked) and
  moving_variance."""
  return (moving_averages.assign_moving_average(
      stats['moving_mean'], mean, config.decay, config.zero_debias),
          moving_averages.assign_moving_average(
              stats['moving_variance'], variance, config.decay, False))


def _layer(inputs, config):
  """The path TF1 delegated to the Keras BatchNormalization layer."""
  rank, axis, channels = _params_shape(inputs, config.data_format)
  dtype = inputs.dtype.base_dtype
  param_dtype = tf.float32 if dtype in (tf.float16, tf.bfloat16) else dtype
  # TF 1.15's layer fused rank 4 only (TF 2's Keras added rank 5).
  fused_kernel = (config.fused and rank == 4 and not config.renorm and
                  config.adjustment is None and dtype in _FUSED_DTYPES)
  # The layer was built with collections=None and filed its variables
  # afterwards (reused ones too); `False` tells the helpers to skip them.
  # Its build() made the fused kernel's stand-ins for absent gamma / beta.
  beta, gamma = _scale_offset(config, [channels], param_dtype, False,
                              gamma_first=True, create=_layer_weight,
                              stand_ins=fused_kernel)
  stats = _moving_stats(
      config.initializers, [channels], param_dtype, False,
      renorm=config.renorm, create=_layer_weight,
      synchronization=tf.VariableSynchronization.ON_READ,
      aggregation=tf.VariableAggregation.MEAN)
  params = _Params(beta=beta, gamma=gamma, stats=stats)
  if fused_kernel:
    outputs, update_ops = _layer_fused(inputs, params, config)
  else:
    outputs, update_ops = _layer_unfused(inputs, params, config, axis,
                                         channels, param_dtype)
  # A layer that is not trainable reported no updates (TF1's Layer.updates),
  # but TF1's layer looked the collection up all the same, which creates
  # its (empty) key.
  existing = tf.get_collection_ref(_UPDATE_OPS)
  if config.trainable:
    for op in update_ops:
      if op is not None and op not in existing:
        existing.append(op)
  for name in ('moving_mean', 'moving_variance'):
    variables.add_variable_to_collections(stats[name], config.collections,
                                          name)
  for name, var, made in (('beta', beta, config.center),
                          ('gamma', gamma, config.scale)):
    if made:
      variables.add_variable_to_collections(var, config.collections, name)
  return outputs


def _layer_fused(inputs, params, config):
  """The Keras layer's fused kernel, node for node as TF 1.15 built it.

  Constants in TF1's creation order: the stand-ins for absent gamma / beta
  (made with the variables, by `_scale_offset`), then (training) the empty
  mean and variance `tf.nn.fused_batch_norm` makes when given none, then the
  momentum -- `BatchNorm/Const`, `Const_1`, ... in real TF1 graphs. TF 2's
  Keras instead fed the moving statistics to the kernel in training; that
  graph is not the one TF1 checkpoints were trained with.
  """
  beta, gamma, decay, is_training = (params.beta, params.gamma, config.decay,
                                    config.is_training)
  epsilon, data_format = config.epsilon, config.data_format
  moving_mean = params.stats['moving_mean']
  moving_variance = params.stats['moving_variance']

  def training():
    return _fused_batch_norm(inputs, gamma, beta, epsilon, data_format)

  def inference():
    return _fused_batch_norm(inputs, gamma, beta, epsilon, data_format,
                             moving_mean, moving_variance)

  outputs, mean, variance = _smart_cond(is_training, training, inference)
  training_value = _constant_value(is_training)
  if training_value is None:
    # Inference runs the same updates with momentum 1: no change.
    momentum = _smart_cond(is_training, lambda: decay, lambda: 1.0)
  else:
    # Made in inference too, unused: TF1 left it in every fused layer.
    momentum = tf.convert_to_tensor(decay)
  update_ops = []
  if training_value is None or training_value:
    update_ops = [
        _update_op(_keras_moving_average(moving_mean, mean, momentum)),
        _update_op(_keras_moving_average(moving_variance, variance,
                                         momentum))]
  return outputs, update_ops


def _layer_unfused(inputs, params, config, axis, channels, param_dtype):
  """The Keras layer's moments path (renorm and `adjustment` included)."""
  stats, decay, epsilon = params.stats, config.decay, config.epsilon
  is_training, renorm, adjustment = (config.is_training, config.renorm,
                                     config.adjustment)
  inputs_dtype = inputs.dtype.base_dtype
  if inputs_dtype in (tf.float16, tf.bfloat16):
    # Statistics of 16-bit inputs overflow easily: computed in float32.
    inputs = tf.cast(inputs, tf.float32)
  input_shape = inputs.shape
  ndims = input_shape.rank
  reduction_axes = [i for i in range(ndims) if i != axis]
  broadcast_shape = [1] * ndims
  broadcast_shape[axis] = channels

  def broadcast(v):
    if (v is not None and len(v.shape) != ndims and
        reduction_axes != list(range(ndims - 1))):
      return tf.reshape(v, broadcast_shape)
    return v

  def compose(scale, offset, then_scale, then_offset):
    if then_scale is not None:
      scale *= then_scale
      offset *= then_scale
    if then_offset is not None:
      offset += then_offset
    return scale, offset

  scale, offset = broadcast(params.gamma), broadcast(params.beta)
  moving_mean, moving_variance = stats['moving_mean'], stats['moving_variance']
  training_value = _constant_value(is_training)
  update_ops = []
  if training_value is False:
    mean, variance = moving_mean, moving_variance
  else:
    if adjustment:
      adj_scale, adj_bias = adjustment(tf.shape(inputs))
      adj_scale = _smart_cond(is_training, lambda: adj_scale,
                              lambda: _ones_like(adj_scale))
      adj_bias = _smart_cond(is_training, lambda: adj_bias,
                             lambda: tf.zeros_like(adj_bias))
      scale, offset = compose(adj_scale, adj_bias, scale, offset)
    batch_mean, batch_variance = tf.nn.moments(
        tf.cast(inputs, param_dtype), reduction_axes, keepdims=False)
    mean = _smart_cond(is_training, lambda: batch_mean,
                       lambda: tf.convert_to_tensor(moving_mean))
    variance = _smart_cond(is_training, lambda: batch_variance,
                           lambda: tf.convert_to_tensor(moving_variance))
    new_mean, new_variance = mean, variance
    if renorm:
      r, d, new_mean, new_variance = _renorm_correction(
          stats, new_mean, new_variance, config)
      r = broadcast(tf.stop_gradient(r, name='renorm_r'))
      d = broadcast(tf.stop_gradient(d, name='renorm_d'))
      scale, offset = compose(r, d, scale, offset)

    def variance_update():
      if not renorm:
        return _keras_moving_average(moving_variance, new_variance, decay)
      # Renorm tracks the stddev (epsilon included) and derives the variance.
      moving_stddev = _keras_moving_average(
          stats['moving_stddev'], tf.sqrt(new_variance + epsilon), decay)
      return _keras_assign(
          moving_variance,
          tf.nn.relu(moving_stddev * moving_stddev - epsilon))

    update_ops = [
        _update_op(_smart_cond(
            is_training,
            lambda: _keras_moving_average(moving_mean, new_mean, decay),
            lambda: moving_mean)),
        _update_op(_smart_cond(is_training, variance_update,
                               lambda: moving_variance))]

  mean = tf.cast(mean, inputs.dtype)
  variance = tf.cast(variance, inputs.dtype)
  if offset is not None:
    offset = tf.cast(offset, inputs.dtype)
  if scale is not None:
    scale = tf.cast(scale, inputs.dtype)
  outputs = tf.nn.batch_normalization(inputs, broadcast(mean),
                                      broadcast(variance), offset, scale,
                                      epsilon)
  if inputs_dtype in (tf.float16, tf.bfloat16):
    outputs = tf.cast(outputs, inputs_dtype)
  outputs.set_shape(input_shape)
  return outputs, update_ops


def _renorm_correction(stats, mean, variance, config):
  """Batch renorm's r and d, and the moments after updating renorm's stats."""
  epsilon, is_training = config.epsilon, config.is_training
  clipping, renorm_decay = config.renorm_clipping, config.renorm_decay
  stddev = tf.sqrt(variance + epsilon)
  renorm_mean = stats['renorm_mean']
  # Floor the stddev so that r and d stay finite early in training.
  renorm_stddev = tf.maximum(stats['renorm_stddev'], tf.sqrt(epsilon))
  r = stddev / renorm_stddev
  d = (mean - renorm_mean) / renorm_stddev
  # r and d use the renorm statistics from before this step's update.
  with tf.control_dependencies([r, d]):
    mean = tf.identity(mean)
    stddev = tf.identity(stddev)
  rmin, rmax, dmax = [clipping.get(k) for k in ('rmin', 'rmax', 'dmax')]
  if rmin is not None:
    r = tf.maximum(r, rmin)
  if rmax is not None:
    r = tf.minimum(r, rmax)
  if dmax is not None:
    d = tf.maximum(d, -dmax)
    d = tf.minimum(d, dmax)
  r = _smart_cond(is_training, lambda: r, lambda: _ones_like(r))
  d = _smart_cond(is_training, lambda: d, lambda: tf.zeros_like(d))

  def update(var, value):
    value = tf.identity(value)
    return _smart_cond(
        is_training, lambda: _keras_moving_average(var, value, renorm_decay),
        lambda: tf.identity(var))

  new_mean = update(stats['renorm_mean'], mean)
  new_stddev = update(stats['renorm_stddev'], stddev)
  with tf.control_dependencies([new_mean, new_stddev]):
    return r, d, tf.identity(mean), tf.identity(variance)


def _legacy(inputs, config):
  """tf.contrib's own unfused path: batch_weights / custom update handling."""
  data_format, batch_weights = config.data_format, config.batch_weights
  is_training = config.is_training
  rank, _, channels = _params_shape(inputs, data_format)
  dtype = inputs.dtype.base_dtype
  if batch_weights is not None:
    batch_weights = tf.convert_to_tensor(batch_weights)
    inputs.shape[0:1].assert_is_compatible_with(batch_weights.shape)
    batch_weights = tf.reshape(batch_weights, [-1] + [1] * (rank - 1))
  if data_format == _NCHW:
    moments_axes = [0] + list(range(2, rank))
    # Parameters are reshaped rather than broadcast implicitly, as in TF1.
    params_broadcast = [1, channels] + [1] * (rank - 2)
  else:
    moments_axes = list(range(rank - 1))
    params_broadcast = None
  beta, gamma = _scale_offset(config, [channels], dtype, config.collections,
                              gamma_first=False, regularized=False)
  stats = _moving_stats(config.initializers, [channels], dtype,
                        config.collections)
  moving_mean, moving_variance = stats['moving_mean'], stats['moving_variance']

  training_value = _constant_value(is_training)
  if training_value is None or training_value:
    keep = data_format == _NCHW
    if batch_weights is None:
      mean, variance = tf.nn.moments(inputs, moments_axes, keepdims=keep)
    else:
      mean, variance = _weighted_moments(inputs, moments_axes, batch_weights,
                                         keepdims=keep)
    if keep:
      mean = tf.reshape(mean, [-1])
      variance = tf.reshape(variance, [-1])

    def updates():
      return _moving_updates(stats, mean, variance, config)

    moving_vars_fn = lambda: (moving_mean, moving_variance)
    updates_collections = config.updates_collections
    if updates_collections is None:
      def forced():
        with tf.control_dependencies(updates()):
          return tf.identity(mean), tf.identity(variance)
      mean, variance = _smart_cond(is_training, forced, moving_vars_fn)
    else:
      update_mean, update_variance = _smart_cond(is_training, updates,
                                                 moving_vars_fn)
      tf.add_to_collections(updates_collections, update_mean)
      tf.add_to_collections(updates_collections, update_variance)
      batch = (mean, variance)
      mean, variance = _smart_cond(is_training, lambda: batch, moving_vars_fn)
  else:
    mean, variance = moving_mean, moving_variance
  if params_broadcast is not None:
    mean = tf.reshape(mean, params_broadcast)
    variance = tf.reshape(variance, params_broadcast)
    if beta is not None:
      beta = tf.reshape(beta, params_broadcast)
    if gamma is not None:
      gamma = tf.reshape(gamma, params_broadcast)
  outputs = tf.nn.batch_normalization(inputs, mean, variance, beta, gamma,
                                      config.epsilon)
  outputs.set_shape(inputs.shape)
  return outputs
