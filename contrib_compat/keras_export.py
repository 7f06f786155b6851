"""`to_keras`: the way out -- Keras 3 layers carrying TF1 weights.

TF1 slim models keep each layer's weights under its variable scope:
`<scope>/depthwise_weights`, `<scope>/pointwise_weights`, `<scope>/weights`,
`<scope>/biases`, `<scope>/BatchNorm/{beta,gamma,moving_mean,
moving_variance}`. Keras 3 has layers computing the same functions with the
same weight layouts (`SeparableConv2D`, `DepthwiseConv2D`, `Conv2D`,
`BatchNormalization`); `to_keras` builds them from those weights so a model
can leave the TF1 style for good.

This is the only module of the package that imports Keras, and only when
`to_keras` is called: `import contrib_compat` never loads it.
"""
from typing import Any, Mapping, Sequence

import numpy as np

from contrib_compat import names

_LAYER_KEYS = ('scope', 'stride', 'padding', 'rate', 'activation',
               'batch_norm_epsilon')
_BN_PARAMS = ('gamma', 'beta', 'moving_mean', 'moving_variance')


def _weights_dict(source):
  """TF1 name -> numpy array, from a Tf1Module or a mapping."""
  if hasattr(source, 'variables_by_name'):
    return {name: var.numpy() for name, var in
            source.variables_by_name().items()}
  if hasattr(source, 'items'):
    return {names.op_name(k): np.asarray(v)
            for k, v in source.items()}
  raise TypeError('to_keras: `source` must be a Tf1Module or a dict from TF1 '
                  'variable names to values, got %r' % (source,))


def _pair(value, what, scope):
  pair = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
  if len(pair) != 2 or not all(isinstance(v, int) and v > 0 for v in pair):
    raise ValueError('to_keras: layer %r: `%s` must be a positive int or a '
                     'pair of them, got %r' % (scope, what, value))
  return pair


def _layer_spec(spec):
  spec = {'scope': spec} if isinstance(spec, str) else dict(spec)
  unknown = sorted(set(spec) - set(_LAYER_KEYS))
  if 'scope' not in spec or unknown:
    raise ValueError('to_keras: each entry of `layers` is a scope name or a '
                     'dict with key "scope" and optional %s; got %r'
                     % (', '.join(_LAYER_KEYS[1:]), spec))
  return spec


def _convert_layer(keras, weights, spec, used):
  """Keras layers (conv [+ BatchNormalization] [+ Activation]) for `spec`."""
  scope = spec['scope'].rstrip('/')

  def take(name):
    value = weights.get(scope + '/' + name)
    if value is not None:
      used.add(scope + '/' + name)
    return value

  strides = _pair(spec.get('stride', 1), 'stride', scope)
  rate = _pair(spec.get('rate', 1), 'rate', scope)
  padding = spec.get('padding', 'SAME')
  if not isinstance(padding, str) or padding.upper() not in ('SAME', 'VALID'):
    raise ValueError("to_keras: layer %r: `padding` must be 'SAME' or "
                     "'VALID', got %r" % (scope, padding))
  common = dict(strides=strides, padding=padding.lower(), dilation_rate=rate,
                name=scope.replace('/', '_'))
  depthwise = take('depthwise_weights')
  pointwise = take('pointwise_weights')
  dense = take('weights')
  biases = take('biases')
  if depthwise is not None and pointwise is not None:
    conv = keras.layers.SeparableConv2D(
        pointwise.shape[-1], depthwise.shape[:2],
        depth_multiplier=int(depthwise.shape[3]),
        use_bias=biases is not None, **common)
    kernels = [depthwise, pointwise]
  elif depthwise is not None:
    conv = keras.layers.DepthwiseConv2D(
        depthwise.shape[:2], depth_multiplier=int(depthwise.shape[3]),
        use_bias=biases is not None, **common)
    kernels = [depthwise]
  elif dense is not None and dense.ndim == 4:
    conv = keras.layers.Conv2D(dense.shape[-1], dense.shape[:2],
                               use_bias=biases is not None, **common)
    kernels = [dense]
  else:
    raise ValueError(
        'to_keras: no convolution weights under scope %r (looked for '
        'depthwise_weights, pointwise_weights, weights)' % scope)
  layers = [(conv, kernels + ([biases] if biases is not None else []))]

  bn = {name: take('BatchNorm/' + name) for name in _BN_PARAMS}
  if bn['moving_mean'] is not None:
    if bn['moving_variance'] is None:
      raise ValueError('to_keras: %s/BatchNorm has moving_mean but no '
                       'moving_variance' % scope)
    norm = keras.layers.BatchNormalization(
        epsilon=spec.get('batch_norm_epsilon', 0.001),
        center=bn['beta'] is not None, scale=bn['gamma'] is not None,
        name=scope.replace('/', '_') + '_BatchNorm')
    # Keras orders them gamma, beta, moving_mean, moving_variance.
    layers.append((norm, [bn[n] for n in _BN_PARAMS if bn[n] is not None]))
  activation = spec.get('activation', 'relu')
  if activation is not None:
    layers.append((keras.layers.Activation(activation), []))
  return layers


