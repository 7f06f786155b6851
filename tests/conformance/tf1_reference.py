"""Real TensorFlow 1.x as the reference: cases, one builder, one description.

This module runs under two interpreters, so it is Python 3.7 code that
imports only `tensorflow.compat.v1` and numpy at the top:

* real TF 1.15 (`python3.7 -m venv /tmp/tf115 && /tmp/tf115/bin/pip install
  tensorflow-cpu==1.15.0 "numpy<1.19" "protobuf<3.21"`), where `LIBRARIES
  ['tf1']` is the original `tf.contrib.layers`. From the repository root:

      python tests/conformance/generate.py tf1 [--check]
          writes (or checks) tests/conformance/golden/tf1_<case>.json for
          every case in CASES, and TF 1.15's checkpoints of their variables
          (runs this module as `--out DIR` under TF 1.15)
      /tmp/tf115/bin/python tests/conformance/tf1_reference.py --describe
          reads a JSON list of cases on stdin, writes their descriptions on
          stdout (the live differential test drives this)

* this package on TF 2 (the tests), where `LIBRARIES['ours']` is
  contrib_compat's.

A case is plain JSON: which layer, the input shape, keyword arguments as
tokens (`'l2'` for an l2 regularizer, `'tensor'` for a tensor is_training,
...), how many calls (a second call reuses the first's scope), and an
optional arg_scope. `build` turns it into a graph with either library and
`describe` into plain data: every node with its op, inputs and attributes
(Const values decoded), every variable, every collection, and numbers
(outputs, gradients, and every variable after one run of the update ops)
from variables set to values derived from their names, so both sides hold
the same values without a checkpoint. Both sides disable resource
variables, as TF1 had none.
"""
import json
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
GOLDEN_DIR = os.path.join(REPO, 'tests', 'conformance', 'golden')
GOLDEN_PREFIX = 'tf1_'
# TF 1.15's own checkpoints of the cases' variables (fixed values), which
# the tests restore instead of setting the values themselves.
CHECKPOINT_DIR = os.path.join(REPO, 'tests', 'data', 'tf1.15-reference')


# --- the two libraries --------------------------------------------------------


class Library(object):
  """The functions a case calls, from TF1's tf.contrib or from this package."""

  def __init__(self, separable_conv2d, batch_norm, arg_scope, l2_regularizer,
               l1_regularizer):
    self.separable_conv2d = separable_conv2d
    self.batch_norm = batch_norm
    self.arg_scope = arg_scope
    self.l2_regularizer = l2_regularizer
    self.l1_regularizer = l1_regularizer


def tf1_library():
  from tensorflow import contrib
  return Library(contrib.layers.separable_conv2d, contrib.layers.batch_norm,
                 contrib.framework.arg_scope, contrib.layers.l2_regularizer,
                 contrib.layers.l1_regularizer)


def our_library():
  import contrib_compat
  from contrib_compat import layers
  return Library(contrib_compat.separable_conv2d, contrib_compat.batch_norm,
                 contrib_compat.arg_scope, layers.l2_regularizer,
                 layers.l1_regularizer)


# --- tokens -------------------------------------------------------------------


def _token(value, lib, state):
  """A keyword argument's value from its JSON token."""
  if isinstance(value, dict):
    return {k: _token(v, lib, state) for k, v in value.items()}
  if isinstance(value, list):
    return [_token(v, lib, state) for v in value]
  if not isinstance(value, str) or not value.startswith('$'):
    return value
  name = value[1:]
  if name == 'l2':
    return lib.l2_regularizer(0.25)
  if name == 'l1':
    return lib.l1_regularizer(0.5)
  if name == 'relu':
    return tf.nn.relu
  if name == 'batch_norm':
    return lib.batch_norm
  if name == 'is_training':
    return state['is_training']
  if name == 'ones':
    return tf.ones_initializer()
  if name.startswith('constant:'):
    return tf.constant_initializer(float(name.split(':')[1]))
  if name == 'batch_weights':
    return state['batch_weights']
  if name == 'clipping':
    return {'rmax': 2.0, 'rmin': 0.5, 'dmax': 1.0}
  if name == 'adjustment':
    # Keras' batch-renorm style adjustment: (scale, bias) from the shape.
    return lambda shape: (tf.fill(shape[-1:], 1.5), tf.fill(shape[-1:], 0.25))
  raise ValueError('unknown token %r' % value)


