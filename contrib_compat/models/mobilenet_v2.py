"""MobileNet v2 in the slim style: expanded-conv blocks around a depthwise conv.

Each block is `expand` (1x1 conv2d, skipped when the expansion is 1),
`depthwise` (`separable_conv2d(net, None, 3, depth_multiplier=...)`, the
depthwise-only branch) and `project` (linear 1x1 conv2d), with a residual add
when shape allows. Scope names are those of the TF1 model zoo
(`MobilenetV2/Conv`, `MobilenetV2/expanded_conv_3/depthwise/...`), so the
full-size configuration reads checkpoints written by TF1
(see `ssd_mobilenet_v2_depthwise`).

Every function takes `layers`: the namespace providing `conv2d`,
`separable_conv2d`, `batch_norm`, `arg_scope`, ... It defaults to
`contrib_compat.slim`; passing `tf_slim` builds the same network with
tf-slim's own layers (that is how the golden variable lists are made).
"""
import tensorflow.compat.v1 as tf

from contrib_compat import slim as _slim
from contrib_compat.models.conv_bn_scope import conv_bn_arg_scope

# (expansion, output channels, repeats, stride of the first repeat).
MOBILENET_V2_BLOCKS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                       (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1))
# A few blocks of each kind, for tests: builds and trains in seconds.
SMALL_BLOCKS = ((1, 8, 1, 1), (6, 16, 2, 2), (6, 24, 2, 2))


def make_divisible(value, divisor=8, min_value=None):
  """Rounds a channel count to a multiple of `divisor`, as MobileNet v2 did.

  Rounding never drops below 90% of `value`.
  """
  min_value = min_value or divisor
  rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
  if rounded < 0.9 * value:
    rounded += divisor
  return rounded


def mobilenet_v2_arg_scope(weight_decay=4e-5, stddev=0.09, bn_decay=0.997,
                           bn_epsilon=1e-3, regularize_depthwise=False,
                           activation_fn=tf.nn.relu6, layers=None):
  """Defaults for MobileNet v2 layers: BN after every conv, relu6.

  Args:
    weight_decay: L2 weight decay of the conv weights.
    stddev: stddev of the truncated normal weight initializer.
    bn_decay: batch_norm moving average decay.
    bn_epsilon: batch_norm epsilon.
    regularize_depthwise: whether depthwise weights are regularized too
      (the classifier did not; the SSD feature extractor did).
    activation_fn: activation after each normalized conv.
    layers: layer namespace (default `contrib_compat.slim`).

  Returns:
    An arg_scope dict for `layers.arg_scope(...)`.
  """
  return conv_bn_arg_scope(
      layers or _slim, weight_decay, stddev, activation_fn,
      regularize_depthwise,
      dict(decay=bn_decay, epsilon=bn_epsilon, center=True, scale=True))


def expanded_conv(net, num_outputs, expansion, stride=1,
                  depthwise_channel_multiplier=1, scope=None, layers=None):
  """One inverted-residual block; returns (output, {name: tensor}).

  Args:
    net: NHWC input.
    num_outputs: channels after the linear projection.
    expansion: input channel multiplier of the 1x1 expansion (1: no `expand`).
    stride: stride of the depthwise conv.
    depthwise_channel_multiplier: `depth_multiplier` of the depthwise conv.
    scope: variable scope, e.g. 'expanded_conv_3'.
    layers: layer namespace (default `contrib_compat.slim`).
  """
  slim = layers or _slim
  with tf.variable_scope(scope, 'expanded_conv', [net]):
    ends = {}
    inputs = tf.identity(net, name='input')
    in_channels = net.shape.as_list()[-1]
    if expansion != 1:
      net = slim.conv2d(inputs, make_divisible(in_channels * expansion),
                        [1, 1], scope='expand')
    net = ends['expansion_output'] = tf.identity(
        net if expansion != 1 else inputs, name='expansion_output')
    net = slim.separable_conv2d(
        net, None, [3, 3], depth_multiplier=depthwise_channel_multiplier,
        stride=stride, scope='depthwise')
    net = ends['depthwise_output'] = tf.identity(net, name='depthwise_output')
    net = slim.conv2d(net, num_outputs, [1, 1], activation_fn=None,
                      scope='project')
    if stride == 1 and in_channels == num_outputs:
      net = tf.add(inputs, net, name='add')
    return tf.identity(net, name='output'), ends


