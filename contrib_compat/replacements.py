"""Where each tf.contrib module went, for errors and the migration tool.

Keys are dotted names below `tf.contrib`; values say what to use instead.
Names that TF 2 has under another name are in `moved.py`, which comes
first; these entries cover what is left of each module. `layers`, `slim`
and `framework` are provided by this package, and `training` only in part
(its HParams and tf_slim's training loops), so its entry covers the rest.
"""
from contrib_compat import moved

REPLACEMENTS = {
    'rnn': 'tf.compat.v1.nn.rnn_cell (cells) and tf.compat.v1.nn.dynamic_rnn',
    'cudnn_rnn': 'tf.keras.layers.LSTM / GRU (cuDNN kernels on a GPU)',
    'seq2seq': 'tensorflow_addons.seq2seq',
    'losses': 'tf.compat.v1.losses',
    'metrics': 'tf.compat.v1.metrics',
    'opt': 'tf.compat.v1.train optimizers, or tensorflow_addons.optimizers',
    'training': 'tf.data (input pipelines, bucketing, resampling) or '
                'tf.compat.v1.train',
    'data': 'tf.data',
    'distributions': 'tensorflow_probability.distributions',
    # What contrib_compat.image does not rebuild (connected_components,
    # dense_image_warp, sparse_image_warp, interpolate_spline, ...).
    'image': 'tensorflow_addons.image (connected_components, '
             'dense_image_warp, sparse_image_warp, interpolate_spline), or '
             'tf.image',
    # The Estimator API itself left TensorFlow in 2.16.
    'learn': 'Keras (tf.keras); Estimators are gone since TF 2.16',
    'estimator': 'Keras (tf.keras); Estimators are gone since TF 2.16',
    # What moved.py does not map: TPUEstimator, TPUConfig, RunConfig, ...
    'tpu': 'tf.distribute.TPUStrategy (TPUEstimator left with the '
           'Estimator API in TF 2.16)',
    'quantize': 'tensorflow_model_optimization.quantization',
    'summary': 'tf.summary (TF 2) or tf.compat.v1.summary',
    'lookup': 'tf.lookup',
    'predictor': 'tf.saved_model.load',
    'checkpoint': 'tf.train.Checkpoint',
    # load_keras_model / save_keras_model: tf.compat.v1.keras.experimental
    # had them until Keras 3.
    'saved_model': 'tf.saved_model.save / tf.saved_model.load (Keras '
                   'models: model.save / tf.keras.models.load_model)',
    'eager': 'tf (eager execution is the default in TF 2)',
    'crf': 'tensorflow_addons.text.crf',
    'nccl': 'tf.distribute.NcclAllReduce',
    'resampler': 'tensorflow_addons.image.resampler',
    'memory_stats': 'tf.config.experimental.get_memory_info',
    'mixed_precision': 'tf.compat.v1.mixed_precision (loss scaling in '
                       'graph mode) or tf.keras.mixed_precision',
    'compiler': 'tf.xla.experimental.jit_scope, or tf.function('
                'jit_compile=True)',
    'tfprof': 'tf.compat.v1.profiler',
    'nn': 'tf.nn',
    'util': 'tf.get_static_value, tf.make_tensor_proto, tf.make_ndarray',
}


# contrib.layers names that moved elsewhere (feature columns, embeddings).
LAYERS_MOVED = {
    'real_valued_column': 'tf.feature_column.numeric_column',
    'sparse_column_with_keys':
        'tf.feature_column.categorical_column_with_vocabulary_list',
    'sparse_column_with_hash_bucket':
        'tf.feature_column.categorical_column_with_hash_bucket',
    'embedding_column': 'tf.feature_column.embedding_column',
    'bucketized_column': 'tf.feature_column.bucketized_column',
    'crossed_column': 'tf.feature_column.crossed_column',
    'input_from_feature_columns': 'tf.compat.v1.feature_column.input_layer',
    'embedding_lookup_unique': 'tf.nn.embedding_lookup',
    'layer_norm': 'tf.keras.layers.LayerNormalization (different variable '
                  'names), or tf_slim.layer_norm',
}

# tf.contrib's implementation packages, which much TF1 code imported
# directly (`from tensorflow.contrib.layers.python.layers import layers as
# layers_lib`, `from tensorflow.contrib.slim.python.slim.nets import
# resnet_v1`), and the contrib module this package provides for each.
IMPLEMENTATION_PACKAGES = {
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
}
# Below these, tf_slim kept contrib's modules under the same names
# (layers/initializers.py, ops/arg_scope.py, nets/resnet_v1.py, learning.py).
_IMPLEMENTATION_TO_TF_SLIM = (('layers.python.layers.', 'tf_slim.layers.'),
                              ('framework.python.ops.', 'tf_slim.ops.'),
                              ('training.python.training.',
                               'tf_slim.training.'),
                              ('slim.python.slim.', 'tf_slim.'),
                              ('slim.', 'tf_slim.'))


def implementation_module(contrib_name):
  """What stands for the TF1 module `tensorflow.contrib.<contrib_name>`.

  Args:
    contrib_name: a dotted module path below tensorflow.contrib, e.g.
      'layers.python.layers.initializers'.

  Returns:
    'layers', 'framework', 'slim' or 'training' (the contrib module this
    package provides), 'tf_slim.<path>' (tf_slim's module of that name,
    which may not exist), or None.
  """
  if contrib_name in IMPLEMENTATION_PACKAGES:
    return IMPLEMENTATION_PACKAGES[contrib_name]
  for prefix, tf_slim_prefix in _IMPLEMENTATION_TO_TF_SLIM:
    if contrib_name.startswith(prefix):
      return tf_slim_prefix + contrib_name[len(prefix):]
  return None


def replacement_for(contrib_name):
  """What replaces `tf.contrib.<contrib_name>`, or None if nothing known.

  Args:
    contrib_name: a dotted name below tf.contrib, e.g. 'rnn.LSTMCell' or
      'framework.nest'.
  """
  home = moved.home(contrib_name)
  if home:
    return home
  if contrib_name in moved.modules():
    # A module of moved names (framework.nest, tpu, ...): where they went.
    return ', '.join(sorted({target.rpartition('.')[0] for target in
                             moved.names_in(contrib_name).values()}))
  head, _, rest = contrib_name.partition('.')
  leaf = rest.split('.')[0]
  if head in ('layers', 'slim') and leaf in LAYERS_MOVED:
    return LAYERS_MOVED[leaf]
  return REPLACEMENTS.get(head)
