"""`separable_conv2d`: tf.contrib.layers' depthwise-separable convolution.

Rebuilt on `tf.compat.v1` variable scopes and `tf.nn` ops so that it does not
depend on the Keras layers that tf.contrib (and tf-slim) delegated to. The
graph it builds -- variable names, node names and op types, collections and
regularization losses -- is the one tf.contrib / tf-slim 1.1.0 built.
"""
import dataclasses
import math
import operator
from typing import Any, Mapping, Optional, Tuple

import numpy as np
import tensorflow.compat.v1 as tf

from contrib_compat import argscope
from contrib_compat import variables
from contrib_compat.hints import (Initializer, IntOrPair, LayerFn,
                                  OutputsCollections, Regularizer, Reuse,
                                  Scope, TensorLike, VariablesCollections)

_NHWC = 'NHWC'
_NCHW = 'NCHW'

def _xavier_uniform(shape, dtype=tf.float32, partition_info=None):
  """tf.contrib's default `xavier_initializer()`, limit for limit.

  Uniform in +-sqrt(3 / mean(fan_in, fan_out)). Written out rather than taken
  from `tf.variance_scaling_initializer` because the two differ: contrib
  computed the fans from the shape it was given (a partition's, for
  partitioned variables) and its limit rounds differently in float64.
  """
  del partition_info  # Fans come from the part's own shape, as in TF1.
  dtype = tf.as_dtype(dtype)
  if not dtype.is_floating:
    raise TypeError('Cannot create initializer for non-floating point type.')
  fan_in = fan_out = 1.0
  if shape:
    fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1])
    fan_out = float(shape[-1])
    for dim in shape[:-2]:
      fan_in *= float(dim)
      fan_out *= float(dim)
  limit = math.sqrt(3.0 * 1.0 / ((fan_in + fan_out) / 2.0))
  return tf.random_uniform(shape, -limit, limit, dtype)


# TF1's Keras-backed pointwise branch named its weights the Keras way; the
# scope's getter mapped them to the slim names checkpoints hold. Any variable
# created under the layer's scope with one of these short names is renamed.
_RENAME = {'bias': 'biases',
           'depthwise_kernel': 'depthwise_weights',
           'pointwise_kernel': 'pointwise_weights'}


def _whole_number(value):
  """`value` as an int if it is integral or a whole-number float, else None.

  TF1 passed channel counts and list entries to `int()` or into a
  TensorShape, so `depth_multiplier=1.0` and `kernel_size=[3.0, 3.0]` built
  the layer; a non-whole float was truncated or failed deep in shape code.
  """
  try:
    return operator.index(value)
  except TypeError:
    pass
  if isinstance(value, (float, np.floating)) and float(value).is_integer():
    return int(value)
  return None


def _pair(value, arg_name):
  """An int or a pair of numbers as (h, w) ints; names `arg_name` if bad.

  A bare float was refused by TF1 (`two_element_tuple` and Keras'
  `normalize_tuple` both wanted an int); whole-number floats inside a list
  were accepted.
  """
  if isinstance(value, tf.TensorShape):
    value = value.as_list()
  if isinstance(value, (list, tuple)):
    pair = tuple(None if isinstance(v, bool) else _whole_number(v)
                 for v in value)
  else:
    is_int = not isinstance(value, (bool, float, np.floating)) and (
        _whole_number(value) is not None)
    pair = (operator.index(value),) * 2 if is_int else (None,)
  if len(pair) != 2 or None in pair or min(pair) < 1:
    raise ValueError('separable_conv2d: `%s` must be a positive int or a list '
                     'of 2 positive whole numbers, got %r' % (arg_name, value))
  return pair


def _positive_int(value, arg_name):
  """`value` as an int >= 1; TypeError / ValueError naming `arg_name`.

  Whole-number floats are taken, as TF1 took them (real model code passes
  `depth_multiplier=1.0`). TF1 raised from deep inside shape handling and
  without the argument's name (or, for 0, built a layer with no output
  channels).
  """
  number = _whole_number(value)
  if number is None:
    if isinstance(value, (float, np.floating)):
      raise ValueError('separable_conv2d: `%s` must be a whole number, got %r'
                       % (arg_name, value))
    raise TypeError('separable_conv2d: `%s` must be an int, got %r'
                    % (arg_name, value))
  if number < 1:
    raise ValueError('separable_conv2d: `%s` must be at least 1, got %r'
                     % (arg_name, value))
  return number


