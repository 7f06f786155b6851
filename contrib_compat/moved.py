"""tf.contrib names that live on in TensorFlow 2 under another name.

One table, read by `install()` and the runner (attribute access and
imports), by the migration tool (which rewrites uses to the TF 2 name) and by
the error messages. Keys are dotted names below `tf.contrib`; a value is
where the name lives now: `tf.<path>` in TensorFlow's public API, or
`contrib_compat.<path>` where TF 2's function takes other arguments than
contrib's did and a small adapter keeps the TF1 call working (`summary`) or
where TF 2 has the ops but not the module (`audio_ops`).

`tests/test_moved.py` reads `tf_upgrade_v2`'s own rename table from the
installed TensorFlow and checks that every `tf.contrib` name whose TF 2
target exists is here and resolves to it.

`layers.recompute_grad` and `training.checkpoints_iterator` are not here
either: contrib's own implementation of each lives on in tf_slim, which
`tf.contrib.layers` / `.training` already serve. Names of contrib modules
that were more than a re-export (`contrib.rnn`'s
own cells, TPUEstimator, ...) are not here: they keep
the error of `replacements.py`.
"""
import importlib

_TPU = ('CrossShardOptimizer', 'batch_parallel', 'bfloat16_scope', 'core',
        'cross_replica_sum', 'initialize_system', 'outside_compilation',
        'replicate', 'rewrite', 'shard', 'shutdown_system')
_DATA = ('AUTOTUNE', 'Counter', 'CsvDataset', 'Optional', 'RandomDataset',
         'Reducer', 'SqlDataset', 'TFRecordWriter',
         'bucket_by_sequence_length', 'choose_from_datasets', 'copy_to_device',
         'dense_to_sparse_batch', 'enumerate_dataset', 'get_next_as_optional',
         'get_single_element', 'group_by_reducer', 'group_by_window',
         'ignore_errors', 'make_batched_features_dataset', 'make_csv_dataset',
         'make_saveable_from_iterator', 'map_and_batch', 'parallel_interleave',
         'parse_example_dataset', 'prefetch_to_device', 'rejection_resample',
         'sample_from_datasets', 'scan', 'shuffle_and_repeat', 'unbatch',
         'unique')
_CLUSTER_RESOLVERS = ('ClusterResolver', 'KubernetesClusterResolver',
                      'SimpleClusterResolver', 'SlurmClusterResolver',
                      'TFConfigClusterResolver', 'TPUClusterResolver')
# contrib.rnn re-exported core's cells; TF 2.16+ keeps them in tf_keras,
# which tf.compat.v1.nn.rnn_cell loads on use.
_RNN_CELLS = ('BasicLSTMCell', 'BasicRNNCell', 'GRUCell', 'LSTMCell',
              'MultiRNNCell', 'RNNCell', 'DeviceWrapper', 'DropoutWrapper',
              'ResidualWrapper')
_NEST = ('assert_same_structure', 'flatten', 'is_nested', 'map_structure',
         'pack_sequence_as')
# TF1's init_ops module, which leaked through tf.contrib.slim.
_INITIALIZERS = ('constant', 'glorot_normal', 'glorot_uniform', 'ones',
                 'orthogonal', 'random_normal', 'random_uniform',
                 'truncated_normal', 'uniform_unit_scaling',
                 'variance_scaling', 'zeros')
_INITIALIZER_CLASSES = {'Constant': 'constant', 'GlorotNormal':
                        'glorot_normal', 'GlorotUniform': 'glorot_uniform',
                        'Ones': 'ones', 'Orthogonal': 'orthogonal',
                        'RandomNormal': 'random_normal',
                        'RandomUniform': 'random_uniform',
                        'TruncatedNormal': 'truncated_normal',
                        'UniformUnitScaling': 'uniform_unit_scaling',
                        'VarianceScaling': 'variance_scaling',
                        'Zeros': 'zeros'}
_AUDIO_OPS = 'framework.python.ops.audio_ops'

