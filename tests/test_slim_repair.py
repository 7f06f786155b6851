"""Tests for contrib_compat.slim_repair: tf_slim's layers replaced in place.

The repair without tf_slim is checked with install() in
tests/test_contrib.py::test_install_without_tf_slim (one subprocess for both).
"""
import ast
import importlib
import sys
import types

import pytest
import tensorflow.compat.v1 as tf
import tf_slim
from tf_slim.layers import layers as tf_slim_layers_lib
import tf_slim.nets
from tf_slim.nets import inception_v1
from tf_slim.nets import resnet_utils

import contrib_compat as cc
from contrib_compat import slim_repair

_REPLACED = ('separable_conv2d', 'separable_convolution2d', 'batch_norm')
# Where tf_slim exposes the functions: the top level (`from tf_slim.layers
# import *`), the `tf_slim.layers` package (not tf_slim's `layers` attribute,
# which is the `layers.layers` module) and the defining module.
_EXPOSURE_POINTS = ('tf_slim', 'tf_slim.layers', 'tf_slim.layers.layers')


def _tf_slim_namespaces():
  """{module name: dict(vars(module))} for every loaded tf_slim module."""
  return {n: dict(vars(m)) for n, m in sys.modules.items()
          if m is not None and (n == 'tf_slim' or n.startswith('tf_slim.'))}


@pytest.fixture
def originals():
  assert not slim_repair.is_repaired(), 'a previous test leaked a repair'
  return {n: getattr(tf_slim_layers_lib, n) for n in _REPLACED}


@pytest.fixture
def repair(originals):
  del originals
  handle = cc.repair_tf_slim()
  try:
    yield handle
  finally:
    handle.undo()


def _ours(name):
  return cc.batch_norm if name == 'batch_norm' else cc.separable_conv2d


@pytest.mark.parametrize('module', _EXPOSURE_POINTS)
@pytest.mark.parametrize('name', _REPLACED)
def test_every_exposure_point_is_ours(repair, module, name):
  del repair
  assert getattr(importlib.import_module(module), name) is _ours(name)


def test_nets_reach_ours_through_their_module_aliases(repair):
  del repair
  # tf_slim.nets modules hold no copies; they look the functions up as
  # `layers.batch_norm` / `layers_lib.batch_norm` on tf_slim.layers.layers.
  assert inception_v1.layers_lib.batch_norm is cc.batch_norm
  assert resnet_utils.layers.batch_norm is cc.batch_norm
  assert importlib.import_module(
      'tf_slim.nets.inception_v2').layers.separable_conv2d is (
          cc.separable_conv2d)


def _layer_patches(patched):
  return [(module, name) for module, name in patched if name in _REPLACED]


def test_repair_rebinds_only_the_three_names_and_lost_internals(originals):
  before = _tf_slim_namespaces()
  repair = cc.repair_tf_slim()
  try:
    after = _tf_slim_namespaces()
    changed = sorted(
        (module, name) for module, namespace in after.items()
        for name, value in namespace.items()
        if before.get(module, {}).get(name, value) is not value)
    assert changed == sorted(repair.patched)
    layers = _layer_patches(changed)
    assert {name for _, name in layers} == set(_REPLACED)
    assert {module for module, _ in layers} == set(_EXPOSURE_POINTS)
    for module, name in layers:
      assert before[module][name] is originals[name]
    moved = slim_repair.moved_internals()
    for module, name in set(changed) - set(layers):
      # A view of the TF-internal module it replaced, adding only names
      # that module lacks.
      view, internal = after[module][name], before[module][name]
      assert view.__wrapped__ is internal, (module, name)
      added = {k for k in vars(view) if not k.startswith('__')}
      assert added and added <= set(moved[internal.__name__]) - set(
          vars(internal)), (module, name, added)
  finally:
    repair.undo()


def _has(module, name):
  try:
    return hasattr(module, name)
  except ImportError:
    return True  # a lazily loaded name (Keras) whose package is absent


def _lost_internal_names():
  """`module.name` uses in tf_slim's sources where `module` is a loaded
  TensorFlow module (or the repair's view) that has no `name`."""
  lost = []
  for module_name, module in sorted(sys.modules.items()):
    if not module_name.startswith('tf_slim') or module is None or (
        module_name.endswith('_test')) or not getattr(module, '__file__', ''):
      continue
    with open(module.__file__, encoding='utf-8') as source:
      tree = ast.parse(source.read())
    for node in ast.walk(tree):
      if not (isinstance(node, ast.Attribute) and
              isinstance(node.value, ast.Name)):
        continue
      base = vars(module).get(node.value.id)
      if (isinstance(base, types.ModuleType) and
          base.__name__.startswith('tensorflow') and
          not _has(base, node.attr)):
        lost.append('%s:%d %s.%s' % (module_name, node.lineno,
                                     node.value.id, node.attr))
  return lost


def test_after_the_repair_tf_slim_reaches_no_lost_internal_name(repair):
  del repair
  # On TF 2.21 without the repair: ops.IndexedSlices (optimize_loss,
  # learning), control_flow_ops.cond (smart_cond, metrics),
  # variable_scope.variable (local_variable), array_ops.stack, ...
  assert _lost_internal_names() == []


def test_optimize_loss_clips_and_steps(repair, graph):
  del repair, graph
  weights = tf.Variable([3.0, 4.0], name='w')
  loss = tf.reduce_sum(weights * weights)  # gradient (6, 8): norm 10
  step = tf.train.get_or_create_global_step()
  train = tf_slim.optimize_loss(loss, step, learning_rate=0.1,
                                optimizer='SGD', clip_gradients=5.0)
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(train)
    # Clipped to norm 5: (3, 4); w - 0.1 * (3, 4).
    assert sess.run(weights).tolist() == pytest.approx([2.7, 3.6])
    assert sess.run(step) == 1


