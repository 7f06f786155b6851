"""Whole models against real TF1 graphs: nodes, and outputs on TF1's weights.

The references are artefacts written by TF1 itself (each folder under
tests/data has a SOURCE.md), not graphs from the TF 2.12 oracle:

* `tf1-kws-ds-cnn/DS_CNN_S.pb`: ARM's DS-CNN keyword spotter, frozen by TF
  1.4 (December 2017): `separable_convolution2d(num_outputs=None)` and
  `batch_norm(is_training=False, updates_collections=None,
  activation_fn=relu)` under `arg_scope`, i.e. the depthwise branch and
  batch_norm's own fused path at inference, with trained weights.
* `tf1.13-ssd-mobilenet-v2/model.ckpt.meta` (see test_tf113_fixture.py):
  its 21 depthwise layers and their BatchNorm subtrees, the Keras-layer path
  of batch_norm at inference, written by TF 1.13.1.

The model is rebuilt from this package with the configuration read back from
the graph, given the graph's trained values, frozen as TF1 froze it, and then
compared node for node (names, op types, inputs, attributes, constant values)
and by output on the same input. The only differences allowed are TF 2's op
renames: `FusedBatchNorm` is `FusedBatchNormV3` (node name and op type), and
attributes that TF1 did not have yet (`dilations`, `U`, ...) are not compared.
"""
import functools

import numpy as np
import pytest
import tensorflow.compat.v1 as tf
import tf_slim

from contrib_compat import numerics
import contrib_compat as cc
from tests.conftest import DATA
from tests.conftest import TF113_FIXTURE
from tests.conformance import _graph_utils
from tests.conformance import test_tf113_fixture as tf113

DS_CNN = DATA / 'tf1-kws-ds-cnn' / 'DS_CNN_S.pb'
# TF 2's names for TF1 ops: (old op, new op); node names follow the op.
OP_RENAMES = {'FusedBatchNorm': 'FusedBatchNormV3'}


@functools.lru_cache(maxsize=None)
def _graph_def(path):
  graph_def = tf.GraphDef()
  graph_def.ParseFromString(path.read_bytes())
  return graph_def


def _renamed(name):
  head, _, leaf = name.rpartition('/')
  leaf = OP_RENAMES.get(leaf, leaf)
  return head + '/' + leaf if head else leaf


def _comparable(graph_def, keep, attr_keys=None):
  """{name: (op, inputs, attrs, const value)} with TF 2's renames applied.

  `attr_keys` (name -> keys) limits each node's attributes to TF1's own.
  """
  out = {}
  for node in graph_def.node:
    if not keep(node.name):
      continue
    name = _renamed(node.name)
    keys = set(node.attr) if attr_keys is None else attr_keys[name]
    attrs = {k: node.attr[k].SerializeToString(deterministic=True)
             for k in keys - {'value', '_output_shapes'}}
    value = (_graph_utils.const_value(node).tolist() if node.op == 'Const'
             else None)
    out[name] = (OP_RENAMES.get(node.op, node.op),
                 [_renamed(i) for i in node.input], attrs, value)
  return out


def _assert_same_nodes(theirs_def, ours_def, keep):
  theirs = _comparable(theirs_def, keep)
  attr_keys = {name: set(attrs) for name, (_, _, attrs, _) in theirs.items()}
  ours = _comparable(ours_def, lambda n: _renamed(n) in theirs or keep(n),
                     attr_keys={**attr_keys, **{
                         _renamed(n.name): set() for n in ours_def.node
                         if _renamed(n.name) not in theirs}})
  assert sorted(ours) == sorted(theirs)
  for name, (op, inputs, attrs, value) in theirs.items():
    assert ours[name][:2] == (op, inputs), name
    assert ours[name][2] == attrs, name
    assert ours[name][3] == value, name


# --- DS-CNN keyword spotter, TF 1.4 frozen graph -----------------------------


