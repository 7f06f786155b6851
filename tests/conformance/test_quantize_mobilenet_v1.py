"""A quantized MobileNet v1 from real TF 1.15, rebuilt with contrib_compat.

TF 1.15 trained it with `tf.contrib.quantize.create_training_graph`, froze
its `create_eval_graph` and converted that with TOCO to a uint8 .tflite
(tests/data/tf1.15-quantize-mobilenet-v1, made by tf1_quantize_mobilenet.py,
as slim's train_image_classifier.py --quantize_delay and its export did for
the released mobilenet_v1_*_quant models). Here the same model code runs
with contrib_compat.slim and contrib_compat.quantize on TF 2:

* the training rewrite makes exactly the checkpoint's variables, restores
  it, and trains on as TF 1.15 did (its losses, within float32 rounding);
* the eval rewrite with the checkpoint, frozen, is TF1's frozen graph node
  for node (ops, inputs, attributes, every weight and range), so its outputs
  are bit-identical to TF1's graph run here, and within float32 rounding of
  what TF 1.15 computed;
* TF 2's TFLiteConverter (uint8, quantized_input_stats) gives every tensor
  the scale and zero point TOCO gave it, weights within 1 LSB, and the same
  top-1 class.
"""
import json

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from contrib_compat import numerics
from contrib_compat import quantize
from contrib_compat import slim
from tests.conformance import _graph_utils
from tests.conformance import test_tf1_reference
from tests.conformance import tf1_quantize_mobilenet as model
from tests.conftest import REPO


def _data(relpath):
  return str(REPO / relpath)


with open(_data(model.EXPECTED)) as _f:
  EXPECTED = json.load(_f)
# Training on. Float rounding in multi-threaded sums varies with how the
# work is split (from run to run, and with what ran before in the process),
# here as in TF 1.15, and a value on a fake-quant rounding boundary then
# lands on the neighbouring level, which training amplifies. Measured: the
# first loss (restored checkpoint, forward only) equal to TF1's in five
# runs alone, 0.24% apart in CI's oneDNN-off pass after other tests; by step
# five up to 1.1% apart between two runs of this TensorFlow alone.
FIRST_STEP_RTOL = 1e-2
LOSS_RTOL = 5e-2


@pytest.fixture(autouse=True)
def _tf1_behaviour():
  with _graph_utils.tf1_behaviour():
    yield


def test_data_is_tf1_15s():
  assert EXPECTED['tensorflow'] == '1.15.0'


def test_training_rewrite_makes_the_checkpoints_variables():
  graph = model.training_graph(slim, quantize)[0]
  with graph.as_default():
    ours = sorted((v.op.name, v.shape.as_list())
                  for v in tf.global_variables())
  assert ours == sorted((name, shape) for name, shape in
                        tf.train.list_variables(_data(model.CHECKPOINT)))
  names = [name for name, _ in ours]
  assert 'fake_quantization_step' not in names  # quant_delay=0: no counter
  assert 'MobilenetV1/Conv2d_1_depthwise/weights_quant/min' in names
  # The zero-debiased moving average's shadows, scoped as TF1 scoped them.
  assert ('MobilenetV1/Conv2d_0/act_quant/MobilenetV1/Conv2d_0/act_quant/'
          'max/biased') in names


def test_restores_and_trains_on_as_tf1_did():
  graph, images, labels, loss, train_op = model.training_graph(slim, quantize)
  with graph.as_default(), tf.Session(graph=graph) as sess:
    tf.train.Saver().restore(sess, _data(model.CHECKPOINT))
    act_max = graph.get_tensor_by_name(
        'MobilenetV1/Conv2d_4_pointwise/act_quant/max:0')
    before = sess.run(act_max)
    losses = model.train(graph, images, labels, loss, train_op, sess,
                         model.TRAIN_STEPS, model.MORE_STEPS)
    after = sess.run(act_max)
  np.testing.assert_allclose(losses[0], EXPECTED['more_losses'][0],
                             rtol=FIRST_STEP_RTOL)
  np.testing.assert_allclose(losses, EXPECTED['more_losses'], rtol=LOSS_RTOL)
  assert losses[-1] < EXPECTED['losses'][0] / 2  # it learned
  assert after != before  # the activation range moves with training


def _our_eval_session():
  graph, images, probabilities = model.eval_graph(slim, quantize)
  sess = tf.Session(graph=graph)
  with graph.as_default():
    tf.train.Saver().restore(sess, _data(model.CHECKPOINT))
  return sess, images, probabilities


