"""The three separable layers compared, behind one signature.

Each is `layer(inputs, num_outputs, stride, scope)` building a 3x3 separable
convolution with biases and ReLU, and the same variables, collections and
graph nodes:

- `contrib_compat`: `contrib_compat.separable_conv2d`;
- `tf_slim`: tf-slim 1.1.0's `separable_conv2d` (its pointwise branch goes
  through `tensorflow.python.keras`);
- `raw`: `variable_scope` + `get_variable` + `tf.nn` ops, written inline: the
  floor for any graph-mode layer that makes these nodes.
"""
import warnings

import tensorflow.compat.v1 as tf

import contrib_compat

try:
  import tf_slim
except Exception:
  tf_slim = None

KERNEL = [3, 3]
_COLLECTIONS = [tf.GraphKeys.GLOBAL_VARIABLES, tf.GraphKeys.MODEL_VARIABLES]
_XAVIER = tf.variance_scaling_initializer(1.0, 'fan_avg', 'uniform')
_ZEROS = tf.zeros_initializer()


def _contrib_compat(inputs, num_outputs, stride, scope):
  return contrib_compat.separable_conv2d(inputs, num_outputs, KERNEL,
                                         stride=stride, scope=scope)


def _tf_slim(inputs, num_outputs, stride, scope):
  with warnings.catch_warnings():
    # Its Keras path warns that `layer.apply` is deprecated on every call.
    warnings.simplefilter('ignore')
    return tf_slim.separable_conv2d(inputs, num_outputs, KERNEL,
                                    stride=stride, scope=scope)


def _raw(inputs, num_outputs, stride, scope):
  with tf.variable_scope(scope):
    channels = inputs.shape[-1]
    strides = [1, stride, stride, 1]
    depthwise = tf.get_variable('depthwise_weights', [3, 3, channels, 1],
                                initializer=_XAVIER, collections=_COLLECTIONS)
    if num_outputs is None:
      outputs = tf.nn.depthwise_conv2d(inputs, depthwise, strides, 'SAME',
                                       rate=[1, 1])
      width = channels
    else:
      pointwise = tf.get_variable('pointwise_weights',
                                  [1, 1, channels, num_outputs],
                                  initializer=_XAVIER,
                                  collections=_COLLECTIONS)
      outputs = tf.nn.separable_conv2d(inputs, depthwise, pointwise, strides,
                                       'SAME', rate=[1, 1])
      width = num_outputs
    biases = tf.get_variable('biases', [width], initializer=_ZEROS,
                             collections=_COLLECTIONS)
    return tf.nn.relu(tf.nn.bias_add(outputs, biases))


LAYERS = {'contrib_compat': _contrib_compat, 'raw': _raw}
if tf_slim is not None:
  LAYERS['tf_slim'] = _tf_slim
# Column order in every table.
ORDER = [name for name in ('contrib_compat', 'tf_slim', 'raw')
         if name in LAYERS]