def test_create_train_op_with_gradient_clipping(repair, graph):
  del repair, graph
  weights = tf.Variable([3.0, 4.0], name='w')
  loss = tf.reduce_sum(weights * weights)
  train = tf_slim.learning.create_train_op(
      loss, tf.train.GradientDescentOptimizer(0.1), clip_gradient_norm=5.0,
      gradient_multipliers={weights: 2.0})
  with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(train)
    # (6, 8) * 2 = (12, 16), clipped to norm 5: (3, 4).
    assert sess.run(weights).tolist() == pytest.approx([2.7, 3.6])


def test_local_variable_smart_cond_and_streaming_metric(repair, graph):
  del repair
  counter = tf_slim.local_variable(0, name='counter')
  assert counter in graph.get_collection(tf.GraphKeys.LOCAL_VARIABLES)
  flag = tf.placeholder(tf.bool, [])
  chosen = tf_slim.utils.smart_cond(flag, lambda: tf.constant(1),
                                    lambda: tf.constant(2))
  value, update = tf_slim.metrics.streaming_mean(tf.constant([1.0, 3.0]))
  with tf.Session() as sess:
    sess.run(tf.local_variables_initializer())
    assert sess.run(chosen, {flag: False}) == 2
    sess.run(update)
    assert sess.run(value) == 2.0


def test_undo_restores_the_original_objects(originals):
  before = _tf_slim_namespaces()
  cc.repair_tf_slim().undo()
  after = _tf_slim_namespaces()
  for module, namespace in before.items():
    for name, value in namespace.items():
      assert after[module][name] is value, (module, name)
  for name in _REPLACED:
    assert getattr(tf_slim, name) is originals[name]
  assert not slim_repair.is_repaired()


def test_repair_is_idempotent(repair):
  assert len(_layer_patches(repair.patched)) == 3 * len(_EXPOSURE_POINTS)
  second = cc.repair_tf_slim()
  assert second.patched == []
  second.undo()
  assert tf_slim.batch_norm is cc.batch_norm


def test_context_manager(originals):
  with cc.repair_tf_slim():
    assert tf_slim.layers.batch_norm is cc.batch_norm
    with cc.repair_tf_slim():
      pass
    # The inner repair found nothing to do, so its exit undid nothing.
    assert tf_slim.layers.batch_norm is cc.batch_norm
  assert tf_slim.layers.batch_norm is originals['batch_norm']


def test_undo_all(originals):
  cc.repair_tf_slim()
  slim_repair.undo_tf_slim_repair()
  assert tf_slim.separable_conv2d is originals['separable_conv2d']
  assert tf_slim.batch_norm is originals['batch_norm']


def test_undo_leaves_a_later_rebinding_alone(originals):
  repair = cc.repair_tf_slim()

  def someone_elses(*args, **kwargs):
    del args, kwargs

  tf_slim.batch_norm = someone_elses
  try:
    repair.undo()
    assert tf_slim.batch_norm is someone_elses
    assert tf_slim_layers_lib.batch_norm is originals['batch_norm']
  finally:
    tf_slim.batch_norm = originals['batch_norm']


def test_arg_scope_on_slim_batch_norm_reaches_normalizer_fn(repair, graph):
  del repair
  # tf_slim's conv2d calls the normalizer_fn it is given; the scope is keyed
  # by function identity, so both must be ours for the defaults to apply.
  images = tf.zeros([2, 8, 8, 3])
  with tf_slim.arg_scope([tf_slim.batch_norm], is_training=False):
    tf_slim.conv2d(images, 4, [3, 3], normalizer_fn=tf_slim.batch_norm,
                   scope='scoped')
  assert graph.get_collection(tf.GraphKeys.UPDATE_OPS) == []
  tf_slim.conv2d(images, 4, [3, 3], normalizer_fn=tf_slim.batch_norm,
                 scope='unscoped')
  assert graph.get_collection(tf.GraphKeys.UPDATE_OPS)
  assert all(op.name.startswith('unscoped/')
             for op in graph.get_collection(tf.GraphKeys.UPDATE_OPS))


def test_nets_arg_scopes_are_keyed_on_ours(repair):
  del repair
  key = tf_slim.arg_scope_func_key
  with tf_slim.arg_scope(resnet_utils.resnet_arg_scope(batch_norm_decay=0.5)):
    scope = tf_slim.current_arg_scope()
    assert scope[key(cc.batch_norm)]['decay'] == 0.5
    assert scope[key(tf_slim.conv2d)]['normalizer_fn'] is cc.batch_norm
  with tf_slim.arg_scope(inception_v1.inception_v1_arg_scope()):
    scope = tf_slim.current_arg_scope()
    assert scope[key(tf_slim.conv2d)]['normalizer_fn'] is cc.batch_norm


def test_nets_build_with_the_repair(repair, graph):
  del repair, graph
  images = tf.zeros([1, 224, 224, 3])
  with tf_slim.arg_scope(inception_v1.inception_v1_arg_scope()):
    inception_v1.inception_v1_base(images, final_endpoint='Conv2d_2b_1x1')
  names = {v.op.name for v in tf.global_variables()}
  assert 'InceptionV1/Conv2d_1a_7x7/BatchNorm/moving_mean' in names
  assert 'InceptionV1/Conv2d_1a_7x7/BatchNorm/beta' in names


def test_modules_imported_after_the_repair_copy_ours(repair):
  del repair
  namespace = {}
  exec('from tf_slim.layers import batch_norm, separable_conv2d',
       namespace)
  assert namespace['batch_norm'] is cc.batch_norm
  assert namespace['separable_conv2d'] is cc.separable_conv2d

