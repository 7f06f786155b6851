"""The arg_scope the MobileNets share: every conv normalized, L2 on weights.

MobileNet v1 and v2 (and the SSD feature extractors built on them) used the
same nesting in the TF1 model zoo: conv2d and separable_conv2d get a
truncated-normal initializer, `normalizer_fn=batch_norm` and an activation;
conv2d's weights are L2-regularized, separable_conv2d's depthwise weights
only when asked. Only batch_norm's own defaults differ between them.
"""
import tensorflow.compat.v1 as tf


def conv_bn_arg_scope(slim, weight_decay, stddev, activation_fn,
                      regularize_depthwise, batch_norm_args):
  """Returns the arg_scope dict of a conv + batch_norm network.

  Args:
    slim: the layer namespace (`contrib_compat.slim` or `tf_slim`).
    weight_decay: L2 weight decay of the conv weights.
    stddev: stddev of the truncated normal weight initializer.
    activation_fn: activation after each normalized conv.
    regularize_depthwise: whether separable_conv2d's weights are regularized.
    batch_norm_args: keyword arguments scoped onto `slim.batch_norm`.

  Returns:
    An arg_scope dict for `slim.arg_scope(...)`.
  """
  regularizer = slim.l2_regularizer(weight_decay)
  with slim.arg_scope(
      [slim.conv2d, slim.separable_conv2d],
      weights_initializer=tf.truncated_normal_initializer(stddev=stddev),
      normalizer_fn=slim.batch_norm, activation_fn=activation_fn):
    with slim.arg_scope([slim.batch_norm], **batch_norm_args):
      with slim.arg_scope([slim.conv2d], weights_regularizer=regularizer):
        with slim.arg_scope(
            [slim.separable_conv2d],
            weights_regularizer=regularizer if regularize_depthwise
            else None) as scope:
          return scope
