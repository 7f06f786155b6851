"""tf.contrib.quantize against real TF 1.15: cases, one builder, the goldens.

Python 3.7 code that runs under either interpreter. With TF 1.15 it writes
`golden/tf1_quantize_<case>.json`, through the one generator:

    python tests/conformance/generate.py tf1_quantize [--check]

and `--describe` reads a JSON list of cases on stdin and writes their
descriptions (the randomized test drives that). test_tf1_quantize.py builds
the same cases with `contrib_compat.slim` and `contrib_compat.quantize` and
compares. A case is plain JSON: a small slim model (`MODELS`), how its batch
norms are built (fused or not, scale, is_training), which of the four
rewrite functions runs with which arguments. Its description is
tf1_reference's (every node with op, inputs and attributes; variables;
collections) plus numbers: the outputs of two runs (the rewrite's ranges and
step counter move between them) with the quantization step of the output's
fake quant in each, for training graphs the gradients of a
fixed weighted sum of the output, and every variable afterwards.
"""
import json
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tf1_reference

GOLDEN_PREFIX = 'tf1_quantize_'
INPUT = 'input'
OUTPUT = 'output'
REWRITES = ('create_training_graph', 'create_eval_graph',
            'experimental_create_training_graph',
            'experimental_create_eval_graph')


# --- models -------------------------------------------------------------------
# Each is (slim, x, case) -> logits, built in the slim style the rewrite was
# written for: conv / depthwise / fully connected layers with batch norms as
# normalizer_fn, activations, residual adds.


def _bn(slim, case):
  return {'normalizer_fn': slim.batch_norm,
          'normalizer_params': {'is_training': case['is_training'],
                                'fused': case.get('fused', True),
                                'scale': case.get('scale', True),
                                'decay': 0.9}}


def _mobilenet_like(slim, x, case):
  """conv+BN+relu6, depthwise(+atrous)+BN, pointwise+BN with a residual,
  pooling, fully connected logits."""
  bn = _bn(slim, case)
  net = slim.conv2d(x, 8, [3, 3], activation_fn=tf.nn.relu6, scope='Conv',
                    **bn)
  shortcut = net
  net = slim.separable_conv2d(net, None, [3, 3], depth_multiplier=1,
                              rate=case.get('rate', 1),
                              activation_fn=tf.nn.relu6, scope='Dw', **bn)
  # TF1 folded an unfused batch norm only before an activation or a bypass
  # add (see the *_unfused_residual case), so those cases give Pw a relu6.
  net = slim.conv2d(net, 8, [1, 1], scope='Pw', **bn,
                    activation_fn=tf.nn.relu6 if case.get('pw_relu6') else None)
  if case.get('residual', True):
    net = net + shortcut
  net = tf.reduce_mean(net, [1, 2], name='Pool')
  return slim.fully_connected(net, 4, activation_fn=None, scope='Logits')


def _separable(slim, x, case):
  """slim.separable_conv2d with num_outputs: depthwise then pointwise with
  no activation between, then BN+relu; a post-activation residual."""
  bn = _bn(slim, case)
  net = slim.conv2d(x, 6, [1, 1], activation_fn=tf.nn.relu, scope='Stem',
                    **bn)
  net = net + slim.separable_conv2d(net, 6, [3, 3], depth_multiplier=2,
                                    activation_fn=tf.nn.relu, scope='Sep',
                                    **bn)
  net = tf.reduce_max(net, [1, 2], name='Pool')
  return slim.fully_connected(net, 3, activation_fn=None, scope='Logits')


def _fully_connected(slim, x, case):
  """Fully connected layers with BN (MatMul, reshaped for the fused BN)."""
  bn = _bn(slim, case)
  # A plain Reshape: tf_slim's flatten on TF 2 names its shape differently.
  net = tf.reshape(x, [case['shape'][0], -1], name='Flatten')
  net = slim.fully_connected(net, 10, activation_fn=tf.nn.relu, scope='Fc1',
                             **bn)
  return slim.fully_connected(net, 4, activation_fn=None, scope='Fc2')