NAMES = {
    'batching.batch_function': 'tf.nondifferentiable_batch_function',
    'cluster_resolver.GceClusterResolver':
        'tf.distribute.cluster_resolver.GCEClusterResolver',
    'distribute.CrossDeviceOps': 'tf.distribute.CrossDeviceOps',
    'distribute.ReductionToOneDeviceCrossDeviceOps':
        'tf.distribute.ReductionToOneDevice',
    'eager.in_eager_mode': 'tf.executing_eagerly',
    'framework.CriticalSection': 'tf.CriticalSection',
    'framework.argsort': 'tf.argsort',
    'framework.is_tensor': 'tf.is_tensor',
    'framework.load_variable': 'tf.train.load_variable',
    'framework.list_variables': 'tf.train.list_variables',
    'framework.load_checkpoint': 'tf.train.load_checkpoint',
    'framework.init_from_checkpoint':
        'tf.compat.v1.train.init_from_checkpoint',
    'framework.convert_to_tensor_or_sparse_tensor':
        'tf.compat.v1.convert_to_tensor_or_sparse_tensor',
    'framework.sort': 'tf.sort',
    'rnn.LSTMStateTuple': 'tf.nn.rnn_cell.LSTMStateTuple',
    'rnn.static_bidirectional_rnn': 'tf.compat.v1.nn.static_bidirectional_rnn',
    'rnn.static_rnn': 'tf.compat.v1.nn.static_rnn',
    'rnn.static_state_saving_rnn': 'tf.compat.v1.nn.static_state_saving_rnn',
    'summary.all_summary_ops': 'tf.compat.v1.summary.all_v2_summary_ops',
    'summary.create_file_writer': 'tf.compat.v2.summary.create_file_writer',
    'summary.flush': 'tf.compat.v2.summary.flush',
    'summary.initialize': 'tf.compat.v1.summary.initialize',
    'util.constant_value': 'tf.get_static_value',
    'util.make_ndarray': 'tf.make_ndarray',
    'util.make_tensor_proto': 'tf.make_tensor_proto',
    _AUDIO_OPS + '.decode_wav': 'tf.audio.decode_wav',
    _AUDIO_OPS + '.encode_wav': 'tf.audio.encode_wav',
}
NAMES.update(('tpu.' + n, 'tf.compat.v1.tpu.' + n) for n in _TPU)
# TF1's contrib.data made TF1 datasets (with make_one_shot_iterator and
# friends): tf.compat.v1's flavour, not TF 2's that tf_upgrade_v2 names.
NAMES.update(('data.' + n, 'tf.compat.v1.data.experimental.' + n)
             for n in _DATA)
NAMES.update(('cluster_resolver.' + n, 'tf.distribute.cluster_resolver.' + n)
             for n in _CLUSTER_RESOLVERS)
NAMES.update(('rnn.' + n, 'tf.compat.v1.nn.rnn_cell.' + n)
             for n in _RNN_CELLS)
NAMES.update(('framework.nest.' + n, 'tf.nest.' + n) for n in _NEST)
NAMES.update(('slim.init_ops.%s_initializer' % n,
              'tf.compat.v1.%s_initializer' % n) for n in _INITIALIZERS)
NAMES.update(('slim.init_ops.' + cls, 'tf.compat.v1.%s_initializer' % n)
             for cls, n in _INITIALIZER_CLASSES.items())
# The Estimator API's: TF 2 kept them until the API left TensorFlow in 2.16.
NAMES.update(('estimator.' + n, 'tf.estimator.experimental.' + n)
             for n in ('make_early_stopping_hook', 'stop_if_higher_hook',
                       'stop_if_lower_hook', 'stop_if_no_decrease_hook',
                       'stop_if_no_increase_hook'))
NAMES.update(('tpu.' + n, 'tf.compat.v1.estimator.tpu.' + n)
             for n in ('InputPipelineConfig', 'RunConfig', 'TPUConfig',
                       'TPUEstimator', 'TPUEstimatorSpec'))
NAMES['data.CheckpointInputPipelineHook'] = (
    'tf.data.experimental.CheckpointInputPipelineHook')
# Adapters: TF 2's summary functions take `step` where contrib took `family`,
# and default the step to another source; TF 2 has the audio ops only in
# tf.raw_ops, which takes keywords only.
NAMES.update(('summary.' + n, 'contrib_compat.summary.' + n)
             for n in ('always_record_summaries', 'audio', 'generic',
                       'histogram', 'image', 'never_record_summaries',
                       'scalar'))