def _ds_cnn_config(graph_def):
  """Layer sizes and strides, read back from the frozen graph."""
  by_name = {n.name: n for n in graph_def.node}

  def shape(name):
    return list(_graph_utils.const_value(by_name[name]).shape)

  def strides(name):
    return list(by_name[name].attr['strides'].list.i)[1:3]

  blocks = sorted({n.name.split('/')[1] for n in graph_def.node
                   if n.name.startswith('MobileNet/conv_ds_')})
  return {
      'input_shape': [None] + list(_graph_utils.const_value(
          by_name['Reshape_1/shape']))[1:],
      'conv_1': (shape('MobileNet/conv_1/weights'),
                 strides('MobileNet/conv_1/Conv2D')),
      'blocks': [(block,
                  shape('MobileNet/%s/depthwise_conv/depthwise_weights'
                        % block),
                  strides('MobileNet/%s/depthwise_conv/depthwise' % block),
                  shape('MobileNet/%s/pointwise_conv/weights' % block))
                 for block in blocks],
      'pool': list(by_name['MobileNet/avg_pool/AvgPool'].attr['ksize']
                   .list.i)[1:3],
      'labels': shape('MobileNet/fc1/biases')[0],
      'epsilon': by_name['MobileNet/conv_1/batch_norm/FusedBatchNorm']
                 .attr['epsilon'].f,
  }


def _build_ds_cnn(config):
  """The DS-CNN as its TF1 model code built it, on this package's layers."""
  slim = tf_slim
  inputs = tf.placeholder(tf.float32, config['input_shape'], name='Reshape_1')
  with tf.variable_scope('MobileNet'):
    with slim.arg_scope([slim.conv2d, cc.separable_conv2d],
                        activation_fn=None), \
         slim.arg_scope([cc.batch_norm], is_training=False, decay=0.96,
                        updates_collections=None, epsilon=config['epsilon'],
                        activation_fn=tf.nn.relu):
      kernel, stride = config['conv_1']
      net = slim.conv2d(inputs, kernel[3], kernel[:2], stride=stride,
                        scope='conv_1')
      net = cc.batch_norm(net, scope='conv_1/batch_norm')
      for block, depthwise, stride, pointwise in config['blocks']:
        # The model file passes the multiplier as a float, as much TF1 code.
        net = cc.separable_conv2d(net, None, depthwise[:2],
                                  depth_multiplier=float(depthwise[3]),
                                  stride=stride,
                                  scope=block + '/depthwise_conv')
        net = cc.batch_norm(net, scope=block + '/dw_batch_norm')
        net = slim.conv2d(net, pointwise[3], [1, 1],
                          scope=block + '/pointwise_conv')
        net = cc.batch_norm(net, scope=block + '/pw_batch_norm')
      net = slim.avg_pool2d(net, config['pool'], scope='avg_pool')
    net = tf.squeeze(net, [1, 2], name='SpatialSqueeze')
    logits = slim.fully_connected(net, config['labels'], activation_fn=None,
                                  scope='fc1')
  return tf.nn.softmax(logits, name='labels_softmax')


@pytest.fixture(scope='module')
def ds_cnn():
  """(TF1 frozen GraphDef, ours frozen on the same weights)."""
  theirs = _graph_def(DS_CNN)
  consts = {n.name: _graph_utils.const_value(n) for n in theirs.node
            if n.op == 'Const'}
  graph = tf.Graph()
  with _graph_utils.resource_variables(False), graph.as_default():
    _build_ds_cnn(_ds_cnn_config(theirs))
    with tf.Session() as sess:
      for var in tf.global_variables():
        sess.run(var.initializer, {var.initial_value: consts[var.op.name]})
      ours = tf.graph_util.convert_variables_to_constants(
          sess, graph.as_graph_def(), ['labels_softmax'])
  return theirs, ours, graph


def test_ds_cnn_variables_are_the_frozen_weights(ds_cnn):
  theirs, _, graph = ds_cnn
  frozen = {n.name: list(_graph_utils.const_value(n).shape)
            for n in theirs.node if n.op == 'Const' and
            n.name + '/read' in {m.name for m in theirs.node}}
  assert {v.op.name: v.shape.as_list() for v in
          graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)} == frozen
  # conv_1 + its batch norm, 4 blocks of (depthwise, norm, pointwise, norm),
  # fc1: weights and biases, beta and the moving statistics.
  assert len(frozen) == 2 + 3 + 4 * (2 + 3 + 2 + 3) + 2


