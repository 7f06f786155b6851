"""MobileNet v1 in the slim style: depthwise + pointwise conv pairs.

After a 3x3 stride-2 `Conv2d_0`, each of the 13 layers is `Conv2d_<i>_depthwise`
(`separable_conv2d(net, None, [3, 3], depth_multiplier=1, ...)`, the
depthwise-only branch) followed by `Conv2d_<i>_pointwise` (a 1x1 conv2d), all
normalized by `batch_norm` under one `arg_scope`. Scope names are those of
the TF1 model zoo (`MobilenetV1/Conv2d_3_depthwise/depthwise_weights`,
`MobilenetV1/Conv2d_3_pointwise/BatchNorm/moving_mean`,
`MobilenetV1/Logits/Conv2d_1c_1x1/weights`), so checkpoints written by TF1
restore into it.

Every function takes `layers`: the namespace providing `conv2d`,
`separable_conv2d`, `batch_norm`, `arg_scope`, `avg_pool2d`, ... It defaults
to `contrib_compat.slim`; passing `tf_slim` builds the same network with
tf-slim's own layers (that is how the golden variable list is made).
"""
import tensorflow.compat.v1 as tf

from contrib_compat import slim as _slim
from contrib_compat.models.conv_bn_scope import conv_bn_arg_scope

# (kind, stride, depth) of Conv2d_0 .. Conv2d_13, as in the TF1 model zoo.
MOBILENET_V1_CONV_DEFS = (
    ('conv', 2, 32),
    ('sep', 1, 64), ('sep', 2, 128), ('sep', 1, 128), ('sep', 2, 256),
    ('sep', 1, 256), ('sep', 2, 512), ('sep', 1, 512), ('sep', 1, 512),
    ('sep', 1, 512), ('sep', 1, 512), ('sep', 1, 512), ('sep', 2, 1024),
    ('sep', 1, 1024))


def mobilenet_v1_arg_scope(is_training=True, weight_decay=4e-5, stddev=0.09,
                           regularize_depthwise=False, batch_norm_decay=0.9997,
                           batch_norm_epsilon=0.001, layers=None):
  """Defaults for MobileNet v1 layers: BN after every conv, relu6.

  Args:
    is_training: batch_norm training mode (bool or boolean tensor).
    weight_decay: L2 weight decay of the conv weights.
    stddev: stddev of the truncated normal weight initializer.
    regularize_depthwise: whether depthwise weights are regularized too.
    batch_norm_decay: batch_norm moving average decay.
    batch_norm_epsilon: batch_norm epsilon.
    layers: layer namespace (default `contrib_compat.slim`).

  Returns:
    An arg_scope dict for `layers.arg_scope(...)`.
  """
  return conv_bn_arg_scope(
      layers or _slim, weight_decay, stddev, tf.nn.relu6, regularize_depthwise,
      dict(is_training=is_training, center=True, scale=True,
           decay=batch_norm_decay, epsilon=batch_norm_epsilon))


def mobilenet_v1_base(inputs, depth_multiplier=1.0, min_depth=8,
                      scope='MobilenetV1', layers=None):
  """The convolutional trunk; returns (last feature map, end_points)."""
  if depth_multiplier <= 0:
    raise ValueError('mobilenet_v1: `depth_multiplier` must be greater than '
                     'zero, got %r' % (depth_multiplier,))
  slim = layers or _slim
  end_points = {}
  with tf.variable_scope(scope, 'MobilenetV1', [inputs]):
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d], padding='SAME'):
      net = inputs
      for i, (kind, stride, depth) in enumerate(MOBILENET_V1_CONV_DEFS):
        depth = max(int(depth * depth_multiplier), min_depth)
        if kind == 'conv':
          name = 'Conv2d_%d' % i
          net = slim.conv2d(net, depth, [3, 3], stride=stride, scope=name)
          end_points[name] = net
          continue
        name = 'Conv2d_%d_depthwise' % i
        net = slim.separable_conv2d(net, None, [3, 3], depth_multiplier=1,
                                    stride=stride, scope=name)
        end_points[name] = net
        name = 'Conv2d_%d_pointwise' % i
        net = slim.conv2d(net, depth, [1, 1], stride=1, scope=name)
        end_points[name] = net
  return net, end_points


def _dropout(net, keep_prob, is_training):
  """Dropout in training only (tf_slim's dropout needs the Keras layers)."""
  with tf.name_scope('Dropout_1b'):
    if keep_prob >= 1.0 or is_training is False:
      return net
    if is_training is True:
      return tf.nn.dropout(net, rate=1.0 - keep_prob)
    return tf.cond(is_training,
                   lambda: tf.nn.dropout(net, rate=1.0 - keep_prob),
                   lambda: tf.identity(net))


def mobilenet_v1(inputs, num_classes=1000, dropout_keep_prob=0.999,
                 is_training=True, min_depth=8, depth_multiplier=1.0,
                 reuse=None, scope='MobilenetV1', layers=None):
  """MobileNet v1 classifier; returns (logits, end_points).

  Args:
    inputs: [batch, height, width, 3] float images.
    num_classes: number of classes; None returns the pooled features.
    dropout_keep_prob: keep probability of the dropout before the logits.
    is_training: training mode for batch_norm and dropout.
    min_depth: lower bound on every layer's depth.
    depth_multiplier: multiplies every layer's depth.
    reuse: whether to reuse the variables (needs the same `scope`).
    scope: variable scope.
    layers: layer namespace (default `contrib_compat.slim`).

  Returns:
    logits [batch, num_classes] (or the pooled [batch, 1, 1, depth]) and a
    dict of end points.

  Raises:
    ValueError: if `inputs` is not rank 4 or `depth_multiplier` <= 0.
  """
  slim = layers or _slim
  if inputs.shape.rank != 4:
    raise ValueError('mobilenet_v1: `inputs` must be rank 4 (NHWC), got shape '
                     '%s' % inputs.shape)
  with tf.variable_scope(scope, 'MobilenetV1', [inputs], reuse=reuse) as sc:
    with slim.arg_scope([slim.batch_norm], is_training=is_training):
      net, end_points = mobilenet_v1_base(
          inputs, depth_multiplier=depth_multiplier, min_depth=min_depth,
          scope=sc, layers=slim)
      with tf.variable_scope('Logits'):
        # The 7x7 pool of the 224x224 network, shrunk for small inputs.
        kernel = [min(d, 7) for d in net.shape.as_list()[1:3]]
        net = slim.avg_pool2d(net, kernel, padding='VALID', scope='AvgPool_1a')
        end_points['AvgPool_1a'] = net
        if not num_classes:
          return net, end_points
        net = _dropout(net, dropout_keep_prob, is_training)
        logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None,
                             normalizer_fn=None, scope='Conv2d_1c_1x1')
        logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
      end_points['Logits'] = logits
      end_points['Predictions'] = tf.nn.softmax(logits, name='Predictions')
  return logits, end_points