def _check_padding(padding, pointwise):
  """The padding string for tf.nn; the branches accepted different spellings.

  The pointwise branch went through a Keras layer that lower-cased its
  argument, so 'same' worked there; the depthwise-only branch handed it to
  tf.nn.depthwise_conv2d unchanged, which takes only 'SAME' and 'VALID'.
  """
  if isinstance(padding, str):
    if padding in ('SAME', 'VALID'):
      return padding
    if pointwise and padding.upper() in ('SAME', 'VALID'):
      return padding.upper()
  allowed = ("'SAME' or 'VALID' (any case)" if pointwise else
             "'SAME' or 'VALID' (upper case: with num_outputs=None TF1 passed "
             "it to tf.nn.depthwise_conv2d unchanged)")
  raise ValueError('separable_conv2d: `padding` must be %s, got %r'
                   % (allowed, padding))


def _num_channels(inputs, data_format):
  shape = inputs.shape
  if shape.rank != 4:
    raise ValueError(
        'separable_conv2d: `inputs` must have rank 4 (%s), got shape %s'
        % (data_format, shape))
  channels = shape.dims[1 if data_format == _NCHW else 3]
  channels = channels if isinstance(channels, int) or channels is None else (
      channels.value)
  if channels is None:
    raise ValueError(
        'separable_conv2d: the channel dimension of `inputs` must be known '
        '(data_format=%s), got shape %s' % (data_format, shape))
  return channels


def _conv_strides(stride, data_format):
  sh, sw = stride
  return [1, 1, sh, sw] if data_format == _NCHW else [1, sh, sw, 1]


@dataclasses.dataclass(frozen=True)
class _Branch:
  """What either branch builds from: separable_conv2d's checked arguments."""
  depthwise_shape: Tuple[int, int, int, int]  # [kh, kw, channels, multiplier]
  strides: Tuple[int, int]
  padding: str
  rates: Tuple[int, int]
  data_format: str
  dtype: Any
  weights_initializer: Any
  pointwise_initializer: Any
  weights_regularizer: Any
  biases_initializer: Optional[Any]  # None: no biases (a normalizer_fn)
  biases_regularizer: Any
  collections: Any  # variables_collections
  trainable: bool


def _pointwise_variable(branch, name, keras_name, shape, initializer,
                        regularizer, kind):
  # The pointwise branch of TF1 made its variables through a Keras layer: its
  # losses are named after the Keras weights (`depthwise_kernel`,
  # `pointwise_kernel`, `bias`), and it filed reused variables too.
  var = variables.regularized_variable(
      variables.model_variable, name, regularizer, keras_name=keras_name,
      shape=shape, dtype=branch.dtype, initializer=initializer,
      trainable=branch.trainable)
  variables.add_variable_to_collections(var, branch.collections, kind)
  return var


def _check_reuse(error, scope_name):
  """Turns get_variable's 'does not exist' into an error naming `reuse`."""
  if 'does not exist' in str(error) and tf.get_variable_scope().reuse is True:
    raise ValueError(
        'separable_conv2d: reuse=True but variable scope %r has no variables '
        'to reuse; build the layer once without reuse (or pass '
        'reuse=tf.AUTO_REUSE). TensorFlow said: %s' % (scope_name, error)
    ) from error
  raise error


