"""Deploying TF1 graphs built with these layers, as TF1 scripts deployed them.

Training graph -> checkpoint -> inference graph, then: frozen GraphDef
(`convert_variables_to_constants`, and freeze_graph's GraphDef + checkpoint
flow), TFLite from the Session and from the frozen graph (float, with
batch_norm folded into the convolutions, and full-integer int8), and a
SavedModel from the Session served by TF 2's `tf.saved_model.load`. The
same on the real TF 1.4 DS-CNN weights (tests/data/tf1-kws-ds-cnn).

A change to the layers' subgraphs that breaks any of these breaks a test:
the TFLite converter, for one, folds batch_norm only when its subgraph is
the one it knows.
"""
import contextlib
import io
import re

import numpy as np
import pytest
import tensorflow as tf
import tensorflow.compat.v1 as tf1

from contrib_compat import numerics
import contrib_compat as cc
from contrib_compat import slim
from tests.conformance import _graph_utils
from tests.conformance import test_tf1_graphs

pytestmark = [
    pytest.mark.filterwarnings('ignore:`layer.apply` is deprecated'),
    pytest.mark.filterwarnings('ignore::DeprecationWarning'),
]

SHAPE = [1, 32, 32, 3]
# TFLite's float kernels against TF's: same math, other summation order.
FLOAT_TOLERANCE = 1e-5
# Measured: 16 of 16 (see test_int8_conversion); TF1 scripts accepted less.
INT8_TOP1_AGREEMENT = 0.75


def _model(images, is_training):
  """Both separable branches with batch_norm, as MobileNet code built them."""
  with slim.arg_scope([slim.conv2d, cc.separable_conv2d],
                      normalizer_fn=cc.batch_norm,
                      normalizer_params={'is_training': is_training,
                                         'scale': True},
                      activation_fn=tf.nn.relu6):
    net = slim.conv2d(images, 8, [3, 3], stride=2, scope='Conv2d_0')
    net = cc.separable_conv2d(net, None, [3, 3], scope='Conv2d_1_depthwise')
    net = slim.conv2d(net, 16, [1, 1], scope='Conv2d_1_pointwise')
    net = cc.separable_conv2d(net, 16, [3, 3], stride=2,
                              scope='Conv2d_2_separable')
  net = tf.reduce_mean(net, [1, 2])
  logits = slim.fully_connected(net, 10, activation_fn=None, scope='Logits')
  # Not 'logits': graph names are unique regardless of case.
  return tf.identity(logits, name='output')


def _images(count, seed):
  return np.random.RandomState(seed).rand(count, *SHAPE[1:]).astype(
      np.float32)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """A checkpoint after a few training steps (moving statistics moved)."""
  prefix = str(tmp_path_factory.mktemp('train') / 'model.ckpt')
  data = _images(8, seed=0)
  with _graph_utils.resource_variables(False), tf.Graph().as_default():
    images = tf1.placeholder(tf.float32, [8] + SHAPE[1:])
    loss = tf.reduce_mean(tf.square(_model(images, is_training=True) - 1.0))
    with tf.control_dependencies(tf1.get_collection(
        tf1.GraphKeys.UPDATE_OPS)):
      train = tf1.train.GradientDescentOptimizer(0.05).minimize(loss)
    with tf1.Session() as sess:
      sess.run(tf1.global_variables_initializer())
      for _ in range(3):
        sess.run(train, {images: data})
      tf1.train.Saver().save(sess, prefix)
  return prefix


@contextlib.contextmanager
def _inference_session(prefix):
  """(graph, session, input, output) of the restored inference graph."""
  with _graph_utils.resource_variables(False), tf.Graph().as_default() as g:
    images = tf1.placeholder(tf.float32, SHAPE, name='input')
    output = _model(images, is_training=False)
    with tf1.Session(config=_exact_config()) as sess:
      tf1.train.Saver().restore(sess, prefix)
      yield g, sess, images, output


def _exact_config():
  """A session config without Grappler, whose rewrites (folding batch_norm
  into constant weights) change results in the last bit."""
  config = tf1.ConfigProto()
  config.graph_options.rewrite_options.disable_meta_optimizer = True
  return config


def _run_graph_def(graph_def, feeds, fetch='output:0'):
  with tf.Graph().as_default() as graph, tf1.Session(
      graph=graph, config=_exact_config()) as sess:
    tf1.import_graph_def(graph_def, name='')
    return np.concatenate([sess.run(fetch, {'input:0': x[None]})
                           for x in feeds])


def _run_tflite(model, feeds):
  interpreter = tf.lite.Interpreter(model_content=model)
  interpreter.allocate_tensors()
  (inp,), (out,) = (interpreter.get_input_details(),
                    interpreter.get_output_details())
  results = []
  for x in feeds:
    if inp['dtype'] == np.int8:
      scale, zero = inp['quantization']
      x = np.round(x / scale + zero).astype(np.int8)
    interpreter.set_tensor(inp['index'], x[None])
    interpreter.invoke()
    results.append(interpreter.get_tensor(out['index']))
  return np.concatenate(results)


def _tflite_ops(model):
  """Op names of a TFLite model, from TF's public analyzer report."""
  report = io.StringIO()
  with contextlib.redirect_stdout(report):
    tf.lite.experimental.Analyzer.analyze(model_content=model)
  return re.findall(r'Op#\d+ (\w+)\(', report.getvalue())


