"""Unit tests for contrib_compat/tf2.py (`Tf1Module`).

The models and inputs are tests/helpers/tf1_models.py's, which the
conformance tests for XLA, tf.distribute and SavedModel share.
"""
import numpy as np
import pytest
import tensorflow as tf2
import tensorflow.compat.v1 as tf

import contrib_compat
from contrib_compat import tf2 as tf2_module
from tests.helpers.tf1_models import batch_norm
from tests.helpers.tf1_models import graph_mode_reference
from tests.helpers.tf1_models import images
from tests.helpers.tf1_models import randomize
from tests.helpers.tf1_models import small_mobilenet


# --- variables --------------------------------------------------------------


def test_is_exported_lazily_and_is_a_module():
  assert contrib_compat.Tf1Module is tf2_module.Tf1Module
  assert issubclass(contrib_compat.Tf1Module, tf2.Module)


def test_variables_keep_tf1_names_in_creation_order():
  x = images()
  module = contrib_compat.Tf1Module(small_mobilenet)
  assert not module.built
  module(x)
  _, reference, _, _ = graph_mode_reference(small_mobilenet, x)
  names = [v.name[:-2] for v in module.variables]
  assert names == list(reference)  # tf.global_variables() order
  assert [v.name[:-2] for v in module.trainable_variables] == [
      n for n in names if 'moving_' not in n]
  assert all('moving_' in v.name for v in module.non_trainable_variables)
  assert set(module.variables_by_name()) == set(names)
  assert 'MobilenetV1/Conv2d_1_depthwise/depthwise_weights' in names


def test_later_calls_and_retraces_reuse_the_variables(tf_warnings):
  module = contrib_compat.Tf1Module(small_mobilenet)
  module(images())
  first = [id(v) for v in module.variables]
  module(images(batch=2))  # new shape: a new trace
  module(images(), is_training=False)  # new Python value: a new trace
  tf2.function(module)(images(batch=3))  # inside a user's tf.function
  assert [id(v) for v in module.variables] == first
  assert not [r.getMessage() for r in tf_warnings]


def test_first_call_inside_a_tf_function_creates_the_variables():
  module = contrib_compat.Tf1Module(small_mobilenet)
  step = tf2.function(lambda x: module(x, is_training=False))
  step(images())
  step(images(batch=2))
  eager = contrib_compat.Tf1Module(small_mobilenet)
  eager(images())
  assert [v.name for v in module.variables] == [
      v.name for v in eager.variables]
  assert len(module.variables) == 31  # 5 BN separable layers + logits


def test_outputs_equal_graph_mode():
  x = images()
  module = contrib_compat.Tf1Module(small_mobilenet)
  module(x)
  randomize(module)
  values = {k: v.numpy() for k, v in module.variables_by_name().items()}
  for is_training in (False, True):
    expected, _, _, _ = graph_mode_reference(
        small_mobilenet, x, values, is_training=is_training)
    # Assign again: the training call moved the moving averages.
    for name, var in module.variables_by_name().items():
      var.assign(values[name])
    np.testing.assert_allclose(module(x, is_training=is_training), expected,
                               rtol=1e-5, atol=1e-5)


def test_training_calls_apply_the_batch_norm_updates():
  x = images()
  module = contrib_compat.Tf1Module(small_mobilenet)
  module(x, is_training=False)
  randomize(module)
  values = {k: v.numpy() for k, v in module.variables_by_name().items()}
  mean = module.variables_by_name()['MobilenetV1/Conv2d_0/BatchNorm/'
                                    'moving_mean']
  before = mean.numpy()
  module(x, is_training=False)
  np.testing.assert_array_equal(mean.numpy(), before)
  module(x)
  module(x)
  _, expected, _, _ = graph_mode_reference(small_mobilenet, x, values,
                                           train_steps=2)
  assert not np.allclose(mean.numpy(), before)
  for name, var in module.variables_by_name().items():
    np.testing.assert_allclose(var.numpy(), expected[name], rtol=1e-5,
                               atol=1e-6, err_msg=name)


