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
  return argscope.tf_slim_attr('layers', name, 'contrib_compat.layers')