@pytest.fixture(scope='module')
def frozen(trained):
  """(frozen GraphDef, the live graph's outputs on FEEDS)."""
  with _inference_session(trained) as (graph, sess, images, output):
    live = np.concatenate([sess.run(output, {images: x[None]})
                           for x in FEEDS])
    graph_def = tf1.graph_util.convert_variables_to_constants(
        sess, graph.as_graph_def(), ['output'])
  return graph_def, live


FEEDS = _images(16, seed=1)


def test_frozen_graph_gives_the_live_outputs(frozen):
  graph_def, live = frozen
  assert not {n.op for n in graph_def.node} & {'VariableV2', 'VarHandleOp'}
  # Constants in place of variables: another graph (oneDNN may fuse it).
  numerics.different_graphs(_run_graph_def(graph_def, FEEDS), live)


def test_freeze_graph_flow_from_graph_def_and_checkpoint(trained, frozen):
  # freeze_graph.py: the inference GraphDef as written to disk, then the
  # checkpoint restored into the re-imported graph by variable name.
  _, live = frozen
  with _inference_session(trained) as (graph, _, _, _):
    graph_def = graph.as_graph_def()
  with tf.Graph().as_default() as graph, tf1.Session(graph=graph) as sess:
    tf1.import_graph_def(graph_def, name='')
    names = [name for name, _ in tf1.train.list_variables(trained)]
    saver = tf1.train.Saver({n: graph.get_tensor_by_name(n + ':0')
                             for n in names})
    saver.restore(sess, trained)
    refrozen = tf1.graph_util.convert_variables_to_constants(
        sess, graph_def, ['output'])
  numerics.different_graphs(_run_graph_def(refrozen, FEEDS), live)


def test_tflite_float_from_session_folds_batch_norm(trained, frozen):
  _, live = frozen
  with _inference_session(trained) as (_, sess, images, output):
    model = tf1.lite.TFLiteConverter.from_session(
        sess, [images], [output]).convert()
  np.testing.assert_allclose(_run_tflite(model, FEEDS), live,
                             atol=FLOAT_TOLERANCE, rtol=0)
  ops = _tflite_ops(model)
  # batch_norm folded into the convolutions: no op of its own is left.
  assert sorted(set(ops)) == ['CONV_2D', 'DEPTHWISE_CONV_2D',
                              'FULLY_CONNECTED', 'MEAN']
  assert ops.count('DEPTHWISE_CONV_2D') == 2


def test_tflite_float_from_frozen_graph(frozen, tmp_path):
  graph_def, live = frozen
  path = tmp_path / 'frozen.pb'
  path.write_bytes(graph_def.SerializeToString())
  model = tf1.lite.TFLiteConverter.from_frozen_graph(
      str(path), ['input'], ['output'], input_shapes={'input': SHAPE}
  ).convert()
  np.testing.assert_allclose(_run_tflite(model, FEEDS), live,
                             atol=FLOAT_TOLERANCE, rtol=0)


def test_int8_conversion(trained, frozen):
  _, live = frozen
  with _inference_session(trained) as (_, sess, images, output):
    converter = tf1.lite.TFLiteConverter.from_session(sess, [images],
                                                      [output])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x[None]] for x in
                                                _images(32, seed=2))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    model = converter.convert()
  quantized = _run_tflite(model, FEEDS)
  assert quantized.dtype == np.int8
  agreement = np.mean(quantized.argmax(1) == live.argmax(1))
  assert agreement >= INT8_TOP1_AGREEMENT


def test_savedmodel_from_session_serves_in_tf2(trained, frozen, tmp_path):
  _, live = frozen
  export = str(tmp_path / 'savedmodel')
  with _inference_session(trained) as (_, sess, images, output):
    tf1.saved_model.simple_save(sess, export, {'images': images},
                                {'logits': output})
  loaded = tf.saved_model.load(export)
  serve = loaded.signatures['serving_default']
  got = np.concatenate([serve(images=tf.constant(x[None]))['logits'].numpy()
                        for x in FEEDS])
  np.testing.assert_allclose(got, live, atol=1e-6, rtol=0)


# --- the real TF 1.4 DS-CNN, on its trained weights --------------------------


def test_ds_cnn_converts_to_tflite_with_its_trained_weights():
  theirs = test_tf1_graphs._graph_def(test_tf1_graphs.DS_CNN)
  consts = {n.name: _graph_utils.const_value(n) for n in theirs.node
            if n.op == 'Const'}
  features = np.random.RandomState(0).normal(
      0.0, 20.0, (4, 1, 49, 10, 1)).astype(np.float32)
  with _graph_utils.resource_variables(False), tf.Graph().as_default():
    config = test_tf1_graphs._ds_cnn_config(theirs)
    config['input_shape'][0] = 1
    output = test_tf1_graphs._build_ds_cnn(config)
    with tf1.Session() as sess:
      for var in tf1.global_variables():
        sess.run(var.initializer, {var.initial_value: consts[var.op.name]})
      inputs = tf1.get_default_graph().get_tensor_by_name('Reshape_1:0')
      model = tf1.lite.TFLiteConverter.from_session(
          sess, [inputs], [output]).convert()
  with tf.Graph().as_default() as graph, tf1.Session(graph=graph) as sess:
    tf1.import_graph_def(theirs, name='')
    want = np.concatenate([sess.run('labels_softmax:0', {'Reshape_1:0': f})
                           for f in features])
  interpreter_inputs = [f[0] for f in features]
  np.testing.assert_allclose(_run_tflite(model, interpreter_inputs), want,
                             atol=FLOAT_TOLERANCE, rtol=0)
  assert 'DEPTHWISE_CONV_2D' in _tflite_ops(model)
