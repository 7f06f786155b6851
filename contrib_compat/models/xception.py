"""An Xception entry flow in the slim style of DeepLab's Xception-65.

`entry_flow/conv1_1`, `conv1_2`, then `entry_flow/block<i>/unit_1/
xception_module`: three separable convs and a 1x1 `shortcut`. Once the
network's stride reaches `output_stride`, later strides turn into atrous
rates, which is what DeepLab used the depthwise `rate` argument for.

Each separable conv is built one of two ways, both seen in TF1 code:
`split_separable=True` (DeepLab): `separable_conv2d(net, None, ...)` named
`<name>_depthwise` followed by a 1x1 `conv2d` named `<name>_pointwise`, each
batch-normalized; `split_separable=False`: one `separable_conv2d(net, depth,
...)` (the pointwise branch) named `<name>`.

Every function takes `layers`, the namespace providing `conv2d`,
`separable_conv2d`, `batch_norm`, `arg_scope`, ... (default
`contrib_compat.slim`; `tf_slim` builds the same network with tf-slim's
layers).
"""
import tensorflow.compat.v1 as tf

from contrib_compat import slim as _slim
from contrib_compat.models import mobilenet_v2

# Output depths of the three separable convs of each entry-flow block.
XCEPTION_65_BLOCKS = ((128, 128, 128), (256, 256, 256), (728, 728, 728))
SMALL_BLOCKS = ((16, 16, 16), (24, 24, 24), (32, 32, 32))


def xception_arg_scope(weight_decay=4e-5, stddev=0.09, bn_decay=0.9997,
                       bn_epsilon=1e-3, regularize_depthwise=False,
                       layers=None):
  """Defaults: BN after every conv, relu, regularized pointwise weights.

  Args:
    weight_decay: L2 weight decay.
    stddev: stddev of the truncated normal weight initializer.
    bn_decay: batch_norm moving average decay.
    bn_epsilon: batch_norm epsilon.
    regularize_depthwise: also regularize depthwise weights.
    layers: layer namespace (default `contrib_compat.slim`).

  Returns:
    An arg_scope dict.
  """
  # DeepLab's Xception used MobileNet v2's conv hyperparameters with relu.
  return mobilenet_v2.mobilenet_v2_arg_scope(
      weight_decay=weight_decay, stddev=stddev, bn_decay=bn_decay,
      bn_epsilon=bn_epsilon, regularize_depthwise=regularize_depthwise,
      activation_fn=tf.nn.relu, layers=layers)


def separable_conv(net, depth, stride=1, rate=1, split_separable=True,
                   scope=None, layers=None):
  """A 3x3 separable conv, split in two layers or fused (see module doc)."""
  slim = layers or _slim
  if not split_separable:
    return slim.separable_conv2d(net, depth, [3, 3], depth_multiplier=1,
                                 stride=stride, rate=rate, scope=scope)
  net = slim.separable_conv2d(net, None, [3, 3], depth_multiplier=1,
                              stride=stride, rate=rate,
                              scope=scope + '_depthwise')
  return slim.conv2d(net, depth, [1, 1], scope=scope + '_pointwise')


def xception_module(net, depths, stride=1, rate=1, split_separable=True,
                    scope=None, layers=None):
  """Three separable convs (the last one strided) plus a 1x1 conv shortcut.

  The separable convs run at `rate` and the strided one keeps the same rate:
  DeepLab dilated the whole unit once `output_stride` was reached.
  """
  slim = layers or _slim
  with tf.variable_scope(scope, 'xception_module', [net]):
    residual = net
    for i, depth in enumerate(depths):
      residual = separable_conv(
          residual, depth, stride=stride if i == len(depths) - 1 else 1,
          rate=rate, split_separable=split_separable,
          scope='separable_conv%d' % (i + 1), layers=slim)
    shortcut = slim.conv2d(net, depths[-1], [1, 1], stride=stride,
                           activation_fn=None, scope='shortcut')
    return tf.add(residual, shortcut, name='add')


def xception_entry_flow(inputs, num_classes=None, is_training=True,
                        blocks=SMALL_BLOCKS, stem_depths=(16, 24),
                        output_stride=None, split_separable=True, reuse=None,
                        scope='xception_65', layers=None):
  """The entry flow of Xception-65. Call under `xception_arg_scope()`.

  Args:
    inputs: [batch, height, width, 3] images.
    num_classes: adds a pooled 1x1 `logits` conv if not None.
    is_training: batch_norm mode.
    blocks: separable conv depths per block; `XCEPTION_65_BLOCKS` is the
      published network.
    stem_depths: depths of conv1_1 (stride 2) and conv1_2.
    output_stride: largest stride to reach (a power of 2, at least 2);
      later blocks use stride 1 and a doubled atrous rate instead.
    split_separable: see the module docstring.
    reuse: reuse the variables of `scope`.
    scope: variable scope.
    layers: layer namespace (default `contrib_compat.slim`).

  Returns:
    (logits or features, end_points).

  Raises:
    ValueError: if `output_stride` cannot be reached by halving.
  """
  slim = layers or _slim
  if output_stride is not None and (output_stride < 2 or
                                    output_stride & (output_stride - 1)):
    raise ValueError('xception_entry_flow: `output_stride` must be a power of '
                     '2 that is at least 2, got %r' % (output_stride,))
  end_points = {}
  with tf.variable_scope(scope, 'xception_65', [inputs], reuse=reuse):
    with slim.arg_scope([slim.batch_norm], is_training=is_training):
      with tf.variable_scope('entry_flow'):
        net = slim.conv2d(inputs, stem_depths[0], [3, 3], stride=2,
                          scope='conv1_1')
        net = slim.conv2d(net, stem_depths[1], [3, 3], scope='conv1_2')
        current_stride, rate = 2, 1
        for i, depths in enumerate(blocks):
          name = 'block%d' % (i + 1)
          if output_stride is not None and current_stride >= output_stride:
            stride, rate = 1, rate * 2
          else:
            stride, current_stride = 2, current_stride * 2
          with tf.variable_scope(name):
            net = xception_module(net, depths, stride=stride, rate=rate,
                                  split_separable=split_separable,
                                  scope='unit_1/xception_module', layers=slim)
          end_points['entry_flow/' + name] = net
      if num_classes is not None:
        net = tf.reduce_mean(net, [1, 2], keepdims=True, name='global_pool')
        net = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                          normalizer_fn=None, scope='logits')
        net = tf.squeeze(net, [1, 2], name='SpatialSqueeze')
        end_points['logits'] = net
  return net, end_points
