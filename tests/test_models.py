"""Tests for the slim-style model definitions in contrib_compat.models.

Each model is built in graph mode under its arg_scope with batch_norm,
trained a few steps with UPDATE_OPS wired into the train op, saved and
restored; its variables (names, shapes, dtypes, collections), UPDATE_OPS and
regularization losses are compared with what tf-slim builds from the same
model code on TF 2.12 (goldens from tests/conformance/oracle_models.py).
"""
import json

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from contrib_compat import numerics
import contrib_compat as cc
from contrib_compat import slim
from contrib_compat.models import mobilenet_v2
from contrib_compat.models import nasnet
from contrib_compat.models import xception
from tests.conformance import oracle_models
from tests.conftest import REPO

INPUT_SHAPE = oracle_models.INPUT_SHAPE
# Training runs on smaller images: the graphs are the same, steps are cheaper.
TRAIN_SHAPE = (4, 16, 16, 3)
NUM_CLASSES = 10

GOLDEN_BUILDS = [(model, config)
                 for model, configs in oracle_models.BUILDS.items()
                 for config in configs]


@pytest.mark.parametrize('model, config', GOLDEN_BUILDS)
def test_graph_matches_tf_slim_golden(model, config):
  with open(REPO / oracle_models.golden_path(model)) as f:
    golden = json.load(f)['configs'][config]
  ours = oracle_models.build_and_describe(model, config, slim)
  assert sorted(ours['variables']) == sorted(golden['variables'])
  assert ours == golden


def test_goldens_cover_every_build():
  for model, configs in oracle_models.BUILDS.items():
    with open(REPO / oracle_models.golden_path(model)) as f:
      assert sorted(json.load(f)['configs']) == sorted(configs)


# Per model: build(inputs, is_training, reuse) -> logits, under its arg_scope.
def _mobilenet_v2(inputs, is_training, reuse=None):
  with slim.arg_scope(mobilenet_v2.mobilenet_v2_arg_scope()):
    return mobilenet_v2.mobilenet_v2(
        inputs, NUM_CLASSES, is_training=is_training, reuse=reuse,
        depthwise_channel_multiplier=2)[0]


def _xception(inputs, is_training, reuse=None):
  with slim.arg_scope(xception.xception_arg_scope()):
    return xception.xception_entry_flow(
        inputs, NUM_CLASSES, is_training=is_training, output_stride=8,
        reuse=reuse)[0]


# One normal and one reduction cell keep the two-tower graph quick to build.
CELLS = (nasnet.NORMAL, nasnet.REDUCTION)


def _nasnet_towers(inputs, is_training, reuse=None):
  with slim.arg_scope(nasnet.nasnet_arg_scope()):
    if reuse:  # The evaluation copy: one tower on the whole batch.
      return nasnet.nasnet(inputs, NUM_CLASSES, is_training=is_training,
                           cells=CELLS, reuse=reuse)[0]
    return nasnet.nasnet_towers(inputs, num_towers=2, num_classes=NUM_CLASSES,
                                is_training=is_training, cells=CELLS)[0]


# The fused xception variant is not trained here: its graph is checked
# against the golden and its layer's numbers in test_checkpoint_roundtrip.
MODELS = {'mobilenet_v2': _mobilenet_v2, 'xception': _xception,
          'nasnet_towers': _nasnet_towers}


def _data(seed=0):
  rng = np.random.RandomState(seed)
  images = rng.uniform(-1, 1, TRAIN_SHAPE).astype(np.float32)
  labels = rng.randint(0, NUM_CLASSES, TRAIN_SHAPE[0])
  return images, labels


def _moving_stats():
  return [v for v in tf.global_variables()
          if v.op.name.endswith(('/moving_mean', '/moving_variance'))]


