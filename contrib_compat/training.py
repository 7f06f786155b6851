"""`tf.contrib.training` as this package offers it.

`HParams` and `parse_values` are this package's (`contrib_compat.hparams`).
The training and evaluation loops contrib exported here (`create_train_op`,
`train`, `evaluate_once`, `checkpoints_iterator`, ...) are tf_slim's, which
kept contrib's modules as `tf_slim.training.training` / `.evaluation`; they
are looked up on use. contrib.training's input-pipeline helpers (bucketing,
resampling, queue runners) are in neither: tf.data replaces them.
"""
import importlib

from contrib_compat import argscope
from contrib_compat.hparams import HParams
from contrib_compat.hparams import parse_values

_TF_SLIM_MODULES = ('training.training', 'training.evaluation')


def __getattr__(name):
  if argscope.tf_slim is not None and not name.startswith('__'):
    for namespace in _TF_SLIM_MODULES:
      module = importlib.import_module('tf_slim.' + namespace)
      if name in module.__all__:
        return getattr(module, name)
  raise AttributeError(
      'contrib_compat.training has no attribute %r: it offers HParams, '
      'parse_values and tf_slim\'s training/evaluation loops (%s)' % (
          name, 'tf_slim has no such name' if argscope.tf_slim is not None
          else 'tf_slim failed to import: %s' % argscope.TF_SLIM_IMPORT_ERROR))