@argscope.add_arg_scope
def separable_conv2d(inputs: TensorLike,  # noqa: PLR0913 (TF1's signature)
                     num_outputs: Optional[int],
                     kernel_size: IntOrPair,
                     depth_multiplier: int = 1,
                     stride: IntOrPair = 1,
                     padding: str = 'SAME',
                     data_format: str = _NHWC,
                     rate: IntOrPair = 1,
                     activation_fn: LayerFn = tf.nn.relu,
                     normalizer_fn: LayerFn = None,
                     normalizer_params: Optional[Mapping[str, Any]] = None,
                     weights_initializer: Initializer = _xavier_uniform,
                     pointwise_initializer: Initializer = None,
                     weights_regularizer: Regularizer = None,
                     biases_initializer: Initializer = (
                         tf.zeros_initializer()),  # noqa: B008
                     biases_regularizer: Regularizer = None,
                     reuse: Reuse = None,
                     variables_collections: VariablesCollections = None,
                     outputs_collections: OutputsCollections = None,
                     trainable: bool = True,
                     scope: Scope = None) -> tf.Tensor:
  """Adds a depthwise-separable 2D convolution, optionally normalized.

  As `tf.contrib.layers.separable_conv2d`: a depthwise convolution acting on
  each channel separately (variable `depthwise_weights`); if `num_outputs` is
  not None, a pointwise 1x1 convolution mixing channels (`pointwise_weights`).
  Then `biases` are added unless `normalizer_fn` is given, in which case it is
  applied instead, and finally `activation_fn`.

  TF1 built the two branches differently and this function keeps each branch's
  graph: with `num_outputs` the regularization losses are named after the
  Keras weights (`<scope>/depthwise_kernel/Regularizer/...`,
  `pointwise_kernel`, `bias`) and lower-case `padding` is accepted; with
  `num_outputs=None` they are named after the variables
  (`<scope>/depthwise_weights/Regularizer/...`, `biases`).

  Args:
    inputs: A 4-D float tensor, [batch, height, width, channels] for NHWC or
      [batch, channels, height, width] for NCHW. The channel dimension must be
      known.
    num_outputs: Number of pointwise output filters, or None to skip the
      pointwise convolution.
    kernel_size: [kernel_height, kernel_width] of the depthwise filter, or an
      int for both.
    depth_multiplier: Depthwise output channels per input channel.
    stride: [stride_height, stride_width] or an int for both.
    padding: 'SAME' or 'VALID'.
    data_format: 'NHWC' (default) or 'NCHW'.
    rate: [rate_height, rate_width] atrous rates, or an int for both. If any is
      larger than one, both strides must be one.
    activation_fn: Activation function; None keeps the output linear.
    normalizer_fn: Normalization function used instead of biases.
    normalizer_params: Keyword arguments for `normalizer_fn`.
    weights_initializer: Initializer for the depthwise weights.
    pointwise_initializer: Initializer for the pointwise weights; None uses
      `weights_initializer`.
    weights_regularizer: Optional regularizer for both weights.
    biases_initializer: Initializer for the biases; None skips them.
    biases_regularizer: Optional regularizer for the biases.
    reuse: Whether the layer and its variables are reused (True,
      `tf.AUTO_REUSE` or None); reusing needs `scope`.
    variables_collections: Extra collections for all variables, as a list, or
      a dict keyed 'weights' / 'biases'.
    outputs_collections: Collections the output is added to, aliased to the
      scope name.
    trainable: Whether the variables go to TRAINABLE_VARIABLES.
    scope: Optional variable scope; defaults to 'SeparableConv2d', uniquified.

  Returns:
    The output tensor.

  Raises:
    ValueError: if `data_format` is neither 'NHWC' nor 'NCHW', `inputs` is not
      rank 4 or has an unknown channel dimension, `padding`, `kernel_size`,
      `stride` or `rate` is malformed, `num_outputs` or `depth_multiplier` is
      below 1, `rate > 1` is combined with `stride > 1`, or `reuse=True` finds
      no variables to reuse.
    TypeError: if `inputs` is not of a floating point type, or `num_outputs`
      or `depth_multiplier` is not an int.
  """
  if data_format not in (_NCHW, _NHWC):
    raise ValueError('data_format has to be either NCHW or NHWC.')
  # TF1's scope-wide getter: what the normalizer or activation creates in
  # here is a model variable too, renamed by _RENAME.
  with tf.variable_scope(scope, 'SeparableConv2d', [inputs], reuse=reuse,
                         custom_getter=variables.layer_variable_getter(
                             _RENAME)) as sc:
    inputs = tf.convert_to_tensor(inputs)
    dtype = inputs.dtype.base_dtype
    if not dtype.is_floating:
      raise TypeError(
          'separable_conv2d: `inputs` has non-floating point type %s; '
          'a float16, bfloat16, float32 or float64 tensor is needed'
          % dtype.name)
    pointwise = num_outputs is not None
    if pointwise:
      num_outputs = _positive_int(num_outputs, 'num_outputs')
    depth_multiplier = _positive_int(depth_multiplier, 'depth_multiplier')
    kernel_h, kernel_w = _pair(kernel_size, 'kernel_size')
    strides = _pair(stride, 'stride')
    rates = _pair(rate, 'rate')
    if max(rates) > 1 and max(strides) > 1:
      raise ValueError(
          'separable_conv2d: `rate` > 1 cannot be combined with `stride` > 1 '
          '(got rate=%r, stride=%r)' % (rate, stride))
    padding = _check_padding(padding, pointwise)
    channels = _num_channels(inputs, data_format)
    if pointwise_initializer is None:
      pointwise_initializer = weights_initializer
    # TF1's two branches tested normalizer_fn differently: truthiness
    # (pointwise) and `is None` (depthwise only).
    with_biases = not normalizer_fn if pointwise else normalizer_fn is None
    branch = _Branch(
        depthwise_shape=(kernel_h, kernel_w, channels, depth_multiplier),
        strides=strides, padding=padding, rates=rates,
        data_format=data_format, dtype=dtype,
        weights_initializer=weights_initializer,
        pointwise_initializer=pointwise_initializer,
        weights_regularizer=weights_regularizer,
        biases_initializer=biases_initializer if with_biases else None,
        biases_regularizer=biases_regularizer,
        collections=variables_collections, trainable=trainable)

    try:
      if pointwise:
        outputs = _pointwise_branch(inputs, num_outputs, branch)
      else:
        outputs = _depthwise_branch(inputs, branch)
    except ValueError as e:
      _check_reuse(e, sc.name)

    if normalizer_fn is not None:
      outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    if activation_fn is not None:
      outputs = activation_fn(outputs)
    return variables.collect_named_outputs(outputs_collections, sc.name,
                                           outputs)