NAMES.update((_AUDIO_OPS + '.' + n, 'contrib_compat.audio_ops.' + n)
             for n in ('audio_spectrogram', 'mfcc'))
# contrib.signal re-exported core's tf.signal since TF 1.13.
NAMES.update(('signal.' + n, 'tf.signal.' + n)
             for n in ('frame', 'hamming_window', 'hann_window', 'inverse_stft',
                       'inverse_stft_window_fn', 'linear_to_mel_weight_matrix',
                       'mfccs_from_log_mel_spectrograms', 'overlap_and_add',
                       'stft'))
NAMES.update(('framework.' + n, 'tf.compat.v1.' + n)
             for n in ('assert_scalar', 'assert_same_float_dtype', 'py_func'))
NAMES['framework.TensorSpec'] = 'tf.TensorSpec'
# tf.contrib.image's projective transforms and bipartite_match, rebuilt.
NAMES.update(('image.' + n, 'contrib_compat.image.' + n)
             for n in ('angles_to_projective_transforms', 'bipartite_match',
                       'compose_transforms', 'connected_components',
                       'dense_image_warp', 'interpolate_spline',
                       'sparse_image_warp',
                       'flat_transforms_to_matrices',
                       'matrices_to_flat_transforms', 'rotate', 'transform',
                       'translate', 'translations_to_projective_transforms'))
# tf.contrib.quantize's graph rewrite, rebuilt; also by the module paths
# TF1 code imported (the Object Detection API's exporter uses graph_matcher).
_QUANTIZE = ('create_eval_graph', 'create_training_graph',
             'experimental_create_eval_graph',
             'experimental_create_training_graph')
NAMES.update(('quantize.' + n, 'contrib_compat.quantize.' + n)
             for n in _QUANTIZE)
NAMES.update(('quantize.python.quantize_graph.' + n,
              'contrib_compat.quantize.' + n) for n in _QUANTIZE)
NAMES.update(('quantize.python.graph_matcher.' + n,
              'contrib_compat.quantize.graph_matcher.' + n)
             for n in ('GraphMatcher', 'MatchResult', 'OneofPattern',
                       'OpTypePattern', 'Pattern'))
# The Object Detection API's default optimizer wrapper, rebuilt; also by
# the module path TF1 code imported it from.
NAMES['opt.MovingAverageOptimizer'] = (
    'contrib_compat.opt.MovingAverageOptimizer')
NAMES['opt.python.training.moving_average_optimizer.MovingAverageOptimizer'] = (
    'contrib_compat.opt.MovingAverageOptimizer')
# Contrib modules of which only some names are rebuilt here (27 of
# tf.contrib.opt's 28 names are refused): a use of the whole module is
# not rewritten to this package's, whose other names would fail later;
# migrate leaves it to a human with the module's replacement.
PARTIAL_MODULES = frozenset(['opt'])
# Graph helpers TF 2 has no name for, rebuilt with TF1's node names.
NAMES.update(('framework.' + n, 'contrib_compat.framework_ops.' + n)
             for n in ('get_graph_from_inputs', 'get_name_scope',
                       'get_placeholders', 'reduce_sum_n'))

# Why a home may be missing from the installed TensorFlow, by a part of it.
MISSING_HOME_HINTS = {
    '.rnn_cell.': 'TF 2.16+ keeps the rnn cells in the tf_keras package: '
                  'pip install tf_keras',
    '.estimator.': 'the Estimator API left TensorFlow in 2.16; use Keras, '
                   'or tf.distribute.TPUStrategy for TPUs',
    'CheckpointInputPipelineHook': 'it was an Estimator hook, and the '
                                   'Estimator API left TensorFlow in 2.16',
}


def missing_home_hint(home):
  """Why `home` may be absent from the installed TensorFlow, or ''."""
  return next((hint for part, hint in MISSING_HOME_HINTS.items()
               if part in home), '')


