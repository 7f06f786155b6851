"""Where each tf.contrib module went, for errors and the migration tool.

Keys are dotted names below `tf.contrib`; values say what to use instead.
Only modules with no drop-in here are listed: `layers`, `slim` and
`framework` are provided by this package.
"""

REPLACEMENTS = {
    'rnn': 'tf.compat.v1.nn.rnn_cell (cells) and tf.compat.v1.nn.dynamic_rnn',
    'cudnn_rnn': 'tf.compat.v1.keras.layers.CuDNNLSTM / CuDNNGRU',
    'seq2seq': 'tensorflow_addons.seq2seq',
    'losses': 'tf.compat.v1.losses',
    'metrics': 'tf.compat.v1.metrics',
    'opt': 'tf.compat.v1.train optimizers, or tensorflow_addons.optimizers',
    'training': 'tf.compat.v1.train',
    'data': 'tf.data',
    'distributions': 'tensorflow_probability.distributions',
    'image': 'tf.image, or tensorflow_addons.image',
    'learn': 'tf.estimator',
    'estimator': 'tf.estimator',
    'tpu': 'tf.compat.v1.tpu and tf.distribute.TPUStrategy',
    'quantize': 'tensorflow_model_optimization.quantization',
    'summary': 'tf.compat.v1.summary',
    'lookup': 'tf.lookup',
    'predictor': 'tf.saved_model.load',
    'checkpoint': 'tf.train.Checkpoint',
    'eager': 'tf (eager execution is the default in TF 2)',
    'crf': 'tensorflow_addons.text.crf',
    'nccl': 'tf.distribute.NcclAllReduce',
    'resampler': 'tensorflow_addons.image.resampler',
    'memory_stats': 'tf.config.experimental.get_memory_info',
    'util': 'tf.make_tensor_proto / tf.make_ndarray',
}


def replacement_for(contrib_name):
  """What replaces `tf.contrib.<contrib_name>`, or None if nothing known."""
  return REPLACEMENTS.get(contrib_name.split('.')[0])
