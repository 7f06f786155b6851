"""contrib_compat: tf.contrib's separable_conv2d and batch_norm on TF 2.

    import contrib_compat as cc
    with cc.arg_scope([cc.separable_conv2d], padding='VALID'):
      net = cc.separable_conv2d(images, 64, [3, 3])

The layers are imported eagerly; the tools (installer, bridges, Keras export)
load on first use so that `import contrib_compat` stays cheap.
"""
import importlib

from contrib_compat import layers
from contrib_compat import training
from contrib_compat.argscope import add_arg_scope
from contrib_compat.argscope import arg_scope
from contrib_compat.separable import separable_conv2d
from contrib_compat.separable import separable_convolution2d

__version__ = '0.1.0'

# Public name -> module that defines it, imported on first access.
_LAZY = {
    'batch_norm': 'contrib_compat.normalization',
    'install': 'contrib_compat.contrib',
    'uninstall': 'contrib_compat.contrib',
    'repair_tf_slim': 'contrib_compat.slim_repair',
    'Tf1Module': 'contrib_compat.tf2',
    'to_keras': 'contrib_compat.keras_export',
}
# Submodules that migrated code names as `contrib_compat.<module>.<name>`
# after a plain `import contrib_compat`: tf.contrib.summary's adapters, the
# audio ops of tf.contrib.framework.
_LAZY_MODULES = ('audio_ops', 'summary')


def __getattr__(name):
  if name in _LAZY_MODULES:
    value = importlib.import_module('contrib_compat.' + name)
  elif name in _LAZY:
    value = getattr(importlib.import_module(_LAZY[name]), name)
  else:
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
  globals()[name] = value
  return value


def __dir__():
  return sorted(list(globals()) + list(_LAZY) + list(_LAZY_MODULES))