def _pointwise_branch(inputs, num_outputs, branch):
  """Depthwise + pointwise, as TF1's Keras SeparableConv2D layer built it."""
  # That layer looked up UPDATE_OPS, which creates the (empty) collection key
  # in the graph and hence in exported MetaGraphDefs.
  tf.get_collection_ref(tf.GraphKeys.UPDATE_OPS)
  depthwise_shape = list(branch.depthwise_shape)
  depthwise_weights = _pointwise_variable(
      branch, 'depthwise_weights', 'depthwise_kernel', depthwise_shape,
      branch.weights_initializer, branch.weights_regularizer, 'weights')
  pointwise_shape = [1, 1, depthwise_shape[2] * depthwise_shape[3],
                     num_outputs]
  pointwise_weights = _pointwise_variable(
      branch, 'pointwise_weights', 'pointwise_kernel', pointwise_shape,
      branch.pointwise_initializer, branch.weights_regularizer, 'weights')
  biases = None
  if branch.biases_initializer:
    biases = _pointwise_variable(
        branch, 'biases', 'bias', [num_outputs], branch.biases_initializer,
        branch.biases_regularizer, 'biases')
  outputs = tf.nn.separable_conv2d(
      inputs, depthwise_weights, pointwise_weights,
      _conv_strides(branch.strides, branch.data_format), branch.padding,
      rate=branch.rates, data_format=branch.data_format)
  if biases is not None:
    outputs = tf.nn.bias_add(outputs, biases, data_format=branch.data_format)
  return outputs


def _depthwise_branch(inputs, branch):
  """Depthwise only (`num_outputs=None`), as TF1 built it from tf.nn ops."""
  depthwise_shape = list(branch.depthwise_shape)
  depthwise_weights = variables.regularized_variable(
      variables.model_variable, 'depthwise_weights',
      branch.weights_regularizer, shape=depthwise_shape, dtype=branch.dtype,
      initializer=branch.weights_initializer, trainable=branch.trainable,
      collections=variables.get_variable_collections(branch.collections,
                                                     'weights'))
  outputs = tf.nn.depthwise_conv2d(
      inputs, depthwise_weights,
      _conv_strides(branch.strides, branch.data_format), branch.padding,
      rate=branch.rates, data_format=branch.data_format)
  if branch.biases_initializer is not None:
    biases = variables.regularized_variable(
        variables.model_variable, 'biases', branch.biases_regularizer,
        shape=[depthwise_shape[2] * depthwise_shape[3]], dtype=branch.dtype,
        initializer=branch.biases_initializer, trainable=branch.trainable,
        collections=variables.get_variable_collections(
            branch.collections, 'biases'))
    outputs = tf.nn.bias_add(outputs, biases, data_format=branch.data_format)
  return outputs


separable_convolution2d = separable_conv2d
