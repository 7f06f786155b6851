"""separable_conv2d and batch_norm inside tf.compat.v1.make_template.

`make_template` is TF1's own way to share a model's variables between calls;
in TF 2 it also runs eagerly and inside `tf.function`. tf-slim 1.1.0's
separable layer works there but logs "`layer.apply` is deprecated" on every
call, and its batch_norm does not run; ours must create the variables on the
first call, reuse them afterwards, and stay silent.
"""
import warnings

import numpy as np
import pytest
import tensorflow as tf2
import tensorflow.compat.v1 as tf

import contrib_compat
from tests.helpers.tf1_models import batch_norm
from tests.helpers.tf1_models import images

REG = tf.GraphKeys.REGULARIZATION_LOSSES


def _layers(x, is_training=True):
  """Both separable branches, each followed by batch_norm."""
  params = {'is_training': is_training, 'decay': 0.5}
  net = contrib_compat.separable_conv2d(
      x, 6, [3, 3], normalizer_fn=batch_norm(), normalizer_params=params,
      scope='pointwise')
  return contrib_compat.separable_conv2d(
      net, None, [3, 3], depth_multiplier=2, normalizer_fn=batch_norm(),
      normalizer_params=params, scope='depthwise')


# Below the template's scope ('net', uniquified per program in eager mode).
EXPECTED_NAMES = [
    'pointwise/depthwise_weights', 'pointwise/pointwise_weights',
    'pointwise/BatchNorm/beta', 'pointwise/BatchNorm/moving_mean',
    'pointwise/BatchNorm/moving_variance',
    'depthwise/depthwise_weights', 'depthwise/BatchNorm/beta',
    'depthwise/BatchNorm/moving_mean', 'depthwise/BatchNorm/moving_variance']


def _relative(template, variables):
  prefix = template.variable_scope_name.rstrip('/') + '/'
  assert all(v.name.startswith(prefix) for v in variables)
  return [v.name[len(prefix):-2] for v in variables]


def _call_quietly(fn, calls, tf_warnings):
  with warnings.catch_warnings():
    warnings.simplefilter('error')
    outputs = [fn(*args, **kwargs) for args, kwargs in calls]
  assert not [r.getMessage() for r in tf_warnings]
  return outputs


@pytest.mark.parametrize('in_function', [
    pytest.param(False, id='eager'),
    pytest.param(True, id='tf_function')])
def test_variables_created_once_and_reused_silently(in_function,
                                                    tf_warnings):
  template = tf.make_template('net', _layers)
  fn = tf2.function(template, autograph=False) if in_function else template
  x = images(size=8)
  calls = [((x,), {}), ((x,), {}), ((images(batch=2, size=8),), {}),
           ((x,), {'is_training': False}), ((x,), {'is_training': False})]
  outputs = _call_quietly(fn, calls, tf_warnings)
  assert sorted(_relative(template, template.variables)) == sorted(
      EXPECTED_NAMES)
  assert sorted(_relative(template, template.trainable_variables)) == sorted(
      n for n in EXPECTED_NAMES if 'moving' not in n)
  # Inference twice on the same variables: the same output.
  np.testing.assert_array_equal(outputs[3], outputs[4])
  assert outputs[0].shape == (4, 8, 8, 12)
  # The training calls moved the moving averages (decay 0.5: visibly).
  mean = dict(zip(_relative(template, template.variables),
                  template.variables))['pointwise/BatchNorm/moving_mean']
  assert np.abs(mean.numpy()).max() > 0


def test_template_and_graph_mode_agree():
  x = images(size=8)
  template = tf.make_template('net', _layers)
  template(x, is_training=False)
  rng = np.random.RandomState(0)
  values = {}
  for name, var in zip(_relative(template, template.variables),
                       template.variables):
    values[name] = rng.uniform(0.5, 1.0, var.shape).astype(np.float32)
    var.assign(values[name])
  with tf.Graph().as_default():
    graph_template = tf.make_template('net', _layers)
    y = graph_template(tf.constant(x), is_training=False)
    with tf.Session() as sess:
      variables = tf.global_variables()
      for name, var in zip(_relative(graph_template, variables), variables):
        sess.run(var.assign(values[name]))
      expected = sess.run(y)
  np.testing.assert_allclose(template(x, is_training=False), expected,
                             rtol=1e-5)


def test_eager_template_adds_regularization_losses_once():
  reg = lambda w: tf.reduce_sum(w * w)
  template = tf.make_template(
      'net', lambda x: contrib_compat.separable_conv2d(
          x, 4, [3, 3], weights_regularizer=reg, scope='sep'))
  ref = tf.get_collection_ref(REG)
  before = len(ref)
  try:
    for _ in range(3):
      template(images(size=8))
    assert len(ref) - before == 2  # depthwise and pointwise kernels
  finally:
    del ref[before:]


def test_variables_collections_inside_tf_function():
  # Filing a variable in `variables_collections` checks whether it is already
  # there; comparing variables with `==` inside a tf.function builds an Equal
  # op, which once made this raise OperatorNotAllowedInGraphError.
  collections = {'weights': ['mine'], 'biases': ['mine'],
                 'moving_mean': ['mine'], 'beta': ['mine']}

  def layers(x):
    net = contrib_compat.separable_conv2d(
        x, 4, [3, 3], variables_collections=collections, scope='pointwise')
    net = contrib_compat.separable_conv2d(
        net, None, [3, 3], variables_collections=['mine'], scope='depthwise')
    return contrib_compat.batch_norm(
        net, is_training=True, variables_collections=collections, scope='bn')

  template = tf.make_template('net', layers)
  fn = tf2.function(template, autograph=False)
  for _ in range(2):
    assert fn(images(size=8)).shape == (4, 8, 8, 4)
  assert len(template.variables) == 8
