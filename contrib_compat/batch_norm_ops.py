"""What batch_norm's graphs are made of, node for node as TF 1.15 built them.

The ops: TF 2 renamed or rebuilt several of them (`ones_like`'s shape, the
weighted moments' division, the fused kernel's minimum epsilon, the Keras
layer's moving-average update), so normalization.py's three paths call
these instead and the graph is the one TF1 checkpoints were trained with.
The variables: beta / gamma and the moving statistics, in each path's
order, through the getter or `model_variable` that path used in TF1.
"""
import numpy as np
import tensorflow as tf2
import tensorflow.compat.v1 as tf

from contrib_compat import moving_averages
from contrib_compat import variables

NCHW = 'NCHW'


def constant_value(pred):
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


def smart_cond(pred, true_fn, false_fn, name=None):
  """Calls one branch when `pred` is static, else builds a tf.cond."""
  value = constant_value(pred)
  if value is not None:
    return true_fn() if value else false_fn()
  return tf.cond(pred, true_fn, false_fn, name=name)


# TF 1.x's tf.nn.fused_batch_norm raised epsilon to cuDNN's minimum on every
# device; TF 2's does not, so a TF1 graph had 1.001e-05 where the user gave
# 1e-05 (or less), and its checkpoints were trained with that.
FUSED_MIN_EPSILON = 1.001e-5


def fused_batch_norm(inputs, gamma, beta, epsilon, data_format, mean=None,
                      variance=None):
  """tf.nn.fused_batch_norm as TF 1.x built it; inference when given moments."""
  epsilon = max(epsilon, FUSED_MIN_EPSILON)
  if mean is None:
    return tf.nn.fused_batch_norm(inputs, gamma, beta, epsilon=epsilon,
                                  data_format=data_format)
  return tf.nn.fused_batch_norm(inputs, gamma, beta, mean=mean,
                                variance=variance, epsilon=epsilon,
                                is_training=False, data_format=data_format)


def ones_like(tensor):
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


def weighted_moments(x, axes, frequency_weights, keepdims):
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


def update_op(update):
  """The op of an update; None when executing eagerly (it has already run)."""
  return None if tf.executing_eagerly() else update.op


def keras_moving_average(variable, value, momentum):
  """The layer's update: variable -= (variable - value) * (1 - momentum)."""
  with tf.name_scope(None, 'AssignMovingAvg', []) as scope:
    with moving_averages.colocate(variable):
      decay = tf.convert_to_tensor(1.0 - momentum, name='decay')
      if decay.dtype != variable.dtype.base_dtype:
        decay = tf.cast(decay, variable.dtype.base_dtype)
      delta = (variable - tf.cast(value, variable.dtype.base_dtype)) * decay
      return tf.assign_sub(variable, delta, name=scope)


def keras_assign(variable, value):
  with tf.name_scope(None, 'AssignNewValue', []) as scope:
    with moving_averages.colocate(variable):
      return tf.assign(variable, value, name=scope)


def params_shape(inputs, data_format):
  """(rank, channel axis, channels); errors name `inputs`."""
  shape = inputs.shape
  if shape.rank is None:
    raise ValueError('batch_norm: `inputs` %s has undefined rank; a known rank '
                     'is needed' % inputs.name)
  axis = 1 if data_format == NCHW else shape.rank - 1
  channels = shape.dims[axis] if shape.rank > axis >= 0 else None
  channels = channels if channels is None or isinstance(channels, int) else (
      channels.value)
  if channels is None:
    raise ValueError(
        'batch_norm: `inputs` %s has undefined `C` (channels) dimension '
        '(data_format=%s, shape %s); it must be known' % (inputs.name,
                                                           data_format, shape))
  return shape.rank, axis, channels


def layer_weight(name, **kwargs):
  """A variable as TF1's Keras layer made it: through `get_variable`.

  The layer path's variable scope carries the layer getter, which calls
  `model_variable` once, as TF1's did; the other paths call `model_variable`
  themselves (and the legacy path, as in TF1, then passes the getter too).
  """
  return tf.get_variable(name, **kwargs)


def moving_stats(initializers, shape, dtype, collections, renorm=False,
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


def scale_offset(config, shape, dtype, collections, gamma_first,
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
        keras_name=name if create is layer_weight else None, shape=shape,
        dtype=dtype, initializer=config.initializers.get(name, default),
        trainable=config.trainable,
        collections=variables.get_variable_collections(collections, name)
        if collections is not False else None)
  return made['beta'], made['gamma']
