"""`slim`: tf_slim's namespace with this package's layers in place.

`from contrib_compat import slim` is what `slim = tf.contrib.slim` becomes:
`slim.separable_conv2d`, `slim.separable_convolution2d` and `slim.batch_norm`
are this package's; every other name is tf_slim's, looked up on use, so this
module imports nothing heavy and works as far as tf_slim does.
"""
import importlib

from contrib_compat import argscope
from contrib_compat.argscope import add_arg_scope
from contrib_compat.argscope import arg_scope
from contrib_compat.argscope import current_arg_scope
from contrib_compat.argscope import has_arg_scope
from contrib_compat.separable import separable_conv2d
from contrib_compat.separable import separable_convolution2d
from contrib_compat.variables import model_variable
from contrib_compat.variables import variable


def __getattr__(name):
  if name == 'batch_norm':
    return importlib.import_module('contrib_compat.normalization').batch_norm
  return argscope.tf_slim_attr('', name, 'contrib_compat.slim')