def to_keras(source: Any, layers: Sequence[Mapping[str, Any]],
             strict: bool = True) -> Any:
  """Builds a Keras 3 model of conv / separable / BN layers with TF1 weights.

  Each entry of `layers` names one slim layer by its variable scope: a
  `separable_conv2d` with `num_outputs` becomes `keras.layers.SeparableConv2D`,
  one with `num_outputs=None` becomes `DepthwiseConv2D`, a `conv2d` becomes
  `Conv2D`; biases become the layer's bias, and a `<scope>/BatchNorm` from
  `batch_norm` becomes `BatchNormalization` (with `center` / `scale` as the
  TF1 layer had beta / gamma; TF1's default was no gamma). The activation
  follows as an `Activation` layer. The weight layouts are the same in both
  frameworks, so values are copied unchanged.

  The hyper-parameters that are not in the weights are given per layer, as
  they were given to the TF1 layer: `stride`, `padding` ('SAME'), `rate`,
  `activation` (a callable such as `tf.nn.relu6`, a Keras activation name,
  or None; default 'relu' as TF1's `activation_fn=tf.nn.relu`) and
  `batch_norm_epsilon` (0.001, TF1's default). Only NHWC (channels-last)
  models convert.

  Args:
    source: A `contrib_compat.Tf1Module` (called at least once), or a dict
      from TF1 variable name to value (e.g. read from a TF1 checkpoint).
    layers: A list; each item a scope name or a dict with key 'scope' and
      the optional keys above.
    strict: If True, weights in `source` that no layer used raise, so a
      forgotten layer cannot go unnoticed.

  Returns:
    A `keras.Sequential` model taking NHWC float32 inputs of any spatial size.

  Raises:
    ImportError: if Keras 3 cannot be imported.
    TypeError: if `source` is neither a Tf1Module nor a dict.
    ValueError: if `layers` is empty or malformed, a scope has no
      convolution weights, or (with `strict`) weights are left over.
  """
  import keras
  if not str(keras.__version__).startswith('3.'):
    raise ImportError('to_keras needs Keras 3, found Keras %s'
                      % keras.__version__)
  weights = _weights_dict(source)
  specs = [_layer_spec(s) for s in (layers or ())]
  if not specs:
    raise ValueError('to_keras: `layers` must name at least one layer scope')
  used = set()
  converted = [_convert_layer(keras, weights, s, used) for s in specs]
  first_kernel = converted[0][0][1][0]
  model = keras.Sequential(
      [keras.Input((None, None, int(first_kernel.shape[2])))] +
      [layer for layer_list in converted for layer, _ in layer_list])
  for layer_list in converted:
    for layer, values in layer_list:
      if values:
        layer.set_weights(values)
  leftover = sorted(set(weights) - used)
  if strict and leftover:
    raise ValueError('to_keras: weights not used by any layer in `layers` '
                     '(strict=False to allow): %s' % leftover)
  return model
