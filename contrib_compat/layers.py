"""`tf.contrib.layers` as this package offers it.

`separable_conv2d` / `separable_convolution2d` and `batch_norm` are this
package's; every other name falls through to `tf_slim.layers`, looked up on
use.
"""
import importlib

from contrib_compat import argscope
from contrib_compat.separable import separable_conv2d
from contrib_compat.separable import separable_convolution2d


def __getattr__(name):
  if name == 'batch_norm':
    return importlib.import_module('contrib_compat.normalization').batch_norm
  if argscope.tf_slim is not None and not name.startswith('__'):
    try:
      return getattr(argscope.tf_slim.layers, name)
    except AttributeError:
      pass
  raise AttributeError(
      'contrib_compat.layers has no attribute %r (tf_slim %s)' %
      (name, 'does not provide it' if argscope.tf_slim is not None else
       'failed to import: %s' % argscope.TF_SLIM_IMPORT_ERROR))
