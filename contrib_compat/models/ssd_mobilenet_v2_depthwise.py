"""The SSD MobileNet v2 graph of the TF 1.13 Object Detection API, rebuilt.

Rebuilds, with this package's layers, every variable of the checkpoint in
`tests/data/tf1.13-ssd-mobilenet-v2` (345 variables: the feature
extractor, the box predictors and `global_step`) under the checkpoint's exact
names, so that

    contrib-compat-ckpt diff .../model.ckpt --input-shape 1,300,300,3 \\
        --model contrib_compat.models.ssd_mobilenet_v2_depthwise:ssd_model

checks a real TF1 checkpoint against this package. The 21 depthwise layers
are `separable_conv2d(net, None, [3, 3], ...)` with `BatchNorm` and `relu6`,
17 inside MobileNet v2 (`FeatureExtractor/MobilenetV2/expanded_conv_N/
depthwise`) and 4 in the extra feature maps with `use_depthwise: true`
(`FeatureExtractor/MobilenetV2/layer_19_2_Conv2d_N_3x3_s2_D_depthwise`).
Values follow the fixture's `pipeline.config`: truncated normal(0.03)
initializers, l2 weight decay 4e-5 on every weight (depthwise included),
batch_norm decay 0.9997 and epsilon 1e-3.
"""
import tensorflow.compat.v1 as tf

from contrib_compat import slim as _slim
from contrib_compat.models import mobilenet_v2

# (1x1 depth, 3x3 stride-2 depth) of the extra feature maps after layer_19.
EXTRA_LAYERS = ((256, 512), (128, 256), (128, 256), (64, 128))
# Anchors per location of each of the six feature maps.
ANCHORS = (3, 6, 6, 6, 6, 6)
NUM_CLASSES = 3


def ssd_arg_scope(is_training=False, layers=None):
  """The fixture's conv_hyperparams as an arg_scope dict."""
  slim = layers or _slim
  with slim.arg_scope(mobilenet_v2.mobilenet_v2_arg_scope(
      weight_decay=4e-5, stddev=0.03, bn_decay=0.9997, bn_epsilon=1e-3,
      regularize_depthwise=True, layers=slim)):
    with slim.arg_scope([slim.batch_norm], is_training=is_training) as scope:
      return scope


def feature_extractor(inputs, is_training=False, layers=None):
  """FeatureExtractor/MobilenetV2: the backbone plus the extra feature maps.

  Args:
    inputs: [batch, height, width, 3] images.
    is_training: batch_norm mode.
    layers: layer namespace (default `contrib_compat.slim`).

  Returns:
    (feature_maps, end_points): the six maps the box predictors read
    (layer_15's expansion output, layer_19 and the four extra layers).
  """
  slim = layers or _slim
  with slim.arg_scope(ssd_arg_scope(is_training, layers=slim)):
    with tf.variable_scope('FeatureExtractor'):
      with tf.variable_scope('MobilenetV2'):
        net, end_points = mobilenet_v2.mobilenet_v2_base(
            inputs, blocks=mobilenet_v2.MOBILENET_V2_BLOCKS, first_depth=32,
            last_depth=1280, min_depth=16, layers=slim)
        feature_maps = [end_points['layer_15/expansion_output'], net]
        for index, (depth_1x1, depth_3x3) in enumerate(EXTRA_LAYERS, 2):
          net = slim.conv2d(
              net, depth_1x1, [1, 1],
              scope='layer_19_1_Conv2d_%d_1x1_%d' % (index, depth_1x1))
          name = 'layer_19_2_Conv2d_%d_3x3_s2_%d' % (index, depth_3x3)
          net = slim.separable_conv2d(net, None, [3, 3], depth_multiplier=1,
                                      stride=2, scope=name + '_depthwise')
          net = slim.conv2d(net, depth_3x3, [1, 1], scope=name)
          end_points[name] = net
          feature_maps.append(net)
  return feature_maps, end_points


def box_predictors(feature_maps, num_classes=NUM_CLASSES, layers=None):
  """BoxPredictor_i: a 3x3 conv each for box encodings and class scores.

  Returns:
    A list of (box_encodings, class_predictions) per feature map.
  """
  slim = layers or _slim
  outputs = []
  with slim.arg_scope(
      [slim.conv2d], activation_fn=None, normalizer_fn=None,
      weights_initializer=tf.truncated_normal_initializer(stddev=0.03),
      weights_regularizer=slim.l2_regularizer(4e-5)):
    for index, (net, anchors) in enumerate(zip(feature_maps, ANCHORS)):
      with tf.variable_scope('BoxPredictor_%d' % index):
        boxes = slim.conv2d(net, anchors * 4, [3, 3],
                            scope='BoxEncodingPredictor')
        classes = slim.conv2d(net, anchors * (num_classes + 1), [3, 3],
                              scope='ClassPredictor')
        outputs.append((boxes, classes))
  return outputs


def ssd_model(inputs, is_training=False, layers=None):
  """Everything the fixture checkpoint holds: returns (predictions, end_points).

  Also makes `global_step` (int64), which the checkpoint records.
  """
  tf.train.get_or_create_global_step()
  feature_maps, end_points = feature_extractor(inputs, is_training,
                                               layers=layers)
  return box_predictors(feature_maps, layers=layers), end_points


def depthwise_layers(inputs, layers=None):
  """Only the 21 depthwise layers, each on a placeholder of its width.

  For `contrib-compat-ckpt diff --scope-filter depthwise` without building
  the rest. `inputs` only sets the batch and spatial size.
  """
  slim = layers or _slim
  batch, height, width = inputs.shape.as_list()[:3]
  widths = []
  channels = 32
  for expansion, out, repeats, _ in mobilenet_v2.MOBILENET_V2_BLOCKS:
    for _ in range(repeats):
      widths.append(mobilenet_v2.make_divisible(channels * expansion))
      channels = out
  outputs = []
  with slim.arg_scope(ssd_arg_scope(layers=slim)):
    with tf.variable_scope('FeatureExtractor/MobilenetV2'):
      names = ['expanded_conv' + ('_%d' % i if i else '') + '/depthwise'
               for i in range(len(widths))]
      names += ['layer_19_2_Conv2d_%d_3x3_s2_%d_depthwise' % (i, d)
                for i, (_, d) in enumerate(EXTRA_LAYERS, 2)]
      widths += [d for d, _ in EXTRA_LAYERS]
      for name, channels in zip(names, widths):
        stride = 2 if name.startswith('layer_19') else 1
        net = tf.placeholder(inputs.dtype, [batch, height, width, channels])
        outputs.append(slim.separable_conv2d(
            net, None, [3, 3], stride=stride, scope=name))
  return outputs