def _plain(slim, x, case):
  """No batch norm: conv with bias, relu, a bypass followed by relu."""
  del case
  net = slim.conv2d(x, 4, [3, 3], activation_fn=tf.nn.relu, scope='Conv1')
  net = tf.nn.relu(slim.conv2d(net, 4, [3, 3], activation_fn=None,
                               scope='Conv2') + net)
  return slim.conv2d(net, 2, [1, 1], activation_fn=None, scope='Conv3')


def _mobilenet_v2(slim, x, case):
  """MobileNet v2's stem and two inverted residual blocks: expand 1x1 +
  relu6, depthwise + relu6, linear projection, residual add."""
  bn = _bn(slim, case)
  net = slim.conv2d(x, 8, [3, 3], stride=2, activation_fn=tf.nn.relu6,
                    scope='Conv', **bn)
  for i in range(2):
    with tf.variable_scope('expanded_conv_%d' % i):
      shortcut = net
      net = slim.conv2d(net, 24, [1, 1], activation_fn=tf.nn.relu6,
                        scope='expand', **bn)
      net = slim.separable_conv2d(net, None, [3, 3], depth_multiplier=1,
                                  activation_fn=tf.nn.relu6,
                                  scope='depthwise', **bn)
      net = slim.conv2d(net, 8, [1, 1], activation_fn=None,
                        scope='project', **bn)
      # `+`: AddV2 on TF 1.15 and 2 (tf.add was Add on TF 1.15).
      net = net + shortcut
  net = tf.reduce_mean(net, [1, 2], keepdims=True, name='Pool')
  return slim.conv2d(net, 4, [1, 1], activation_fn=None, scope='Logits')


def _ssd_head(slim, x, case):
  """Two feature maps (conv + BN + relu6) and an SSD box predictor on
  each: 3x3 box and class convs with biases, reshaped and concatenated."""
  bn = _bn(slim, case)
  features = [slim.conv2d(x, 8, [3, 3], activation_fn=tf.nn.relu6,
                          scope='Feature_0', **bn)]
  features.append(slim.conv2d(features[0], 8, [3, 3], stride=2,
                              activation_fn=tf.nn.relu6, scope='Feature_1',
                              **bn))
  boxes, classes = [], []
  for i, feature in enumerate(features):
    with tf.variable_scope('BoxPredictor_%d' % i):
      box = slim.conv2d(feature, 2 * 4, [3, 3], activation_fn=None,
                        scope='BoxEncodingPredictor')
      cls = slim.conv2d(feature, 2 * 3, [3, 3], activation_fn=None,
                        scope='ClassPredictor')
      boxes.append(tf.reshape(box, [case['shape'][0], -1, 4]))
      classes.append(tf.reshape(cls, [case['shape'][0], -1, 3]))
  return tf.concat([tf.concat(boxes, 1), tf.concat(classes, 1) * 1.0], 2,
                   name='concat_predictions')


MODELS = {
    'mobilenet_like': _mobilenet_like,
    'mobilenet_v2': _mobilenet_v2,
    'ssd_head': _ssd_head,
    'separable': _separable,
    'fully_connected': _fully_connected,
    'plain': _plain,
}


# --- building -----------------------------------------------------------------


def build(case, slim, quantize):
  """Builds `case`'s model into a new graph and rewrites it; (graph, output).

  The output is a Reshape of the logits, so that the rewrite's quantization
  of the logits reaches it (the rewrite reroutes consumers).
  """
  graph = tf.Graph()
  with graph.as_default():
    x = tf.placeholder(tf.float32, case['shape'], name=INPUT)
    logits = MODELS[case['model']](slim, x, case)
    output = tf.reshape(logits, [case['shape'][0], -1], name=OUTPUT)
    if case.get('optimizer_before'):
      tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(output))
    getattr(quantize, case['rewrite'])(input_graph=graph,
                                       **case.get('rewrite_args', {}))
  return graph, output


