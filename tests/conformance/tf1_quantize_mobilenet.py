"""A quantization-aware MobileNet v1 trained, frozen and converted by TF 1.15.

Python 3.7 code that runs under either interpreter. With TF 1.15,

    python tests/conformance/generate.py tf1_quantize_mobilenet

(which runs this module under TF 1.15 with `--out DIR`) writes
tests/data/tf1.15-quantize-mobilenet-v1/: what slim's
train_image_classifier.py --quantize_delay and its export made for the
released `mobilenet_v1_*_quant` models, on a MobileNet v1 cut to five layers
(depth multiplier 0.25, 32x32 inputs, 5 classes) so the files stay small:

* `model.ckpt.*`: the checkpoint after TRAIN_STEPS steps of a training graph
  rewritten by `tf.contrib.quantize.create_training_graph`;
* `frozen.pb`: the eval graph (`create_eval_graph`) with that checkpoint,
  frozen;
* `model.tflite`: TOCO's uint8 model of it (`inference_type=uint8`,
  `quantized_input_stats`), as TF 1.15's TFLiteConverter made it;
* `expected.json`: the losses of MORE_STEPS further training steps, and the
  frozen graph's and the .tflite's outputs on INPUTS.

test_quantize_mobilenet_v1.py rebuilds each with contrib_compat on TF 2.
"""
import json
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# The files, as repository paths; tests read them at REPO/<path>.
DATA = 'tests/data/tf1.15-quantize-mobilenet-v1'
CHECKPOINT = DATA + '/model.ckpt'
FROZEN = DATA + '/frozen.pb'
TFLITE = DATA + '/model.tflite'
EXPECTED = DATA + '/expected.json'

# MobileNet v1's first five layers, (kind, stride, depth) as in the zoo.
CONV_DEFS = (('conv', 2, 32), ('sep', 1, 64), ('sep', 2, 128),
             ('sep', 1, 128), ('sep', 2, 256))
DEPTH_MULTIPLIER = 0.25
NUM_CLASSES = 5
BATCH = 8
IMAGE = [32, 32, 3]
TRAIN_STEPS = 40
MORE_STEPS = 5
LEARNING_RATE = 0.1
# uint8 input q means (q - 128) / 128, for the float graph and the .tflite.
INPUT_STATS = (128.0, 128.0)
INPUTS = 4
OUTPUT = 'MobilenetV1/Predictions/Softmax'


def mobilenet_v1(slim, images, is_training):
  """The zoo's MobileNet v1 (scope names, arg_scope), five layers deep."""
  with slim.arg_scope(
      [slim.conv2d, slim.separable_conv2d],
      weights_initializer=tf.truncated_normal_initializer(stddev=0.09),
      activation_fn=tf.nn.relu6, normalizer_fn=slim.batch_norm):
    with slim.arg_scope([slim.batch_norm], is_training=is_training,
                        # The zoo's decay is 0.9997; this model trains
                        # 40 steps, so its moving statistics move faster.
                        center=True, scale=True, decay=0.9,
                        epsilon=0.001):
      with tf.variable_scope('MobilenetV1'):
        net = images
        for i, (kind, stride, depth) in enumerate(CONV_DEFS):
          depth = max(int(depth * DEPTH_MULTIPLIER), 8)
          if kind == 'conv':
            net = slim.conv2d(net, depth, [3, 3], stride=stride,
                              scope='Conv2d_%d' % i)
          else:
            net = slim.separable_conv2d(net, None, [3, 3],
                                        depth_multiplier=1, stride=stride,
                                        scope='Conv2d_%d_depthwise' % i)
            net = slim.conv2d(net, depth, [1, 1], stride=1,
                              scope='Conv2d_%d_pointwise' % i)
        with tf.variable_scope('Logits'):
          net = slim.avg_pool2d(net, net.shape.as_list()[1:3],
                                padding='VALID', scope='AvgPool_1a')
          logits = slim.conv2d(net, NUM_CLASSES, [1, 1], activation_fn=None,
                               normalizer_fn=None, scope='Conv2d_1c_1x1')
          logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
        probabilities = tf.nn.softmax(logits, name='Predictions/Softmax')
  return logits, probabilities


def batch(step):
  """Training images and labels of `step` (the same for both sides): two
  fixed batches in turn, which the model can learn (the loss falls)."""
  rng = np.random.RandomState(1000 + step % 2)
  images = rng.uniform(-1, 1, [BATCH] + IMAGE).astype(np.float32)
  labels = rng.randint(0, NUM_CLASSES, BATCH)
  return images, np.eye(NUM_CLASSES, dtype=np.float32)[labels]