def test_ds_cnn_graph_matches_tf14_node_for_node(ds_cnn):
  theirs, ours, _ = ds_cnn
  _assert_same_nodes(theirs, ours, keep=lambda n: n.startswith('MobileNet/'))


def test_ds_cnn_outputs_match_the_tf1_graph(ds_cnn):
  theirs, ours, _ = ds_cnn
  # The TF1 graph computed its features from one WAV clip: batch of 1.
  features = np.random.RandomState(0).normal(
      0.0, 20.0, (4, 1, 49, 10, 1)).astype(np.float32)

  def run(graph_def):
    with tf.Graph().as_default() as graph, tf.Session(graph=graph) as sess:
      tf.import_graph_def(graph_def, name='')
      return np.concatenate([
          sess.run('labels_softmax:0', {'Reshape_1:0': clip})
          for clip in features])

  want = run(theirs)
  got = run(ours)
  # TF 1.4's FusedBatchNorm graph and ours (V3): two graphs.
  numerics.different_graphs(got, want)
  # The trained weights make a real, not a degenerate, prediction.
  assert want.max(axis=1).min() > 0.2


# --- SSD MobileNet v2, TF 1.13 MetaGraphDef: batch_norm's subtree ------------


@pytest.mark.parametrize('index', range(tf113.NUM_LAYERS))
def test_batch_norm_subtree_matches_tf113(tf113_fixture, index):
  meta, _ = tf113._load(TF113_FIXTURE)
  depthwise = [n for n in meta.graph_def.node
               if n.op == 'DepthwiseConv2dNative']
  config = tf113._layer_config(meta.graph_def, depthwise[index])
  by_name = {n.name: n for n in meta.graph_def.node}
  norm = config['scope'] + '/BatchNorm/'
  decay = float(_graph_utils.const_value(by_name[norm + 'Const']))
  graph = tf113._rebuild(config, normalizer_fn=cc.batch_norm,
                         normalizer_params={
                             'epsilon': config['epsilon'], 'scale': True,
                             'decay': decay, 'is_training': False})
  _assert_same_nodes(meta.graph_def, graph.as_graph_def(),
                     keep=lambda n: n.startswith(norm))
  assert decay == pytest.approx(0.9997)


# --- DS-CNN's audio front end: tf.contrib's audio_ops ------------------------


def test_ds_cnn_audio_front_end_matches_tf14(installed):
  """The TF 1.4 graph's DecodeWav -> AudioSpectrogram -> Mfcc, rebuilt.

  TF1's speech models imported these from
  tensorflow.contrib.framework.python.ops.audio_ops (and decode_wav from
  tf.contrib.ffmpeg or io_ops); the module now builds the same ops.
  """
  from tensorflow.contrib.framework.python.ops import audio_ops
  theirs = _graph_def(DS_CNN)
  by_name = {n.name: n for n in theirs.node}

  def attr(node, key):
    value = by_name[node].attr[key]
    return value.i if value.WhichOneof('value') == 'i' else (
        value.f if value.WhichOneof('value') == 'f' else value.b)

  graph = tf.Graph()
  with graph.as_default():
    wav = tf.placeholder(tf.string, [], name='wav_data')
    decoded = audio_ops.decode_wav(
        wav, desired_channels=attr('decoded_sample_data', 'desired_channels'),
        desired_samples=attr('decoded_sample_data', 'desired_samples'),
        name='decoded_sample_data')
    spectrogram = audio_ops.audio_spectrogram(
        decoded.audio, window_size=attr('AudioSpectrogram', 'window_size'),
        stride=attr('AudioSpectrogram', 'stride'),
        magnitude_squared=attr('AudioSpectrogram', 'magnitude_squared'))
    audio_ops.mfcc(
        spectrogram, decoded.sample_rate,
        dct_coefficient_count=attr('Mfcc', 'dct_coefficient_count'))
  front = ('wav_data', 'decoded_sample_data', 'AudioSpectrogram', 'Mfcc')
  _assert_same_nodes(theirs, graph.as_graph_def(), keep=front.__contains__)

