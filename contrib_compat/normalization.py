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
from typing import Any, Callable, Mapping, Optional

import tensorflow.compat.v1 as tf

from contrib_compat import argscope
from contrib_compat import moving_averages
from contrib_compat import variables
from contrib_compat.batch_norm_ops import constant_value
from contrib_compat.batch_norm_ops import fused_batch_norm
from contrib_compat.batch_norm_ops import keras_assign
from contrib_compat.batch_norm_ops import keras_moving_average
from contrib_compat.batch_norm_ops import layer_weight
from contrib_compat.batch_norm_ops import moving_stats
from contrib_compat.batch_norm_ops import ones_like
from contrib_compat.batch_norm_ops import params_shape
from contrib_compat.batch_norm_ops import scale_offset
from contrib_compat.batch_norm_ops import smart_cond
from contrib_compat.batch_norm_ops import update_op
from contrib_compat.batch_norm_ops import weighted_moments
from contrib_compat.hints import (BoolOrTensor, LayerFn, OutputsCollections,
                                  Reuse, Scope, TensorLike,
                                  VariablesCollections)

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


@argscope.add_arg_scope
def batch_norm(inputs: TensorLike,  # noqa: PLR0913 (TF1's signature)
               decay: float = 0.999,
               center: bool = True,
               scale: bool = False,
               epsilon: float = 0.001,
               activation_fn: LayerFn = None,
               param_initializers: Optional[Mapping[str, Any]] = None,
               param_regularizers: Optional[Mapping[str, Any]] = None,
               updates_collections: Optional[str] = _UPDATE_OPS,
               is_training: BoolOrTensor = True,
               reuse: Reuse = None,
               variables_collections: VariablesCollections = None,
               outputs_collections: OutputsCollections = None,
               trainable: bool = True,
               batch_weights: Optional[TensorLike] = None,
               fused: Optional[bool] = None,
               data_format: str = _NHWC,
               zero_debias_moving_mean: bool = False,
               scope: Scope = None,
               renorm: bool = False,
               renorm_clipping: Optional[Mapping[str, Any]] = None,
               renorm_decay: float = 0.99,
               adjustment: LayerFn = None) -> tf.Tensor:
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
  constant_value(is_training)  # Rejects bad values before building anything.
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
    channels = params_shape(inputs, _NHWC)[2]
    inputs = tf.reshape(inputs, [-1, channels, 1, 1] if data_format == _NCHW
                        else [-1, 1, 1, channels])
  _, _, channels = params_shape(inputs, data_format)
  # float32 parameters whatever the input type: fp16 would lose precision.
  beta, gamma = scale_offset(config, [channels], tf.float32,
                              config.collections, gamma_first=False,
                              stand_ins=True)
  stats = moving_stats(config.initializers, [channels], tf.float32,
                        config.collections)
  moving_mean, moving_variance = stats['moving_mean'], stats['moving_variance']

  outputs, mean, variance = smart_cond(
      is_training,
      lambda: fused_batch_norm(inputs, gamma, beta, epsilon, data_format),
      lambda: fused_batch_norm(inputs, gamma, beta, epsilon, data_format,
                                moving_mean, moving_variance))

  def updates():
    return _moving_updates(stats, mean, variance, config)

  updates_collections = config.updates_collections
  training_value = constant_value(is_training)
  if training_value is None or training_value:
    if updates_collections is None:
      def forced():
        with tf.control_dependencies(updates()):
          return tf.identity(outputs)
      outputs = smart_cond(is_training, forced, lambda: outputs)
    else:
      update_mean, update_variance = smart_cond(
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
  rank, axis, channels = params_shape(inputs, config.data_format)
  dtype = inputs.dtype.base_dtype
  param_dtype = tf.float32 if dtype in (tf.float16, tf.bfloat16) else dtype
  # TF 1.15's layer fused rank 4 only (TF 2's Keras added rank 5).
  fused_kernel = (config.fused and rank == 4 and not config.renorm and
                  config.adjustment is None and dtype in _FUSED_DTYPES)
  # The layer was built with collections=None and filed its variables
  # afterwards (reused ones too); `False` tells the helpers to skip them.
  # Its build() made the fused kernel's stand-ins for absent gamma / beta.
  beta, gamma = scale_offset(config, [channels], param_dtype, False,
                              gamma_first=True, create=layer_weight,
                              stand_ins=fused_kernel)
  stats = moving_stats(
      config.initializers, [channels], param_dtype, False,
      renorm=config.renorm, create=layer_weight,
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
  (made with the variables, by `scale_offset`), then (training) the empty
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
    return fused_batch_norm(inputs, gamma, beta, epsilon, data_format)

  def inference():
    return fused_batch_norm(inputs, gamma, beta, epsilon, data_format,
                             moving_mean, moving_variance)

  outputs, mean, variance = smart_cond(is_training, training, inference)
  training_value = constant_value(is_training)
  if training_value is None:
    # Inference runs the same updates with momentum 1: no change.
    momentum = smart_cond(is_training, lambda: decay, lambda: 1.0)
  else:
    # Made in inference too, unused: TF1 left it in every fused layer.
    momentum = tf.convert_to_tensor(decay)
  update_ops = []
  if training_value is None or training_value:
    update_ops = [
        update_op(keras_moving_average(moving_mean, mean, momentum)),
        update_op(keras_moving_average(moving_variance, variance,
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
  training_value = constant_value(is_training)
  update_ops = []
  if training_value is False:
    mean, variance = moving_mean, moving_variance
  else:
    if adjustment:
      adj_scale, adj_bias = adjustment(tf.shape(inputs))
      adj_scale = smart_cond(is_training, lambda: adj_scale,
                              lambda: ones_like(adj_scale))
      adj_bias = smart_cond(is_training, lambda: adj_bias,
                             lambda: tf.zeros_like(adj_bias))
      scale, offset = compose(adj_scale, adj_bias, scale, offset)
    batch_mean, batch_variance = tf.nn.moments(
        tf.cast(inputs, param_dtype), reduction_axes, keepdims=False)
    mean = smart_cond(is_training, lambda: batch_mean,
                       lambda: tf.convert_to_tensor(moving_mean))
    variance = smart_cond(is_training, lambda: batch_variance,
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
        return keras_moving_average(moving_variance, new_variance, decay)
      # Renorm tracks the stddev (epsilon included) and derives the variance.
      moving_stddev = keras_moving_average(
          stats['moving_stddev'], tf.sqrt(new_variance + epsilon), decay)
      return keras_assign(
          moving_variance,
          tf.nn.relu(moving_stddev * moving_stddev - epsilon))

    update_ops = [
        update_op(smart_cond(
            is_training,
            lambda: keras_moving_average(moving_mean, new_mean, decay),
            lambda: moving_mean)),
        update_op(smart_cond(is_training, variance_update,
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
  r = smart_cond(is_training, lambda: r, lambda: ones_like(r))
  d = smart_cond(is_training, lambda: d, lambda: tf.zeros_like(d))

  def update(var, value):
    value = tf.identity(value)
    return smart_cond(
        is_training, lambda: keras_moving_average(var, value, renorm_decay),
        lambda: tf.identity(var))

  new_mean = update(stats['renorm_mean'], mean)
  new_stddev = update(stats['renorm_stddev'], stddev)
  with tf.control_dependencies([new_mean, new_stddev]):
    return r, d, tf.identity(mean), tf.identity(variance)


def _legacy(inputs, config):
  """tf.contrib's own unfused path: batch_weights / custom update handling."""
  data_format, batch_weights = config.data_format, config.batch_weights
  is_training = config.is_training
  rank, _, channels = params_shape(inputs, data_format)
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
  beta, gamma = scale_offset(config, [channels], dtype, config.collections,
                              gamma_first=False, regularized=False)
  stats = moving_stats(config.initializers, [channels], dtype,
                        config.collections)
  moving_mean, moving_variance = stats['moving_mean'], stats['moving_variance']

  training_value = constant_value(is_training)
  if training_value is None or training_value:
    keep = data_format == _NCHW
    if batch_weights is None:
      mean, variance = tf.nn.moments(inputs, moments_axes, keepdims=keep)
    else:
      mean, variance = weighted_moments(inputs, moments_axes, batch_weights,
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
      mean, variance = smart_cond(is_training, forced, moving_vars_fn)
    else:
      update_mean, update_variance = smart_cond(is_training, updates,
                                                 moving_vars_fn)
      tf.add_to_collections(updates_collections, update_mean)
      tf.add_to_collections(updates_collections, update_variance)
      batch = (mean, variance)
      mean, variance = smart_cond(is_training, lambda: batch, moving_vars_fn)
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