def eval_inputs():
  """INPUTS uint8 images, and the float images they stand for."""
  rng = np.random.RandomState(7)
  quantized = rng.randint(0, 256, [INPUTS, 1] + IMAGE).astype(np.uint8)
  images = (quantized.astype(np.float32) - INPUT_STATS[0]) / INPUT_STATS[1]
  return quantized, images


def training_graph(slim, quantize):
  """(graph, images, labels, loss, train_op), rewritten before the
  optimizer as slim's train_image_classifier did."""
  graph = tf.Graph()
  with graph.as_default():
    tf.set_random_seed(0)
    images = tf.placeholder(tf.float32, [BATCH] + IMAGE, name='input')
    labels = tf.placeholder(tf.float32, [BATCH, NUM_CLASSES], name='labels')
    logits, _ = mobilenet_v1(slim, images, is_training=True)
    tf.losses.softmax_cross_entropy(labels, logits)
    loss = tf.losses.get_total_loss()
    quantize.create_training_graph(quant_delay=0)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
      train_op = tf.train.GradientDescentOptimizer(LEARNING_RATE).minimize(
          loss)
  return graph, images, labels, loss, train_op


def eval_graph(slim, quantize):
  """(graph, images, probabilities) of the rewritten eval graph."""
  graph = tf.Graph()
  with graph.as_default():
    images = tf.placeholder(tf.float32, [1] + IMAGE, name='input')
    _, probabilities = mobilenet_v1(slim, images, is_training=False)
    quantize.create_eval_graph()
  return graph, images, probabilities


def train(graph, images, labels, loss, train_op, sess, first_step, steps):
  """The losses of `steps` training steps from `first_step`."""
  losses = []
  with graph.as_default():
    for step in range(first_step, first_step + steps):
      x, y = batch(step)
      losses.append(float(sess.run([loss, train_op],
                                   {images: x, labels: y})[0]))
  return losses


def _main(argv=None):
  sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
  import golden_io
  out = golden_io.arguments(__doc__).parse_args(argv).out
  from tensorflow.contrib import quantize
  from tensorflow.contrib import slim
  tf.disable_resource_variables()
  # TOCO runs as the venv's `toco_from_protos` script.
  os.environ['PATH'] = (os.path.dirname(sys.executable) + os.pathsep +
                        os.environ.get('PATH', ''))
  checkpoint = golden_io.path(out, CHECKPOINT)
  one_thread = golden_io.one_thread(tf)
  graph, images, labels, loss, train_op = training_graph(slim, quantize)
  with graph.as_default(), tf.Session(graph=graph, config=one_thread) as sess:
    sess.run(tf.global_variables_initializer())
    first = train(graph, images, labels, loss, train_op, sess, 0, TRAIN_STEPS)
    tf.train.Saver().save(sess, checkpoint, write_meta_graph=False,
                          write_state=False)
    more = train(graph, images, labels, loss, train_op, sess, TRAIN_STEPS,
                 MORE_STEPS)
  graph, images, probabilities = eval_graph(slim, quantize)
  quantized, floats = eval_inputs()
  with graph.as_default(), tf.Session(graph=graph, config=one_thread) as sess:
    tf.train.Saver().restore(sess, checkpoint)
    frozen = tf.graph_util.convert_variables_to_constants(
        sess, graph.as_graph_def(), [OUTPUT])
    with open(golden_io.path(out, FROZEN), 'wb') as f:
      # deterministic: the attr maps in a fixed order, so the bytes repeat.
      f.write(frozen.SerializeToString(deterministic=True))
    outputs = [sess.run(probabilities, {images: x}).tolist() for x in floats]
    converter = tf.lite.TFLiteConverter.from_session(sess, [images],
                                                     [probabilities])
    converter.inference_type = tf.uint8
    converter.quantized_input_stats = {'input': INPUT_STATS}
    tflite = converter.convert()
  with open(golden_io.path(out, TFLITE), 'wb') as f:
    f.write(tflite)
  interpreter = tf.lite.Interpreter(model_content=tflite)
  interpreter.allocate_tensors()
  tflite_outputs = []
  for x in quantized:
    interpreter.set_tensor(interpreter.get_input_details()[0]['index'], x)
    interpreter.invoke()
    tflite_outputs.append(interpreter.get_tensor(
        interpreter.get_output_details()[0]['index']).tolist())
  golden_io.write_text(out, EXPECTED, json.dumps(
      {'tensorflow': tf.__version__, 'losses': first, 'more_losses': more,
       'frozen_outputs': outputs, 'tflite_outputs': tflite_outputs},
      indent=1) + '\n')
  return 0


if __name__ == '__main__':
  sys.exit(_main())