# --- building -----------------------------------------------------------------

INPUT = 'input'
IS_TRAINING = 'is_training'
BATCH_WEIGHTS = 'batch_weights'


def build(case, lib):
  """Builds `case` into a new graph; (graph, outputs)."""
  graph = tf.Graph()
  with graph.as_default():
    x = tf.placeholder(tf.float32, case['shape'], name=INPUT)
    state = {
        'is_training': tf.placeholder_with_default(True, [], IS_TRAINING),
        'batch_weights': tf.placeholder_with_default(
            np.linspace(0.5, 1.5, case['shape'][0]).astype(np.float32),
            [case['shape'][0]], BATCH_WEIGHTS),
    }
    layer = getattr(lib, case['layer'])
    kwargs = _token(case.get('kwargs', {}), lib, state)
    scoped = _token(case.get('arg_scope', {}), lib, state)
    outputs = []
    with _arg_scope(lib, layer, scoped):
      for i in range(case.get('calls', 1)):
        call = dict(kwargs)
        if i and case.get('reuse_scope'):
          call['reuse'] = True
          call['scope'] = case['reuse_scope']
        elif case.get('reuse_scope'):
          call['scope'] = case['reuse_scope']
        outputs.append(layer(x, **call))
  return graph, outputs


def _arg_scope(lib, layer, kwargs):
  if not kwargs:
    return _Nothing()
  return lib.arg_scope([layer], **kwargs)


class _Nothing(object):

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    return False


# --- describing ---------------------------------------------------------------


def attr_value(value):
  """An AttrValue as plain JSON data (Const tensors decoded)."""
  kind = value.WhichOneof('value')
  if kind is None:
    return None
  if kind == 's':
    return value.s.decode('utf-8', 'replace')
  if kind in ('i', 'f', 'b'):
    return getattr(value, kind)
  if kind == 'type':
    return tf.as_dtype(value.type).name
  if kind == 'shape':
    return _shape(value.shape)
  if kind == 'tensor':
    array = tf.make_ndarray(value.tensor)
    return {'dtype': array.dtype.name, 'shape': list(array.shape),
            'values': _plain(array.ravel().tolist())}
  if kind == 'func':
    return {'func': value.func.name}
  if kind == 'list':
    listed = value.list
    return {'list': [x.decode('utf-8', 'replace') for x in listed.s] +
                    list(listed.i) + list(listed.f) + list(listed.b) +
                    [tf.as_dtype(t).name for t in listed.type] +
                    [_shape(s) for s in listed.shape]}
  return str(value)


def _shape(shape):
  if shape.unknown_rank:
    return None
  return [d.size for d in shape.dim]


def _plain(values):
  # JSON has no byte strings; Const strings are rare here.
  return [v.decode('utf-8', 'replace') if isinstance(v, bytes) else v
          for v in values]


def nodes(graph):
  """[{name, op, inputs, attrs}] of every node, in creation order."""
  out = []
  for node in graph.as_graph_def().node:
    out.append({'name': node.name, 'op': node.op, 'inputs': list(node.input),
                'attrs': {k: attr_value(v) for k, v in sorted(
                    node.attr.items())}})
  return out


def variables(graph):
  return [[v.op.name, v.shape.as_list(), v.dtype.base_dtype.name]
          for v in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)]


def collections(graph):
  """{key: [item names]}: every collection, in order."""
  out = {}
  for key in graph.get_all_collection_keys():
    names = []
    for item in graph.get_collection(key):
      name = getattr(item, 'name', None)
      names.append(name if name is not None else '<%s>' % type(item).__name__)
    out[str(key)] = names
  return out