def fixed_values(name, shape, dtype, case):
  """tf1_reference's values, with quantization ranges that are ranges and
  the step counter where the case puts it."""
  if name == 'fake_quantization_step':
    return np.asarray(case.get('step', 0), dtype)
  values = tf1_reference.fixed_values(name, shape, dtype)
  if name.endswith('_quant/min'):
    return (-0.5 - np.abs(values) * 4).astype(dtype)
  if name.endswith('_quant/max'):
    return (0.5 + np.abs(values) * 4).astype(dtype)
  if name.endswith('/local_step') or name.endswith('/biased'):
    return np.zeros(shape, dtype)
  return values


def numbers(graph, output, case):
  """Outputs of two runs; gradients (training); every variable afterwards."""
  with graph.as_default():
    x = graph.get_tensor_by_name(INPUT + ':0')
    weights = tf.constant(tf1_reference.fixed_values(
        'output_weights', output.shape.as_list()))
    objective = tf.reduce_sum(output * weights)
    training = 'training' in case['rewrite']
    trainable = graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
    gradients = tf.gradients(objective, [x] + trainable) if training else []
    global_vars = graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
    feed = {x: 3 * tf1_reference.fixed_values(INPUT, case['shape'])}
    with tf.Session(graph=graph) as sess:
      for var in global_vars:
        sess.run(var.initializer, {var.initial_value: fixed_values(
            var.op.name, var.shape.as_list(), var.dtype.base_dtype.name,
            case)})
      step = _output_step(output)
      runs = [sess.run([output, step], feed) for _ in range(2)]
      result = {'outputs': [_round(value) for value, _ in runs],
                'output_steps': [float(s) for _, s in runs]}
      if gradients:
        result['gradients'] = [_round(g) for g in sess.run(
            [g for g in gradients if g is not None], feed)]
      result['after'] = {v.op.name: _round(sess.run(v)) for v in global_vars}
  return result


def _output_step(output):
  """The quantization step of the fake quant the output reads (through a
  delayed_quant Merge), as a tensor; 0 when there is none."""
  source = output.op.inputs[0].op
  if source.type == 'Merge':
    source = next((t.op for t in source.inputs
                   if t.op.type == 'FakeQuantWithMinMaxVars'), source)
  if source.type != 'FakeQuantWithMinMaxVars':
    return tf.constant(0.0)
  levels = 2 ** source.get_attr('num_bits') - 1 - int(
      source.get_attr('narrow_range'))
  return (source.inputs[2] - source.inputs[1]) / levels


def _round(array):
  return np.asarray(array, np.float64).round(9).tolist()


def describe(case, slim, quantize):
  """Everything compared about `case`, as JSON data; {'error': ...} if the
  rewrite raised."""
  try:
    graph, output = build(case, slim, quantize)
  except (ValueError, TypeError, KeyError) as e:
    return {'error': type(e).__name__, 'message': str(e)[:300]}
  return {
      'nodes': tf1_reference.nodes(graph),
      'variables': tf1_reference.variables(graph),
      'collections': tf1_reference.collections(graph),
      'numbers': numbers(graph, output, case) if case.get('run', True) else
                 None,
  }


# --- the committed cases --------------------------------------------------------


def make_case(name, model, rewrite, **rest):
  case = {'name': name, 'model': model, 'rewrite': rewrite,
          'shape': [2, 8, 8, 3], 'is_training': 'training' in rewrite}
  case.update(rest)
  return case


