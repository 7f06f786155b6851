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
    # What contrib_compat.image does not rebuild: the stereogram renderer.
    'image': 'numpy (single_image_random_dot_stereograms was a contrib-only '
             'renderer with no TF 2 counterpart), or tf.image',
    # The Estimator API itself left TensorFlow in 2.16.
    'learn': 'Keras (tf.keras); Estimators are gone since TF 2.16',
    'estimator': 'Keras (tf.keras); Estimators are gone since TF 2.16',
    # What moved.py does not map: TPUEstimator, TPUConfig, RunConfig, ...
    'tpu': 'tf.distribute.TPUStrategy (TPUEstimator left with the '
           'Estimator API in TF 2.16)',
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
    # The rest of TF 1.15's tf.contrib (docs/contrib_census.md lists every
    # name): what each module's users moved to.
    'autograph': 'tf.autograph',
    'bayesflow': 'tensorflow_probability',
    'cloud': 'tensorflow_io.bigquery (BigQuery); tf.io.gfile reads gs://',
    'cluster_resolver': 'tf.distribute.cluster_resolver',
    'constrained_optimization': 'tensorflow_constrained_optimization '
                                '(pip install '
                                'tensorflow-constrained-optimization)',
    'copy_graph': 'tf.compat.v1.train.export_meta_graph / '
                  'import_meta_graph',
    'deprecated': 'tf.compat.v1.summary (scalar, histogram, image, audio, '
                  'merge_all)',
    'distribute': 'tf.distribute',
    'factorization': 'scikit-learn (k-means, GMM) or TensorFlow Recommenders '
                     '(WALS left with the Estimator API in TF 2.16)',
    'feature_column': 'tf.feature_column',
    'ffmpeg': 'tensorflow_io (audio and video decoding) or tf.audio',
    'graph_editor': 'tf.compat.v1.import_graph_def with input_map / '
                    'return_elements for graph surgery',
    'grid_rnn': 'tf.compat.v1.nn.rnn_cell cells wired into a grid by hand',
    'input_pipeline': 'tf.data',
    'integrate': 'tensorflow_probability.math.ode',
    'keras': 'tf.keras',
    'kernel_methods': 'tf_keras.layers.experimental.RandomFourierFeatures',
    'labeled_tensor': 'plain tf.Tensor with the axis names kept by the code',
    'legacy_seq2seq': 'tensorflow_addons.seq2seq',
    'linear_optimizer': 'tf.keras linear models (the SDCA Estimators left '
                        'with the Estimator API in TF 2.16)',
    'model_pruning': 'tensorflow_model_optimization.sparsity',
    'optimizer_v2': 'tf.keras.optimizers',
    'periodic_resample': 'tf.reshape / tf.nn.depth_to_space',
    'proto': 'tf.io.decode_proto / tf.io.encode_proto',
    'quantization': 'tf.quantization',
    'receptive_field': 'the receptive_field package of TF 1.15 '
                       '(tensorflow/contrib/receptive_field, Apache 2.0), '
                       'copied into the project',
    'recurrent': 'tf.keras.layers.RNN',
    'reduce_slice_ops': 'tf.math.segment_sum and the other tf.math segment '
                        'reductions',
    'remote_fused_graph': 'TensorFlow Lite delegates',
    'rpc': 'grpcio called from tf.py_function',
    'solvers': 'tf.linalg (lstsq, solve) and '
               'tensorflow_probability.optimizer',
    'sparsemax': 'tensorflow_addons.activations.sparsemax',
    'specs': 'tf.keras layers',
    'staging': 'tf.data prefetch_to_device, or tf.raw_ops.Stage / Unstage',
    'stat_summarizer': 'tf.compat.v1.profiler',
    'stateless': 'tf.random.stateless_uniform, '
                 'tf.random.stateless_normal and the rest of tf.random\'s '
                 'stateless functions',
    'tensor_forest': 'tensorflow_decision_forests',
    'tensorboard': 'tensorboard (pip install tensorboard) and tf.summary',
    'testing': 'tf.test',
    'timeseries': 'tensorflow_probability.sts',
}


# For the names the provided modules lack (tf.contrib.framework's
# smart_cond, layers' feature-column helpers, ...): where to look instead.
PROVIDED_MODULE_FALLBACKS = {
    'framework': 'tf.compat.v1 (tf.cond for smart_cond, '
                 'tf.compat.v1.train.warm_start for the load_*_initializer '
                 'functions)',
    'layers': 'tf.compat.v1.layers or tf.feature_column',
    'slim': 'tf.compat.v1 or tf.keras',
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
  provided = moved.IMPLEMENTATION_PATHS.get(contrib_name)
  if provided in moved.PROVIDED_MODULES:
    return provided
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
    # A module of moved names (framework.nest, tpu, ...): where they went;
    # for a module rebuilt only in part, also what replaces the rest.
    homes = moved.names_in(contrib_name)
    went = ', '.join(sorted({target.rpartition('.')[0]
                             for target in homes.values()}))
    if contrib_name in moved.PARTIAL_MODULES:
      return '%s for %s, and for the rest %s' % (
          went, ', '.join(sorted(homes)), REPLACEMENTS[contrib_name])
    return went
  head, _, rest = contrib_name.partition('.')
  leaf = rest.split('.')[0]
  if head in ('layers', 'slim') and leaf in LAYERS_MOVED:
    return LAYERS_MOVED[leaf]
  return REPLACEMENTS.get(head)