def fixed_values(name, shape, dtype='float32'):
  """Deterministic values for variable `name`, the same on every TF/numpy.

  Variances (and renorm's stddev) must be positive, so those are in [0.5, 2).
  """
  seed = (sum(name.encode()) * 7919) % (2 ** 31)
  values = np.random.RandomState(seed).uniform(-1., 1., shape)
  if 'variance' in name or 'stddev' in name:
    values = 0.5 + np.abs(values) * 1.5
  return values.astype(dtype)


def numbers(graph, outputs, case, checkpoint=None, save=False):
  """Outputs, gradients and variables after one update, as nested lists.

  The variables hold `fixed_values`, or with `checkpoint` and not `save`
  what that checkpoint (written by TF1) holds; with `save`, the fixed values
  are also saved there.
  """
  with graph.as_default():
    x = graph.get_tensor_by_name(INPUT + ':0')
    weights = [tf.constant(fixed_values('output_weights/%d' % i,
                                        o.shape.as_list()))
               for i, o in enumerate(outputs)]
    objective = tf.add_n([tf.reduce_sum(o * w)
                          for o, w in zip(outputs, weights)])
    trainable = graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)
    gradients = tf.gradients(objective, [x] + trainable)
    updates = graph.get_collection(tf.GraphKeys.UPDATE_OPS)
    global_vars = graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
    feed = {x: fixed_values(INPUT, case['shape'])}
    if case.get('feed_is_training') is not None:
      feed[graph.get_tensor_by_name(IS_TRAINING + ':0')] = (
          case['feed_is_training'])
    saver = tf.train.Saver(global_vars) if checkpoint else None
    with tf.Session(graph=graph) as sess:
      if checkpoint and not save:
        saver.restore(sess, checkpoint)
      else:
        for var in global_vars:
          sess.run(var.initializer, {var.initial_value: fixed_values(
              var.op.name, var.shape.as_list(), var.dtype.base_dtype.name)})
      if checkpoint and save:
        saver.save(sess, checkpoint, write_meta_graph=False,
                   write_state=False)
      result = {
          'outputs': [_round(v) for v in sess.run(outputs, feed)],
          'gradients': [None if v is None else _round(v)
                        for v in _with_none(sess, gradients, feed)],
      }
      # One at a time, in collection order: two layers sharing variables
      # (reuse) update them concurrently in one run, and which goes first
      # varies from run to run in TF1 as here.
      for update in updates:
        sess.run(update, feed)
      result['after_update'] = {v.op.name: _round(sess.run(v))
                                for v in global_vars}
  return result


def _with_none(sess, tensors, feed):
  present = [t for t in tensors if t is not None]
  values = iter(sess.run(present, feed))
  return [next(values) if t is not None else None for t in tensors]


def _round(array):
  return np.asarray(array, np.float64).round(9).tolist()


def describe_or_error(case, lib, checkpoint=None, save=False):
  """`describe`, or {'error': exception type} if building raised."""
  try:
    return describe(case, lib, checkpoint, save)
  except Exception as e:
    return {'error': type(e).__name__, 'message': str(e)[:500]}


def describe(case, lib, checkpoint=None, save=False):
  """Everything compared about `case` built with `lib`, as JSON data.

  `checkpoint` and `save`: see `numbers`.
  """
  graph, outputs = build(case, lib)
  return {
      'nodes': nodes(graph),
      'variables': variables(graph),
      'collections': collections(graph),
      'outputs': [o.name for o in outputs],
      # TF1's CPU kernels cannot run some graphs (fused NCHW batch_norm).
      'numbers': (numbers(graph, outputs, case, checkpoint, save)
                  if case.get('run', True) else None),
  }


# --- the committed cases --------------------------------------------------------

SHAPE = [2, 5, 5, 3]


def _case(name, layer, kwargs=None, **rest):
  case = {'name': name, 'layer': layer, 'shape': rest.pop('shape', SHAPE),
          'kwargs': kwargs or {}}
  case.update(rest)
  return case


