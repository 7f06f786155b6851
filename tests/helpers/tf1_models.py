"""Small TF1-style models and inputs the TF 2 bridge tests share.

`small_mobilenet` is a slim-style model: a MobileNet v1 stem -- depthwise
`separable_conv2d(num_outputs=None)` and pointwise `separable_conv2d`
layers, each with batch norm, an L2 weight regularizer, and a linear logits
layer. `graph_mode_reference` builds a model function the TF1 way (a
tf.Graph and a Session), for comparing with Tf1Module, XLA,
tf.distribute and SavedModel runs.
"""
import numpy as np
import tensorflow.compat.v1 as tf

import contrib_compat

REG = tf.GraphKeys.REGULARIZATION_LOSSES
UPDATE = tf.GraphKeys.UPDATE_OPS


def batch_norm():
  """contrib_compat.batch_norm (TF1 contrib semantics), looked up on use."""
  return contrib_compat.batch_norm


def small_mobilenet(images, num_classes=5, is_training=True,
                    weight_decay=0.01, scope='MobilenetV1'):
  """A MobileNet-v1-style stack of separable layers; returns logits."""
  bn = batch_norm()
  with tf.variable_scope(scope, [images]):
    with contrib_compat.arg_scope(
        [contrib_compat.separable_conv2d],
        normalizer_fn=bn, activation_fn=tf.nn.relu6,
        weights_regularizer=lambda w: tf.multiply(
            tf.nn.l2_loss(w), weight_decay, name='l2'),
        normalizer_params={'is_training': is_training, 'scale': True,
                           'decay': 0.9}):
      net = contrib_compat.separable_conv2d(
          images, 8, [3, 3], stride=2, scope='Conv2d_0')
      net = contrib_compat.separable_conv2d(
          net, None, [3, 3], scope='Conv2d_1_depthwise')
      net = contrib_compat.separable_conv2d(
          net, 16, [1, 1], scope='Conv2d_1_pointwise')
      net = contrib_compat.separable_conv2d(
          net, None, [3, 3], stride=2, rate=1, scope='Conv2d_2_depthwise')
      net = contrib_compat.separable_conv2d(
          net, 16, [1, 1], scope='Conv2d_2_pointwise')
    net = tf.reduce_mean(net, [1, 2], keepdims=True, name='AvgPool')
    net = contrib_compat.separable_conv2d(
        net, num_classes, [1, 1], activation_fn=None, scope='Logits')
    return tf.squeeze(net, [1, 2], name='logits')


def images(batch=4, size=16, seed=0):
  return np.random.RandomState(seed).uniform(
      -1, 1, [batch, size, size, 3]).astype(np.float32)


def graph_mode_reference(model_fn, inputs, values=None, train_steps=0,
                         checkpoint=None, **kwargs):
  """Builds `model_fn` in a tf.Graph; returns outputs and variable values.

  Args:
    model_fn: the model function.
    inputs: numpy input.
    values: optional {name: value} assigned before running.
    train_steps: how many times to run the UPDATE_OPS (batch-norm moving
      averages) before the final outputs, as a TF1 training loop did.
    checkpoint: optional path prefix; a tf.train.Saver checkpoint is written.
    **kwargs: for `model_fn`.

  Returns:
    (outputs, {name: value}, [regularization loss values], [loss names]).
  """
  with tf.Graph().as_default() as g:
    tf.set_random_seed(1)
    x = tf.placeholder(tf.float32, inputs.shape)
    outputs = model_fn(x, **kwargs)
    update = tf.group(*tf.get_collection(UPDATE))
    losses = [tf.convert_to_tensor(t) for t in tf.get_collection(REG)]
    with tf.Session(graph=g) as sess:
      sess.run(tf.global_variables_initializer())
      for var in tf.global_variables():
        if values and var.op.name in values:
          sess.run(var.assign(values[var.op.name]))
      for _ in range(train_steps):
        sess.run(update, {x: inputs})
      result = sess.run(outputs, {x: inputs})
      final = {v.op.name: sess.run(v) for v in tf.global_variables()}
      loss_values = sess.run(losses)
      if checkpoint:
        tf.train.Saver().save(sess, checkpoint)
  return result, final, loss_values, [t.op.name for t in losses]


def randomize(module, seed=3):
  """Gives every variable distinct values (moving variances positive)."""
  rng = np.random.RandomState(seed)
  for var in module.variables:
    value = rng.uniform(-0.5, 0.5, var.shape).astype(np.float32)
    if 'variance' in var.name or 'gamma' in var.name:
      value = np.abs(value) + 0.5
    var.assign(value)