# tf_slim's conv2d goes through a TF-internal Keras layer that warns.
@pytest.mark.filterwarnings('ignore:`layer.apply` is deprecated')
def test_tf_slim_layers_and_arg_scope_work_inside():
  tf_slim = pytest.importorskip('tf_slim')

  def model(x):
    with tf_slim.arg_scope([tf_slim.conv2d, tf_slim.fully_connected],
                           weights_regularizer=tf_slim.l2_regularizer(0.1)):
      net = tf_slim.conv2d(x, 4, [3, 3], scope='conv')
      net = contrib_compat.separable_conv2d(net, 4, [3, 3], scope='sep')
      net = tf.reshape(net, [-1, 8 * 8 * 4])
      return tf_slim.fully_connected(net, 3, scope='fc')

  x = images(size=8)
  module = contrib_compat.Tf1Module(model)
  module(x)
  assert [v.name for v in module.variables] == [
      'conv/weights:0', 'conv/biases:0', 'sep/depthwise_weights:0',
      'sep/pointwise_weights:0', 'sep/biases:0', 'fc/weights:0',
      'fc/biases:0']
  values = {k: v.numpy() for k, v in module.variables_by_name().items()}
  expected, _, losses, _ = graph_mode_reference(model, x, values)
  np.testing.assert_allclose(module(x), expected, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(sorted(l.numpy() for l in
                                    module.regularization_losses),
                             sorted(losses), rtol=1e-6)


# --- regularization losses ----------------------------------------------------


def test_regularization_losses_equal_graph_mode_and_follow_the_variables():
  x = images()
  module = contrib_compat.Tf1Module(small_mobilenet)
  module(x)
  randomize(module)
  values = {k: v.numpy() for k, v in module.variables_by_name().items()}
  _, _, expected, names = graph_mode_reference(small_mobilenet, x, values)
  # Both branches: keras-named losses (pointwise) and variable-named ones.
  assert 'MobilenetV1/Conv2d_0/depthwise_kernel/Regularizer/l2' in names
  # (TF 2's get_variable builds the regularizer twice: 'l2' then 'l2_1'.)
  assert any(n.startswith('MobilenetV1/Conv2d_1_depthwise/depthwise_weights/'
                          'Regularizer/') for n in names)
  losses = module.regularization_losses
  assert all(isinstance(l, tf2.Tensor) for l in losses)
  np.testing.assert_allclose([l.numpy() for l in losses], expected,
                             rtol=1e-6)
  for var in module.trainable_variables:
    var.assign(var * 2.0)
  np.testing.assert_allclose(
      [l.numpy() for l in module.regularization_losses],
      [4 * e for e in expected], rtol=1e-5)


def test_regularization_losses_are_differentiable_in_tf_function():
  module = contrib_compat.Tf1Module(small_mobilenet)
  module(images())

  @tf2.function
  def grads():
    with tf2.GradientTape() as tape:
      loss = tf2.add_n(module.regularization_losses)
    return tape.gradient(loss, module.trainable_variables)

  weights = {v.name: g for v, g in zip(module.trainable_variables, grads())}
  dw = 'MobilenetV1/Conv2d_1_depthwise/depthwise_weights:0'
  var = module.variables_by_name()[dw[:-2]]
  # d/dw of 0.01 * l2_loss(w) = 0.01 * w.
  np.testing.assert_allclose(weights[dw], 0.01 * var.numpy(), rtol=1e-6)
  assert weights['MobilenetV1/Conv2d_0/BatchNorm/beta:0'] is None


def test_no_regularizers_give_an_empty_list():
  module = contrib_compat.Tf1Module(
      lambda x: contrib_compat.separable_conv2d(x, 2, 3, scope='s'))
  module(images())
  assert module.regularization_losses == []


def test_gradients_reach_every_trainable_variable():
  module = contrib_compat.Tf1Module(small_mobilenet)
  x = images()
  module(x)
  with tf2.GradientTape() as tape:
    loss = tf2.reduce_sum(module(x) ** 2) + tf2.add_n(
        module.regularization_losses)
  grads = tape.gradient(loss, module.trainable_variables)
  assert all(g is not None for g in grads)


# --- checkpoints --------------------------------------------------------------


def _graph_checkpoint(tmp_path, model_fn=small_mobilenet):
  x = images()
  path = str(tmp_path / 'tf1' / 'model.ckpt')
  expected, values, _, _ = graph_mode_reference(
      model_fn, x, train_steps=1, checkpoint=path, is_training=True)
  return x, path, values


def test_load_tf1_checkpoint_restores_by_name(tmp_path):
  x, path, values = _graph_checkpoint(tmp_path)
  module = contrib_compat.Tf1Module(small_mobilenet)
  module(x, is_training=False)
  report = module.load_tf1_checkpoint(path)
  assert report.missing == [] and report.unexpected == []
  assert report.mismatched == []
  assert report.loaded == sorted(values)
  for name, var in module.variables_by_name().items():
    np.testing.assert_array_equal(var.numpy(), values[name], err_msg=name)
  # A directory means its latest checkpoint.
  module.load_tf1_checkpoint(str(tmp_path / 'tf1'))


def test_load_tf1_checkpoint_reports_missing_and_unexpected(tmp_path):
  x, path, values = _graph_checkpoint(tmp_path)
  module = contrib_compat.Tf1Module(
      lambda images, **kw: small_mobilenet(images, num_classes=5, **kw) +
      tf.get_variable('extra', [5], initializer=tf.zeros_initializer()))
  module(x)
  module.variables_by_name()['extra'].assign(tf2.ones([5]))
  conv = module.variables_by_name()['MobilenetV1/Conv2d_0/depthwise_weights']
  before = conv.numpy()
  with pytest.raises(ValueError, match=r"missing.*'extra'"):
    module.load_tf1_checkpoint(path)
  np.testing.assert_array_equal(conv.numpy(), before)  # nothing assigned
  report = module.load_tf1_checkpoint(path, allow_missing=True)
  assert report.missing == ['extra']
  np.testing.assert_array_equal(module.variables_by_name()['extra'],
                                np.ones(5))
  np.testing.assert_array_equal(conv.numpy(),
                                values['MobilenetV1/Conv2d_0/'
                                       'depthwise_weights'])

  smaller = contrib_compat.Tf1Module(
      lambda images: contrib_compat.separable_conv2d(
          images, 8, [3, 3], stride=2, normalizer_fn=batch_norm(),
          scope='MobilenetV1/Conv2d_0'))
  smaller(x)
  with pytest.raises(ValueError, match='not in the model.*Logits'):
    smaller.load_tf1_checkpoint(path)
  report = smaller.load_tf1_checkpoint(path, allow_unexpected=True)
  assert 'MobilenetV1/Logits/biases' in report.unexpected
  assert report.missing == []


def test_load_tf1_checkpoint_refuses_shape_mismatches(tmp_path):
  x, path, _ = _graph_checkpoint(tmp_path)
  module = contrib_compat.Tf1Module(
      lambda images: small_mobilenet(images, num_classes=7))
  module(x)
  with pytest.raises(ValueError, match=r'dtype or shape mismatches.*'
                     r"'MobilenetV1/Logits/biases', 'float32\[7\]', "
                     r"'float32\[5\]'"):
    module.load_tf1_checkpoint(path, allow_missing=True,
                               allow_unexpected=True)


def test_load_tf1_checkpoint_compares_as_ckpt_diff_does(tmp_path):
  # TF1's Saver restored no other dtype, and tf.train.Checkpoint's
  # bookkeeping entry is not a variable: the same answers as
  # `contrib-compat-ckpt diff`, which uses the same ckpt.compare.
  x, path, _ = _graph_checkpoint(tmp_path)
  module = contrib_compat.Tf1Module(
      lambda images: small_mobilenet(tf.cast(images, tf.float64)))
  module(tf2.cast(x, tf2.float64))
  with pytest.raises(ValueError, match=r"'MobilenetV1/Logits/biases', "
                     r"'float64\[5\]', 'float32\[5\]'"):
    module.load_tf1_checkpoint(path)
  module = contrib_compat.Tf1Module(small_mobilenet)
  module(x)
  tf2.train.Checkpoint(**{'v%d' % i: v for i, v in enumerate(
      module.variables)}).write(str(tmp_path / 'object' / 'ckpt'))
  report = module.load_tf1_checkpoint(str(tmp_path / 'object' / 'ckpt'),
                                      allow_missing=True,
                                      allow_unexpected=True)
  assert '_CHECKPOINTABLE_OBJECT_GRAPH' not in report.unexpected


def test_load_before_the_first_call_raises(tmp_path):
  _, path, _ = _graph_checkpoint(tmp_path)
  with pytest.raises(ValueError, match='call it once'):
    contrib_compat.Tf1Module(small_mobilenet).load_tf1_checkpoint(path)


def test_tf_train_checkpoint_round_trip(tmp_path):
  x = images()
  module = contrib_compat.Tf1Module(small_mobilenet)
  module(x)
  randomize(module)
  expected = module(x, is_training=False).numpy()
  path = tf2.train.Checkpoint(model=module).save(str(tmp_path / 'ckpt'))
  other = contrib_compat.Tf1Module(small_mobilenet)
  other(x)
  tf2.train.Checkpoint(model=other).restore(path).assert_consumed()
  np.testing.assert_array_equal(other(x, is_training=False), expected)


# --- errors -------------------------------------------------------------------


def test_bad_arguments_name_themselves():
  with pytest.raises(TypeError, match='model_fn'):
    contrib_compat.Tf1Module('not a function')
  with pytest.raises(TypeError, match='custom_getter'):
    contrib_compat.Tf1Module(small_mobilenet, custom_getter=3)


def test_graph_mode_call_is_refused(graph):
  """TF1 graph mode has its own semantics: call the model function there."""
  del graph  # A plain tf.Graph is the default: not TF 2 behaviour.
  module = contrib_compat.Tf1Module(small_mobilenet)
  with pytest.raises(RuntimeError, match='eager'):
    module(tf.placeholder(tf.float32, [1, 8, 8, 3]))