SEP = 'separable_conv2d'
BN = 'batch_norm'
CASES = [
    # separable_conv2d: both branches, regularizers, normalizer, arg_scope,
    # reuse, default scope names, collections.
    _case('sep_depthwise', SEP, {'num_outputs': None, 'kernel_size': [3, 3]}),
    _case('sep_pointwise', SEP, {'num_outputs': 4, 'kernel_size': [3, 3]}),
    _case('sep_depthwise_regularized', SEP, {
        'num_outputs': None, 'kernel_size': [3, 3],
        'weights_regularizer': '$l2', 'biases_regularizer': '$l1'}),
    _case('sep_pointwise_regularized', SEP, {
        'num_outputs': 4, 'kernel_size': 3, 'weights_regularizer': '$l2',
        'biases_regularizer': '$l1'}),
    _case('sep_strided_same_multiplier', SEP, {
        'num_outputs': 4, 'kernel_size': [3, 2], 'stride': 2,
        'depth_multiplier': 2, 'padding': 'VALID'}),
    _case('sep_atrous_depthwise', SEP, {
        'num_outputs': None, 'kernel_size': 3, 'rate': 2,
        'activation_fn': '$relu'}),
    _case('sep_batch_norm_arg_scope', SEP, {'num_outputs': None,
                                            'kernel_size': [3, 3]},
          arg_scope={'normalizer_fn': '$batch_norm',
                     'normalizer_params': {'is_training': '$is_training',
                                           'scale': True},
                     'weights_regularizer': '$l2'}),
    _case('sep_reuse_twice', SEP, {'num_outputs': 4, 'kernel_size': 3,
                                   'weights_regularizer': '$l2'},
          calls=2, reuse_scope='shared'),
    _case('sep_default_scope_twice', SEP, {'num_outputs': None,
                                           'kernel_size': 3}, calls=2),
    _case('sep_pointwise_batch_norm_tensor', SEP, {
        'num_outputs': 4, 'kernel_size': 3, 'normalizer_fn': '$batch_norm',
        'normalizer_params': {'is_training': '$is_training', 'fused': False,
                              'scale': True}}),
    _case('sep_depthwise_multiplier_nchw', SEP, {
        'num_outputs': None, 'kernel_size': 3, 'depth_multiplier': 2,
        'data_format': 'NCHW'}, shape=[2, 3, 5, 5], run=False),
    _case('sep_collections', SEP, {
        'num_outputs': 4, 'kernel_size': 3,
        'variables_collections': {'weights': ['w'], 'biases': ['b']},
        'outputs_collections': 'end_points', 'trainable': False}),
    # batch_norm: the fused path, the Keras-layer path, the legacy path.
    _case('bn_fused', BN, {'fused': True, 'scale': True}),
    _case('bn_fused_epsilon', BN, {'fused': True, 'epsilon': 1e-5}),
    _case('bn_fused_tensor_is_training', BN, {
        'fused': True, 'is_training': '$is_training'}, feed_is_training=True),
    _case('bn_fused_inference', BN, {'fused': True, 'is_training': False}),
    _case('bn_fused_no_update_collection', BN, {
        'fused': True, 'updates_collections': None}),
    _case('bn_layer', BN, {'fused': False, 'scale': True}),
    _case('bn_layer_epsilon', BN, {'fused': False, 'epsilon': 1e-5}),
    _case('bn_layer_tensor_is_training', BN, {
        'fused': False, 'is_training': '$is_training'}),
    _case('bn_renorm', BN, {'renorm': True, 'renorm_clipping': '$clipping'}),
    _case('bn_renorm_tensor_is_training', BN, {
        'renorm': True, 'is_training': '$is_training'}),
    _case('bn_legacy_batch_weights', BN, {'batch_weights': '$batch_weights'}),
    _case('bn_legacy_zero_debias', BN, {'zero_debias_moving_mean': True,
                                        'fused': False}),
    _case('bn_legacy_zero_debias_reused', BN, {
        'zero_debias_moving_mean': True, 'fused': False,
        'is_training': '$is_training'}, calls=2, reuse_scope='bn'),
    _case('bn_legacy_updates_none', BN, {'fused': False,
                                         'updates_collections': None}),
    _case('bn_param_initializers_regularizers', BN, {
        'scale': True, 'param_initializers': {'gamma': '$constant:0.5',
                                              'beta': '$constant:0.1'},
        'param_regularizers': {'gamma': '$l2', 'beta': '$l1'}}),
    _case('bn_nchw_fused', BN, {'fused': True, 'data_format': 'NCHW'},
          shape=[2, 3, 5, 5], run=False),
    _case('bn_rank2', BN, {'scale': True}, shape=[4, 3]),
    _case('bn_slim_fused_rank2_regularized', BN, {
        'scale': True, 'param_regularizers': {'gamma': '$l2', 'beta': '$l1'}},
          shape=[4, 3]),
    _case('bn_slim_fused_zero_debias_reused', BN, {
        'zero_debias_moving_mean': True, 'is_training': '$is_training'},
          calls=2, reuse_scope='bn'),
    _case('bn_slim_fused_updates_none_no_center', BN, {
        'updates_collections': None, 'center': False, 'scale': True}),
    _case('bn_layer_reused_arg_scope', BN, {'scale': True}, calls=2,
          reuse_scope='bn', arg_scope={'decay': 0.9, 'epsilon': 1e-4}),
    _case('bn_default_scope_twice', BN, {'fused': False}, calls=2),
    _case('bn_legacy_nchw', BN, {'updates_collections': None,
                                 'data_format': 'NCHW', 'fused': False},
          shape=[2, 3, 5, 5]),
    _case('bn_legacy_tensor_is_training', BN, {
        'batch_weights': '$batch_weights', 'is_training': '$is_training'}),
    _case('bn_renorm_decay_rank2', BN, {'renorm': True, 'renorm_decay': 0.9,
                                        'scale': True}, shape=[4, 3]),
    _case('bn_adjustment_tensor_is_training', BN, {
        'adjustment': '$adjustment', 'is_training': '$is_training'}),
    _case('bn_collections_activation', BN, {
        'activation_fn': '$relu', 'variables_collections': ['extra'],
        'outputs_collections': 'end_points', 'center': False}),
]