def _tf1_frozen():
  graph_def = tf.GraphDef()
  with open(_data(model.FROZEN), 'rb') as f:
    graph_def.ParseFromString(f.read())
  return graph_def


def test_frozen_eval_graph_is_tf1s_node_for_node():
  sess, _, _ = _our_eval_session()
  with sess:
    ours = tf.graph_util.convert_variables_to_constants(
        sess, sess.graph.as_graph_def(), [model.OUTPUT])
  describe = lambda graph_def: [
      {'name': n.name, 'op': n.op, 'inputs': list(n.input),
       'attrs': {k: test_tf1_reference.tf1_reference.attr_value(v)
                 for k, v in n.attr.items()}} for n in graph_def.node]
  test_tf1_reference.assert_same_nodes(describe(ours), describe(_tf1_frozen()),
                                       'frozen eval graph')


def test_outputs_equal_tf1s():
  _, floats = model.eval_inputs()
  sess, images, probabilities = _our_eval_session()
  with sess:
    ours = [sess.run(probabilities, {images: x}) for x in floats]
  with tf.Graph().as_default() as graph:
    tf.import_graph_def(_tf1_frozen(), name='')
    with tf.Session(graph=graph) as tf1_graph:
      theirs = [tf1_graph.run(model.OUTPUT + ':0', {'input:0': x})
                for x in floats]
  for mine, same_graph, tf1_computed in zip(ours, theirs,
                                             EXPECTED['frozen_outputs']):
    numerics.same_graph(mine, same_graph)
    numerics.different_graphs(mine, tf1_computed)


def _tflite_tensors(model_content):
  interpreter = tf.lite.Interpreter(model_content=model_content)
  interpreter.allocate_tensors()
  tensors = []
  for detail in interpreter.get_tensor_details():
    scale, zero_point = detail['quantization']
    if scale == 0:  # shape operands (SpatialSqueeze's), not quantized
      continue
    # Constants: biases (int32) and weights (named after their fake quant
    # by both converters); activations' buffers hold nothing yet.
    value = None
    if detail['dtype'] == np.int32 or 'weights_quant/' in detail['name']:
      value = interpreter.get_tensor(detail['index'])
    tensors.append((detail['dtype'].__name__, tuple(detail['shape']), scale,
                    zero_point, value))
  return interpreter, sorted(tensors, key=lambda t: t[:4])


def _run(interpreter, image):
  interpreter.set_tensor(interpreter.get_input_details()[0]['index'], image)
  interpreter.invoke()
  return interpreter.get_tensor(interpreter.get_output_details()[0]['index'])


def test_uint8_tflite_matches_tocos():
  sess, images, probabilities = _our_eval_session()
  with sess:
    converter = tf.lite.TFLiteConverter.from_session(sess, [images],
                                                     [probabilities])
    converter.inference_type = tf.uint8
    converter.quantized_input_stats = {'input': model.INPUT_STATS}
    ours = converter.convert()
  with open(_data(model.TFLITE), 'rb') as f:
    theirs = f.read()
  our_interpreter, our_tensors = _tflite_tensors(ours)
  their_interpreter, their_tensors = _tflite_tensors(theirs)
  # Every tensor: dtype, shape, scale, zero point (TF 2's converter names
  # tensors after every op fused into them, TOCO after one: not compared).
  assert [t[:4] for t in our_tensors] == [t[:4] for t in their_tensors]
  for mine, toco in zip(our_tensors, their_tensors):
    assert (mine[4] is None) == (toco[4] is None)
    if toco[4] is not None:
      # Weights and biases: the same rounding but for ties.
      assert np.max(np.abs(mine[4].astype(np.int64) -
                           toco[4].astype(np.int64))) <= 1, toco[:4]
  quantized, _ = model.eval_inputs()
  for image, expected in zip(quantized, EXPECTED['tflite_outputs']):
    mine = _run(our_interpreter, image)
    toco = _run(their_interpreter, image)
    # TOCO's model in this TensorFlow's interpreter (XNNPACK kernels) and
    # in TF 1.15's: 1 LSB apart at most.
    assert np.max(np.abs(toco.astype(int) - np.asarray(expected))) <= 1
    assert np.argmax(mine) == np.argmax(toco)
    assert np.max(np.abs(mine.astype(int) - toco.astype(int))) <= 1
