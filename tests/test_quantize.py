"""contrib_compat.quantize: behaviour a TF1 user relies on, and its errors.

Node-for-node agreement with TF 1.15 is in conformance/test_tf1_quantize.py
and test_quantize_mobilenet_v1.py.
"""
import importlib

import numpy as np
import pytest
import tensorflow as tf2
import tensorflow.compat.v1 as tf

from contrib_compat import quantize
from contrib_compat import slim
from contrib_compat.quantize import _graph_edit
from tests.conformance import _graph_utils


@pytest.fixture(autouse=True)
def _tf1_behaviour():
  with _graph_utils.tf1_behaviour():
    yield


def _conv_model(x):
  net = slim.conv2d(x, 4, [3, 3], activation_fn=tf.nn.relu, scope='Conv')
  return tf.reshape(slim.conv2d(net, 2, [1, 1], activation_fn=None,
                                scope='Out'), [2, -1], name='output')


def _run(graph, output, values=None, runs=1):
  x = np.random.RandomState(0).uniform(-2, 2, [2, 6, 6, 3])
  with graph.as_default(), tf.Session(graph=graph) as sess:
    sess.run(tf.global_variables_initializer())
    variables = {v.op.name: v for v in tf.global_variables()}
    for name, value in (values or {}).items():
      variables[name].load(value, sess)
    return [sess.run(output, {'input:0': x}) for _ in range(runs)]


def _graph(rewrite=None, **kwargs):
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(1)
    x = tf.placeholder(tf.float32, [2, 6, 6, 3], name='input')
    output = _conv_model(x)
    if rewrite:
      rewrite(**kwargs)
  return graph, output


def test_quant_delay_passes_the_float_graph_through_until_the_step():
  float_graph, float_output = _graph()
  graph, output = _graph(quantize.create_training_graph, quant_delay=2)
  float_values = _run(float_graph, float_output)[0]
  # Runs 1 and 2: steps 1 and 2 (counted per run) ... 2 >= 2 quantizes.
  first, second = _run(graph, output, runs=2)
  np.testing.assert_array_equal(first, float_values)
  assert not np.array_equal(second, float_values)


def test_eval_graph_reads_the_learned_ranges():
  graph, output = _graph(quantize.create_eval_graph)
  names = {v.op.name for v in graph.get_collection(
      tf.GraphKeys.GLOBAL_VARIABLES)}
  assert {'Conv/weights_quant/min', 'Conv/act_quant/max',
          'Out/act_quant/min'} <= names
  wide = _run(graph, output)[0]
  narrow = _run(graph, output, {'Conv/act_quant/max': 0.5})[0]
  assert not np.array_equal(wide, narrow)


def test_adds_are_named_after_tf2s_op_type():
  """tf.add was Add on TF 1.15 (activation_Add_quant), `+` AddV2; on TF 2
  both are AddV2. docs/deploying.md says how to rename such ranges."""
  graph = tf.Graph()
  with graph.as_default():
    x = tf.placeholder(tf.float32, [2, 6, 6, 3], name='input')
    left = slim.conv2d(x, 3, [1, 1], activation_fn=None, scope='Left')
    right = slim.conv2d(x, 3, [1, 1], activation_fn=None, scope='Right')
    tf.reshape(tf.add(left, right, name='sum'), [-1], name='output')
    quantize.create_eval_graph()
    names = {v.op.name for v in tf.global_variables()}
  assert 'sum/activation_AddV2_quant/min' in names


def test_refuses_a_graph_with_optimizer_ops():
  graph, output = _graph()
  with graph.as_default():
    tf.train.AdamOptimizer().minimize(tf.reduce_sum(output))
    with pytest.raises(ValueError, match='Training op found'):
      quantize.create_training_graph()


@pytest.mark.parametrize('name', ['weight_bits', 'activation_bits'])
@pytest.mark.parametrize('value', [1, 17, 8.0, True])
def test_bits_outside_the_kernels_range_name_the_argument(name, value):
  graph, _ = _graph()
  with graph.as_default():
    with pytest.raises(ValueError, match='`%s`' % name):
      quantize.experimental_create_eval_graph(**{name: value})


def test_input_graph_must_be_a_graph():
  with pytest.raises(TypeError, match='`input_graph`'):
    quantize.create_eval_graph(input_graph='graph')


def test_eager_mode_says_there_is_no_graph():
  assert tf.executing_eagerly()
  with pytest.raises(RuntimeError, match='eager execution is on'):
    quantize.create_training_graph()


def test_a_tensorflow_without_the_private_methods_fails_at_import(
    monkeypatch):
  monkeypatch.delattr(tf2.Operation, '_update_input')
  with pytest.raises(ImportError, match='_update_input.*TensorFlow %s' %
                     tf2.__version__):
    importlib.reload(_graph_edit)
  monkeypatch.undo()
  importlib.reload(_graph_edit)
  assert _graph_edit.reroute is not None


def _int8_tflite(symmetric, checkpoint):
  """A small conv+BN model trained 20 steps with the rewrite, its eval graph
  converted to an int8 TFLite model."""
  def model(images, is_training):
    with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                        normalizer_params={'is_training': is_training},
                        activation_fn=tf.nn.relu6):
      net = slim.conv2d(images, 8, [3, 3], stride=2, scope='Conv2d_0')
      net = slim.conv2d(net, 4, [1, 1], scope='Conv2d_1')
    return tf.reduce_mean(net, [1, 2], name='output')

  rng = np.random.RandomState(0)
  with tf.Graph().as_default():
    tf.set_random_seed(0)
    images = tf.placeholder(tf.float32, [4, 16, 16, 3], name='input')
    loss = tf.reduce_mean(tf.square(model(images, True) - 1))
    quantize.experimental_create_training_graph(symmetric=symmetric)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
      train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      for _ in range(20):
        sess.run(train, {images: rng.rand(4, 16, 16, 3)})
      tf.train.Saver().save(sess, checkpoint)
  with tf.Graph().as_default():
    images = tf.placeholder(tf.float32, [1, 16, 16, 3], name='input')
    output = model(images, False)
    quantize.experimental_create_eval_graph(symmetric=symmetric)
    with tf.Session() as sess:
      tf.train.Saver().restore(sess, checkpoint)
      converter = tf.lite.TFLiteConverter.from_session(sess, [images],
                                                       [output])
      converter.inference_type = tf.int8
      converter.quantized_input_stats = {'input': (-128., 255.)}
      return converter.convert()


def _invoke(model_content):
  interpreter = tf.lite.Interpreter(model_content=model_content)
  interpreter.allocate_tensors()
  interpreter.set_tensor(interpreter.get_input_details()[0]['index'],
                         np.zeros([1, 16, 16, 3], np.int8))
  interpreter.invoke()
  return interpreter.get_tensor(interpreter.get_output_details()[0]['index'])


def test_int8_tflite_needs_symmetric_ranges(tmp_path):
  """What docs/deploying.md says: TF1's default (asymmetric) weight ranges
  convert to int8 but the int8 kernels refuse them; symmetric=True runs."""
  assert _invoke(_int8_tflite(True, str(tmp_path / 'sym'))).shape == (1, 4)
  with pytest.raises(RuntimeError, match='failed to prepare'):
    _invoke(_int8_tflite(False, str(tmp_path / 'asym')))