# --- the generator ------------------------------------------------------------


def golden_path(name):
  return os.path.join(GOLDEN_DIR, GOLDEN_PREFIX + name + '.json')


def checkpoint_path(name, directory=CHECKPOINT_DIR):
  return os.path.join(directory, name, 'model.ckpt')


def _main(argv=None):
  import golden_io
  parser = golden_io.arguments(__doc__, describe=True)
  parser.add_argument('--checkpoints', metavar='DIR',
                      help='with --describe: save each case\'s variables '
                      'to DIR/<case>/model.ckpt')
  args = parser.parse_args(argv)
  tf.disable_resource_variables()
  lib = tf1_library()
  if args.describe:
    cases = json.load(sys.stdin)
    json.dump([describe_or_error(
        case, lib, args.checkpoints and checkpoint_path(case['name'],
                                                         args.checkpoints),
        save=True) for case in cases], sys.stdout)
    return 0

  def golden(case):
    checkpoint = None
    if case.get('run', True):
      checkpoint = golden_io.path(args.out, os.path.relpath(
          checkpoint_path(case['name']), REPO))
    return describe(case, lib, checkpoint, save=True)

  write_goldens(CASES, golden, golden_path, args.out)
  return 0


def write_goldens(cases, describe_case, path_of, out):
  """Writes each case's golden below `out`.

  A golden is {'case', 'tensorflow', 'description'} as indented JSON at
  path_of(case name) in the repository, put below `out`.
  """
  import golden_io
  for case in cases:
    golden_io.write_json(out, os.path.relpath(path_of(case['name']), REPO), {
        'case': case, 'tensorflow': tf.__version__,
        'description': describe_case(case)})


if __name__ == '__main__':
  sys.exit(_main())
