"""contrib_compat: tf.contrib's separable_conv2d and batch_norm on TF 2.

    import contrib_compat as cc
    with cc.arg_scope([cc.separable_conv2d], padding='VALID'):
      net = cc.separable_conv2d(images, 64, [3, 3])

Every name loads on first use, TensorFlow included, so that
`import contrib_compat` is cheap and the command-line tools answer `--help`
and `--version` without loading TensorFlow.
"""
import importlib

__version__ = '0.1.0'

# Public name -> module that defines it, imported on first access.
_LAZY = {
    'add_arg_scope': 'contrib_compat.argscope',
    'arg_scope': 'contrib_compat.argscope',
    'separable_conv2d': 'contrib_compat.separable',
    'separable_convolution2d': 'contrib_compat.separable',
    'batch_norm': 'contrib_compat.normalization',
    'install': 'contrib_compat.contrib',
    'uninstall': 'contrib_compat.contrib',
    'repair_tf_slim': 'contrib_compat.slim_repair',
    'Tf1Module': 'contrib_compat.tf2',
    'to_keras': 'contrib_compat.keras_export',
}
# Submodules reachable as attributes after a plain `import contrib_compat`
# (migrated code names `contrib_compat.summary.scalar`, ...).
_LAZY_MODULES = ('audio_ops', 'framework_ops', 'image', 'layers', 'opt',
                 'quantize',
                 'summary', 'training')


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
