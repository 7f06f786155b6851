"""Two training steps of the Object Detection API's SSD MobileNet v2.

    python -m contrib_compat.run tests/conformance/od_api_train_step.py LIB
    /tmp/tf115/bin/python tests/conformance/od_api_train_step.py LIB  # TF1
    ... od_api_train_step.py LIB --graph-out DIR  # also writes the graph
    python tests/conformance/od_api_train_step.py --run-graph DIR

LIB holds `object_detection` (tensorflow-object-detection-api 0.1.1) and
research/slim's `nets`, both unpacked from PyPI at test time. The model is
built by the API's model_builder from PIPELINE (the model zoo's
ssd_mobilenet_v2_coco.config: 300x300, depth multiplier 1, 90 classes,
RMSProp), and trained the way its model_lib.model_fn does (losses +
regularization, tf.contrib.layers.optimize_loss with the builder's
optimizer and the model's update ops). So that TF 1.15 and this package
start from the same numbers without a committed checkpoint, every trainable
weight is set from a NumPy generator seeded by the variable's name.

Prints one JSON line: the variables (name, shape, dtype), the losses and
each trainable variable's gradient norm before the first step, the losses
after each step, and the postprocessed detections' shapes. With
--graph-out it also writes the GraphDef and the names to fetch, which
--run-graph runs in another TensorFlow (init, weights, then losses and
gradient norms): TF 1.15's graph run by TF 2 gives what TF 2's kernels make
of TF1's graph, to compare with this package's graph.

The golden (tests/conformance/golden/od_api_ssd_mobilenet_v2_step.json) is
this script's output under TF 1.15 on one thread, written by
`generate.py od_api_step` (which runs it as `... --out DIR --lib LIB`).
"""
import json
import os
import sys
import zlib

import numpy as np

PIPELINE = """
model {
  ssd {
    num_classes: 90
    box_coder { faster_rcnn_box_coder {
      y_scale: 10.0 x_scale: 10.0 height_scale: 5.0 width_scale: 5.0 } }
    matcher { argmax_matcher {
      matched_threshold: 0.5 unmatched_threshold: 0.5
      ignore_thresholds: false negatives_lower_than_unmatched: true
      force_match_for_each_row: true } }
    similarity_calculator { iou_similarity { } }
    anchor_generator { ssd_anchor_generator {
      num_layers: 6 min_scale: 0.2 max_scale: 0.95
      aspect_ratios: 1.0 aspect_ratios: 2.0 aspect_ratios: 0.5
      aspect_ratios: 3.0 aspect_ratios: 0.3333 } }
    image_resizer { fixed_shape_resizer { height: 300 width: 300 } }
    box_predictor { convolutional_box_predictor {
      min_depth: 0 max_depth: 0 num_layers_before_predictor: 0
      use_dropout: false dropout_keep_probability: 0.8 kernel_size: 1
      box_code_size: 4 apply_sigmoid_to_scores: false
      conv_hyperparams {
        activation: RELU_6
        regularizer { l2_regularizer { weight: 0.00004 } }
        initializer { truncated_normal_initializer { stddev: 0.03 } }
        batch_norm { train: true scale: true center: true decay: 0.9997
                     epsilon: 0.001 } } } }
    feature_extractor {
      type: 'ssd_mobilenet_v2' min_depth: 16 depth_multiplier: 1.0
      conv_hyperparams {
        activation: RELU_6
        regularizer { l2_regularizer { weight: 0.00004 } }
        initializer { truncated_normal_initializer { stddev: 0.03 } }
        batch_norm { train: true scale: true center: true decay: 0.9997
                     epsilon: 0.001 } } }
    loss {
      classification_loss { weighted_sigmoid { } }
      localization_loss { weighted_smooth_l1 { } }
      hard_example_miner {
        num_hard_examples: 3000 iou_threshold: 0.99
        loss_type: CLASSIFICATION max_negatives_per_positive: 3
        min_negatives_per_image: 3 }
      classification_weight: 1.0 localization_weight: 1.0 }
    normalize_loss_by_num_matches: true
    post_processing {
      batch_non_max_suppression {
        score_threshold: 1e-8 iou_threshold: 0.6
        max_detections_per_class: 100 max_total_detections: 100 }
      score_converter: SIGMOID }
  }
}
train_config {
  batch_size: 2
  optimizer { rms_prop_optimizer {
    learning_rate { exponential_decay_learning_rate {
      initial_learning_rate: 0.004 decay_steps: 800720 decay_factor: 0.95 } }
    momentum_optimizer_value: 0.9 decay: 0.9 epsilon: 1.0 }
    use_moving_average: false }
}
"""
STEPS = 2
BOXES = [[[0.1, 0.1, 0.5, 0.6], [0.4, 0.3, 0.9, 0.8]],
         [[0.2, 0.5, 0.7, 0.95], [0.05, 0.05, 0.3, 0.3]]]
CLASSES = [[3, 17], [0, 89]]


def _weights(variable):
  """What a trainable variable is set to: seeded by its name, so both TFs
  start equal. BatchNorm's gamma/beta keep their initial 1 and 0."""
  name = variable.op.name
  if name.endswith(('gamma', 'beta')):
    return None
  shape = variable.shape.as_list()
  rng = np.random.RandomState(zlib.crc32(name.encode()))
  fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
  return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)