def mobilenet_v2_base(inputs, blocks=SMALL_BLOCKS, first_depth=16,
                      last_depth=64, depth_multiplier=1.0,
                      depthwise_channel_multiplier=1, min_depth=8,
                      layers=None):
  """Conv, the expanded-conv blocks and Conv_1, in the current scope.

  Returns:
    (net, end_points); end_points are keyed 'layer_<i>' (1-based, as TF1) and
    'layer_<i>/expansion_output', 'layer_<i>/depthwise_output'.
  """
  slim = layers or _slim

  def depth(d):
    return make_divisible(d * depth_multiplier, min_value=min_depth)

  end_points = {}
  net = slim.conv2d(inputs, depth(first_depth), [3, 3], stride=2,
                    scope='Conv')
  end_points['layer_1'] = net
  index = 0
  for expansion, channels, repeats, stride in blocks:
    for r in range(repeats):
      net, ends = expanded_conv(
          net, depth(channels), expansion, stride=stride if r == 0 else 1,
          depthwise_channel_multiplier=depthwise_channel_multiplier,
          scope='expanded_conv' + ('_%d' % index if index else ''),
          layers=slim)
      name = 'layer_%d' % (index + 2)
      end_points[name] = net
      for key, tensor in ends.items():
        end_points[name + '/' + key] = tensor
      index += 1
  # The last conv keeps its width when the multiplier shrinks the network.
  net = slim.conv2d(net, max(last_depth, depth(last_depth)), [1, 1],
                    scope='Conv_1')
  end_points['layer_%d' % (index + 2)] = net
  return net, end_points


def mobilenet_v2(inputs, num_classes=10, is_training=True,
                 blocks=SMALL_BLOCKS, first_depth=16, last_depth=64,
                 depth_multiplier=1.0, depthwise_channel_multiplier=1,
                 min_depth=8, dropout_keep_prob=0.8, reuse=None,
                 scope='MobilenetV2', layers=None):
  """MobileNet v2 classifier. Call under `mobilenet_v2_arg_scope()`.

  Args:
    inputs: [batch, height, width, 3] images.
    num_classes: number of logits; None returns the pooled features.
    is_training: batch_norm and dropout mode.
    blocks: (expansion, channels, repeats, stride) per stage; the default is
      small, `MOBILENET_V2_BLOCKS` is the published network.
    first_depth: channels of the first conv.
    last_depth: channels of the last 1x1 conv.
    depth_multiplier: width multiplier of every layer but the last.
    depthwise_channel_multiplier: `depth_multiplier` of each depthwise conv.
    min_depth: lower bound on scaled channel counts.
    dropout_keep_prob: dropout keep probability before the logits.
    reuse: reuse the variables of `scope` (a second tower).
    scope: variable scope.
    layers: layer namespace (default `contrib_compat.slim`).

  Returns:
    (logits, end_points), or (features, end_points) if num_classes is None.
  """
  slim = layers or _slim
  with tf.variable_scope(scope, 'MobilenetV2', [inputs], reuse=reuse):
    with slim.arg_scope([slim.batch_norm, slim.dropout],
                        is_training=is_training):
      net, end_points = mobilenet_v2_base(
          inputs, blocks=blocks, first_depth=first_depth,
          last_depth=last_depth, depth_multiplier=depth_multiplier,
          depthwise_channel_multiplier=depthwise_channel_multiplier,
          min_depth=min_depth, layers=slim)
      with tf.variable_scope('Logits'):
        net = tf.reduce_mean(net, [1, 2], keepdims=True, name='AvgPool')
        end_points['global_pool'] = net
        if num_classes is None:
          return net, end_points
        net = slim.dropout(net, keep_prob=dropout_keep_prob, scope='Dropout')
        net = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                          normalizer_fn=None,
                          biases_initializer=tf.zeros_initializer(),
                          scope='Conv2d_1c_1x1')
        logits = tf.squeeze(net, [1, 2], name='output')
      end_points['Logits'] = logits
      return logits, end_points