_TRAIN = 'create_training_graph'
_EVAL = 'create_eval_graph'
_XTRAIN = 'experimental_create_training_graph'
_XEVAL = 'experimental_create_eval_graph'
CASES = [
    make_case('mobilenet_train', 'mobilenet_like', _TRAIN),
    make_case('mobilenet_train_delay', 'mobilenet_like', _TRAIN,
              rewrite_args={'quant_delay': 3}, step=2),
    make_case('mobilenet_eval', 'mobilenet_like', _EVAL),
    make_case('mobilenet_unfused_train', 'mobilenet_like', _TRAIN, fused=False,
              residual=False, pw_relu6=True),
    make_case('mobilenet_unfused_eval', 'mobilenet_like', _EVAL, fused=False,
              residual=False, pw_relu6=True),
    # TF1 looked the bypass up by the op *name* 'AddV2' (its type): a
    # residual after an unfused batch norm raised KeyError.
    make_case('mobilenet_unfused_residual_train', 'mobilenet_like', _TRAIN,
              fused=False),
    make_case('mobilenet_noscale_train', 'mobilenet_like', _TRAIN, scale=False),
    make_case('mobilenet_unfused_noscale_train', 'mobilenet_like', _TRAIN,
              fused=False, scale=False, residual=False, pw_relu6=True),
    make_case('mobilenet_atrous_train', 'mobilenet_like', _TRAIN, rate=2,
              residual=False),
    make_case('mobilenet_atrous_eval', 'mobilenet_like', _EVAL, rate=2,
              residual=False),
    make_case('mobilenet_atrous_unfused_train', 'mobilenet_like', _TRAIN, rate=2,
              residual=False, fused=False, pw_relu6=True),
    make_case('mobilenet_experimental_train', 'mobilenet_like', _XTRAIN,
              rewrite_args={'weight_bits': 4, 'activation_bits': 6,
                            'symmetric': True, 'quant_delay': 2,
                            'freeze_bn_delay': 4}, step=4),
    make_case('mobilenet_experimental_unfused_train', 'mobilenet_like', _XTRAIN,
              fused=False, residual=False, pw_relu6=True, step=1,
              rewrite_args={'quant_delay': 2, 'freeze_bn_delay': 4}),
    make_case('mobilenet_experimental_eval', 'mobilenet_like', _XEVAL,
              rewrite_args={'symmetric': True, 'quant_delay': 2,
                            'activation_bits': 7}, step=1),
    make_case('mobilenet_scope_train', 'mobilenet_like', _XTRAIN,
              rewrite_args={'scope': 'Dw'}),
    make_case('separable_train', 'separable', _TRAIN),
    make_case('separable_eval', 'separable', _EVAL),
    make_case('separable_unfused_train', 'separable', _TRAIN, fused=False),
    make_case('fully_connected_train', 'fully_connected', _TRAIN,
              shape=[4, 3, 3, 2]),
    make_case('fully_connected_eval', 'fully_connected', _EVAL,
              shape=[4, 3, 3, 2]),
    make_case('fully_connected_unfused_train', 'fully_connected', _TRAIN,
              shape=[4, 3, 3, 2], fused=False),
    make_case('mobilenet_v2_train', 'mobilenet_v2', _TRAIN),
    make_case('mobilenet_v2_eval', 'mobilenet_v2', _EVAL),
    make_case('mobilenet_v2_delay_train', 'mobilenet_v2', _XTRAIN, step=3,
              rewrite_args={'quant_delay': 3, 'freeze_bn_delay': 3}),
    make_case('mobilenet_v2_unfused_train', 'mobilenet_v2', _TRAIN,
              fused=False),
    make_case('ssd_head_train', 'ssd_head', _TRAIN),
    make_case('ssd_head_eval', 'ssd_head', _EVAL),
    make_case('ssd_head_unfused_eval', 'ssd_head', _EVAL, fused=False),
    make_case('plain_train', 'plain', _TRAIN),
    make_case('plain_eval', 'plain', _XEVAL, rewrite_args={'weight_bits': 5}),
    make_case('refuses_optimizer_ops', 'plain', _TRAIN, optimizer_before=True),
]


def golden_path(name):
  return os.path.join(tf1_reference.GOLDEN_DIR, GOLDEN_PREFIX + name + '.json')


def tf1_modules():
  from tensorflow.contrib import quantize
  from tensorflow.contrib import slim
  return slim, quantize


def _main(argv=None):
  import golden_io
  args = golden_io.arguments(__doc__, describe=True).parse_args(argv)
  tf.disable_resource_variables()
  slim, quantize = tf1_modules()
  if args.describe:
    json.dump([describe(case, slim, quantize) for case in json.load(
        sys.stdin)], sys.stdout)
    return 0
  tf1_reference.write_goldens(
      CASES, lambda case: describe(case, slim, quantize), golden_path,
      args.out)
  return 0


if __name__ == '__main__':
  sys.exit(_main())