def _build(tf, pipeline_text):
  """The model, losses and train op; returns the tensors to fetch."""
  from google.protobuf import text_format
  from object_detection.builders import model_builder
  from object_detection.builders import optimizer_builder
  from object_detection.protos import pipeline_pb2

  pipeline = text_format.Merge(pipeline_text,
                               pipeline_pb2.TrainEvalPipelineConfig())
  model = model_builder.build(pipeline.model, is_training=True)
  images = tf.constant(np.random.RandomState(0).uniform(
      0, 255, (2, 300, 300, 3)).astype(np.float32))
  preprocessed, true_shapes = model.preprocess(images)
  model.provide_groundtruth(
      groundtruth_boxes_list=[tf.constant(b, tf.float32) for b in BOXES],
      groundtruth_classes_list=[tf.one_hot(c, 90) for c in CLASSES])
  predictions = model.predict(preprocessed, true_shapes)
  losses = model.loss(predictions, true_shapes)
  losses['Loss/regularization_loss'] = tf.add_n(
      model.regularization_losses(), name='regularization_loss')
  total = tf.add_n(list(losses.values()), name='total_loss')
  losses['Loss/total_loss'] = total
  global_step = tf.train.get_or_create_global_step()
  optimizer, _ = optimizer_builder.build(pipeline.train_config.optimizer)
  train_op = tf.contrib.layers.optimize_loss(
      loss=total, global_step=global_step, learning_rate=None,
      optimizer=optimizer, update_ops=model.updates(),
      variables=tf.trainable_variables(), summaries=None, name='')
  trainable = tf.trainable_variables()
  norms = {v.op.name: tf.norm(g) for v, g in zip(
      trainable, tf.gradients(total, trainable)) if g is not None}
  settings = [(v, _weights(v)) for v in trainable]
  return {'losses': losses, 'norms': norms, 'train': train_op,
          'detections': model.postprocess(predictions, true_shapes),
          'init': tf.global_variables_initializer(),
          'assigns': [v.assign(value).op for v, value in settings
                      if value is not None]}


def _write_graph(graph, fetches, directory):
  os.makedirs(directory, exist_ok=True)
  with open(os.path.join(directory, 'graph.pb'), 'wb') as out:
    out.write(graph.as_graph_def().SerializeToString())
  names = {'init': fetches['init'].name,
           'assigns': [op.name for op in fetches['assigns']],
           'losses': {k: t.name for k, t in fetches['losses'].items()},
           'norms': {k: t.name for k, t in fetches['norms'].items()}}
  with open(os.path.join(directory, 'fetches.json'), 'w') as out:
    json.dump(names, out)


def _floats(values):
  return {k: float(v) for k, v in values.items()}


def train(lib, graph_out=None, config=None):
  """Builds and trains the model, in a session made with `config`; the
  JSON-able result."""
  sys.path.insert(0, lib)
  import tensorflow as tf
  graph = tf.Graph()
  with graph.as_default():
    fetches = _build(tf, PIPELINE)
    variables = [[v.op.name, v.shape.as_list(), v.dtype.base_dtype.name]
                 for v in tf.global_variables()]
  if graph_out:
    _write_graph(graph, fetches, graph_out)
  with tf.Session(graph=graph, config=config) as sess:
    sess.run(fetches['init'])
    sess.run(fetches['assigns'])
    before, norms = sess.run([fetches['losses'], fetches['norms']])
    after = []
    for _ in range(STEPS):
      sess.run(fetches['train'])
      after.append(_floats(sess.run(fetches['losses'])))
    shapes = {k: list(v.shape)
              for k, v in sess.run(fetches['detections']).items()}
  return {'tensorflow': tf.__version__, 'variables': variables,
          'losses_before': _floats(before), 'gradient_norms': _floats(norms),
          'losses_after': after, 'detection_shapes': shapes}


def run_graph(directory):
  """Runs a graph --graph-out wrote: its losses and gradient norms."""
  import tensorflow.compat.v1 as tf
  graph_def = tf.GraphDef()
  with open(os.path.join(directory, 'graph.pb'), 'rb') as source:
    graph_def.ParseFromString(source.read())
  with open(os.path.join(directory, 'fetches.json')) as source:
    names = json.load(source)
  graph = tf.Graph()
  with graph.as_default():
    tf.import_graph_def(graph_def, name='')
  with tf.Session(graph=graph) as sess:
    sess.run(names['init'])
    sess.run(names['assigns'])
    losses, norms = sess.run([names['losses'], names['norms']])
  return {'losses_before': _floats(losses), 'gradient_norms': _floats(norms)}


GOLDEN = 'tests/conformance/golden/od_api_ssd_mobilenet_v2_step.json'


def main(argv):
  if argv[1] == '--run-graph':
    result = run_graph(argv[2])
  elif argv[1] == '--out':
    # generate.py's call: `--out DIR --lib LIB`, the golden under DIR.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import golden_io
    import tensorflow as tf
    golden_io.write_json(argv[2], GOLDEN,
                         train(argv[4], config=golden_io.one_thread(tf)))
    return 0
  else:
    graph_out = argv[3] if argv[2:3] == ['--graph-out'] else None
    result = train(argv[1], graph_out)
  print(json.dumps(result, sort_keys=True))
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