@pytest.mark.parametrize('name', sorted(MODELS))
def test_trains_updates_moving_averages_saves_and_restores(name, tmp_path):
  """Graph mode: train, save, restore; then the checkpoint in Tf1Module."""
  build = MODELS[name]
  images, labels = _data()
  prefix = str(tmp_path / 'model.ckpt')
  with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, TRAIN_SHAPE)
    y = tf.placeholder(tf.int64, [TRAIN_SHAPE[0]])
    logits = build(x, is_training=True)
    # Inference copy sharing the variables, as TF1 eval graphs did.
    eval_logits = build(x, is_training=False, reuse=True)
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    total_loss = tf.add_n([loss] + tf.losses.get_regularization_losses())
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert update_ops
    with tf.control_dependencies(update_ops):
      train_op = tf.train.MomentumOptimizer(0.01, 0.9).minimize(total_loss)
    moving = _moving_stats()
    assert moving and not set(moving) & set(tf.trainable_variables())
    saver = tf.train.Saver()
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      before = sess.run(moving)
      losses = [sess.run([train_op, total_loss], {x: images, y: labels})[1]
                for _ in range(2)]
      after = sess.run(moving)
      assert np.all(np.isfinite(losses))
      unchanged = [v.op.name for v, a, b in zip(moving, before, after)
                   if np.array_equal(a, b)]
      assert not unchanged
      expected = sess.run(eval_logits, {x: images})
      saver.save(sess, prefix, write_meta_graph=False)

  with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, TRAIN_SHAPE)
    # AUTO_REUSE in a fresh graph: the same code path as the eval copy above.
    eval_logits = build(x, is_training=False, reuse=tf.AUTO_REUSE)
    with tf.Session() as sess:
      tf.train.Saver().restore(sess, prefix)
      restored_moving = dict(zip([v.op.name for v in _moving_stats()],
                                 sess.run(_moving_stats())))
      outputs = sess.run(eval_logits, {x: images})
  assert all(np.array_equal(restored_moving[v.op.name], a)
             for v, a in zip(moving, after))
  assert outputs.shape == (TRAIN_SHAPE[0], NUM_CLASSES)
  # The eval copy inside the training graph and this fresh graph are two
  # graphs, which Grappler may fuse differently (oneDNN does).
  numerics.different_graphs(outputs, expected)

  # The same checkpoint through the TF 2 bridge, eagerly.
  module = cc.Tf1Module(
      lambda images: build(images, is_training=False, reuse=tf.AUTO_REUSE))
  module(images)
  # Momentum slots and global_step have no module variable.
  report = module.load_tf1_checkpoint(prefix, allow_unexpected=True)
  assert not report.missing and not report.mismatched
  assert all(n.endswith('/Momentum') for n in report.unexpected)
  np.testing.assert_allclose(module(images), expected, rtol=1e-5, atol=1e-6)


def test_nasnet_towers_share_variables_and_match_one_tower():
  images, _ = _data(1)
  with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, TRAIN_SHAPE)
    towers = _nasnet_towers(x, is_training=False)
    names = {v.op.name for v in tf.global_variables()}
    whole = _nasnet_towers(x, is_training=False, reuse=True)
    assert {v.op.name for v in tf.global_variables()} == names
    # Every op is per tower; the separable convs are NASNet's pointwise
    # branch without biases (its arg_scope) or normalizer_fn.
    separable = [op.name for op in tf.get_default_graph().get_operations()
                 if op.type == 'DepthwiseConv2dNative'
                 and op.name.startswith('tower_')]
    assert {name.split('/')[0] for name in separable} == {'tower_0',
                                                         'tower_1'}
    assert ('nasnet/cell_0/comb_iter_0/left/separable_5x5_2/pointwise_weights'
            in names)
    assert not [n for n in names if '/separable_' in n and
                n.endswith('/biases')]
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      a, b = sess.run([towers, whole], {x: images})
  np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_xception_output_stride_turns_strides_into_rates():
  with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, INPUT_SHAPE)
    _xception(x, is_training=False)
    depthwise = {op.name: op for op in tf.get_default_graph().get_operations()
                 if op.type == 'DepthwiseConv2dNative'}
  block3 = [op for name, op in depthwise.items() if '/block3/' in name]
  block2 = [op for name, op in depthwise.items() if '/block2/' in name]
  assert len(block3) == len(block2) == 3
  # Atrous depthwise: tf.nn.depthwise_conv2d with rate > 1 runs the op on
  # space_to_batch output at stride 1 (dilations stay 1).
  for op in block3:
    assert list(op.get_attr('strides')) == [1, 1, 1, 1]
    assert op.inputs[0].op.type == 'SpaceToBatchND'
  assert [list(op.get_attr('strides'))[1] for op in block2] == [1, 1, 2]


def test_mobilenet_v2_depthwise_multiplier_widens_depthwise_only():
  with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, INPUT_SHAPE)
    _mobilenet_v2(x, is_training=False)
    shapes = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
  assert shapes['MobilenetV2/expanded_conv_1/depthwise/depthwise_weights'] == [
      3, 3, 48, 2]
  assert shapes['MobilenetV2/expanded_conv_1/project/weights'] == [
      1, 1, 96, 16]


@pytest.mark.parametrize('call, message', [
    (lambda x: xception.xception_entry_flow(x, output_stride=6),
     '`output_stride`'),
    (lambda x: nasnet.nasnet_cell(x, x, 8, kind='wide'), '`kind`'),
    (lambda x: nasnet.nasnet_towers(x, num_towers=3), '`num_towers`'),
])
def test_bad_arguments_raise_naming_them(call, message):
  with tf.Graph().as_default():
    with pytest.raises(ValueError, match=message):
      call(tf.placeholder(tf.float32, INPUT_SHAPE))