# tf.contrib's implementation paths that real code imported, and the contrib
# module each stands for: one table for install(), the runner and migrate.
# Those of the modules this package provides (layers, framework, training,
# slim: `from tensorflow.contrib.layers.python.layers import layers as
# layers_lib`, `...slim.python.slim.nets import resnet_v1`) are read by
# replacements.implementation_module; the others, whose names are all in
# NAMES, by module_for_path (`import tensorflow.contrib.tpu`, `from
# tensorflow.contrib import tpu` and these paths give the same module).
PROVIDED_MODULES = frozenset(['layers', 'framework', 'training', 'slim'])
IMPLEMENTATION_PATHS = {
    'layers.python': 'layers',
    'layers.python.layers': 'layers',
    'layers.python.layers.layers': 'layers',
    'framework.python': 'framework',
    'framework.python.ops': 'framework',
    'training.python': 'training',
    'training.python.training': 'training',
    'training.python.training.hparam': 'training',
    'slim.python': 'slim',
    'slim.python.slim': 'slim',
    'tpu.python': 'tpu',
    'tpu.python.tpu': 'tpu',
    'tpu.python.tpu.tpu': 'tpu',
    'tpu.python.ops.tpu_ops': 'tpu',
    'cluster_resolver.python': 'cluster_resolver',
    'cluster_resolver.python.training': 'cluster_resolver',
    'data.python': 'data',
    'data.python.ops': 'data',
    'summary.summary': 'summary',
    # The Object Detection API's bipartite matcher imports this path.
    'image.python': 'image',
    'image.python.ops': 'image',
    'image.python.ops.image_ops': 'image',
    'util.util': 'util',
}


def modules():
  """The dotted contrib modules the table defines, parents first.

  `framework.nest` is a module and a name: TF1's `nest` was a module.
  """
  found = set()
  for name in NAMES:
    head = name.rpartition('.')[0]
    while head:
      found.add(head)
      head = head.rpartition('.')[0]
  # Implementation packages between a provided module and audio_ops are
  # answered by replacements.implementation_module, not created here.
  found -= {'framework.python', 'framework.python.ops'}
  return sorted(found, key=lambda m: (m.count('.'), m))


def names_in(contrib_module):
  """{name: home} of the table's names directly in `contrib_module`."""
  prefix = contrib_module + '.'
  return {name[len(prefix):]: home for name, home in NAMES.items()
          if name.startswith(prefix) and '.' not in name[len(prefix):]}


def module_for_path(contrib_path):
  """The table's module standing for `tensorflow.contrib.<contrib_path>`."""
  path = IMPLEMENTATION_PATHS.get(contrib_path, contrib_path)
  if path != contrib_path and path in PROVIDED_MODULES:
    return None  # replacements.implementation_module answers for those
  return path if path in modules() else None


def home(contrib_name):
  """Where `tf.contrib.<contrib_name>` lives now (a dotted name), or None."""
  return NAMES.get(contrib_name)


def resolve(dotted):
  """The object at `dotted` ('tf.x.y' or 'contrib_compat.x.y').

  Raises:
    AttributeError: when the installed TensorFlow lacks it (some names
      need an extra package, e.g. tf_keras for the rnn cells on TF 2.16+).
  """
  root, _, path = dotted.partition('.')
  if root == 'tf':
    obj = importlib.import_module('tensorflow')
  else:
    module, _, name = dotted.rpartition('.')
    return getattr(importlib.import_module(module), name)
  for part in path.split('.'):
    obj = getattr(obj, part)
  return obj


def markdown_table():
  """README's table of what `tf.contrib` gives on TF 2, by module."""
  by_module = {}
  for name, target in sorted(NAMES.items()):
    module, _, leaf = name.rpartition('.')
    target_module, _, target_leaf = target.rpartition('.')
    shown = '`%s`' % leaf if leaf == target_leaf else '`%s` (as `%s`)' % (
        leaf, target_leaf)
    by_module.setdefault(module, {}).setdefault(target_module, []).append(
        shown)
  lines = ['| `tf.contrib.` | now in |', '|---|---|']
  for module, targets in sorted(by_module.items()):
    lines.append('| `%s` | %s |' % (module, '; '.join(
        '`%s`: %s' % (target, ', '.join(names))
        for target, names in sorted(targets.items()))))
  return '\n'.join(lines) + '\n'


if __name__ == '__main__':
  # `python -m contrib_compat.moved`: the table, for an installed package
  # whose README is not at hand.
  print(markdown_table(), end='')
