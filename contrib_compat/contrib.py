"""`install()` / `uninstall()`: a `tf.contrib` drop-in on TensorFlow 2.

TF1 code reaches contrib in three ways, and all three must work unchanged:

    slim = tf.contrib.slim                        # attribute access
    import tensorflow.contrib.slim as slim        # import statements
    from tensorflow.contrib.framework import arg_scope

`install()` sets a `contrib` attribute on `tensorflow` and
`tensorflow.compat.v1` (plain `setattr`: both accept new attributes, and TF's
lazy module wrapper forwards it to the wrapped module) and registers the
provided modules in `sys.modules`. A finder on `sys.meta_path` answers
`tensorflow.contrib.slim.<sub>` (e.g. `slim.nets`) with the matching tf_slim
module, contrib's implementation modules (`tensorflow.contrib.layers.python.
layers`, `...slim.python.slim.nets.resnet_v1`) with the module standing for
them, and every other `tensorflow.contrib.*` name with an ImportError naming
the replacement. `uninstall()` removes all of it.

What the modules offer:
  * `tf.contrib.slim`, `tf.contrib.layers`: this package's `separable_conv2d`
    (also as `separable_convolution2d`) and `batch_norm`; every other name
    tf_slim provides, looked up on use.
  * `tf.contrib.framework`: the arg_scope helpers, the variable helpers, and
    tf_slim's other framework functions (`get_variables`,
    `assign_from_checkpoint_fn`, ...).
  * `tf.contrib.training`: this package's `HParams` (NASNet's configs need
    it) and tf_slim's `create_train_op`, `train`, `evaluate_once`, ...
A name none of them provides raises `ContribNameError`, an AttributeError, so
`hasattr()` keeps working, whose message names the replacement where one is
known.
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types

from contrib_compat import argscope
from contrib_compat import moved
from contrib_compat import replacements

_ROOT = 'tensorflow.contrib'

class ContribNameError(AttributeError):
  """A `tf.contrib` name that neither TF 2 nor this package provides.

  An AttributeError so that `hasattr(tf.contrib, name)` and
  `getattr(..., default)` behave as for any missing attribute.
  """


class ContribImportError(ImportError):
  """`import tensorflow.contrib.<name>` for a module with no drop-in."""


def _removed_message(dotted):
  """Why `tf.contrib.<dotted>` is missing and what replaces it."""
  why = ''
  if argscope.tf_slim is None:
    why = (' (tf_slim, which provides most of tf.contrib.slim/layers/training, '
           'failed to import: %s)' % argscope.TF_SLIM_IMPORT_ERROR)
  home = moved.home(dotted)
  if home:
    hint = moved.missing_home_hint(home)
    hint = ' (%s)' % hint if hint else ''
    return ('tf.contrib.%s is %s in TensorFlow 2, which this TensorFlow (%s) '
            'lacks%s%s.' % (dotted, home, _tf_version(), hint, why))
  replacement = replacements.replacement_for(dotted)
  if replacement:
    return ('tf.contrib.%s was removed with tf.contrib in TensorFlow 2 and '
            'contrib_compat does not provide it%s; use %s instead.'
            % (dotted, why, replacement))
  fallback = replacements.PROVIDED_MODULE_FALLBACKS.get(
      dotted.partition('.')[0])
  if fallback:
    # A name the provided module lacks (docs/contrib_census.md lists them).
    return ('tf.contrib.%s does not exist: contrib_compat provides '
            'tf.contrib.slim, layers, framework and training%s, not this '
            'name; use %s instead.' % (dotted, why, fallback))
  return ('tf.contrib.%s does not exist: contrib_compat provides '
          'tf.contrib.slim, layers, framework and training%s, and '
          'knows no replacement for this name (`python -m '
          'contrib_compat.moved` lists the tf.contrib names TF 2 kept).'
          % (dotted, why))


def _tf_version():
  return getattr(sys.modules.get('tensorflow'), '__version__', '?')


def _tf_slim_module(name):
  """tf_slim's module `name` ('' for the package), or None."""
  if argscope.tf_slim is None:
    return None
  try:
    return importlib.import_module('tf_slim' + ('.' + name if name else ''))
  except ImportError:
    return None


def _is_import_of_a_library(value):
  """Whether `value` is a module a source merely imported (`tf`, `np`, ...).

  tf_slim's own submodules (`slim.learning`, `slim.nets`) are contrib names;
  other modules in a source's namespace are its imports, not its API.
  """
  return (isinstance(value, types.ModuleType) and
          not value.__name__.startswith('tf_slim.'))


class _ContribModule(types.ModuleType):
  """One `tensorflow.contrib[.x]` module: fixed names, then fall-throughs.

  Attributes are looked up on use, in order, in `sources`: pairs of a module
  name and the names taken from it (None: all public ones), so importing
  contrib stays cheap and tf_slim's names appear only if it imports.
  """

  def __init__(self, dotted, doc, sources=()):
    super().__init__(_ROOT + ('.' + dotted if dotted else ''), doc)
    self._dotted = dotted
    self._sources = tuple(sources)

  def _resolve(self, name):
    for source, names in self._sources:
      own = source.startswith('contrib_compat.')
      if names is not None and name not in names:
        continue
      module = (importlib.import_module(source) if own else
                _tf_slim_module(source.partition('.')[2]))
      try:
        value = getattr(module, name)
      except AttributeError:
        continue
      if not (_is_import_of_a_library(value) or
              (own and name.startswith('_'))):
        return value
    dotted = '%s.%s' % (self._dotted, name) if self._dotted else name
    home = moved.home(dotted)
    if home:
      try:
        return moved.resolve(home)
      except (AttributeError, ImportError):
        pass  # the message says what is missing
    raise ContribNameError(_removed_message(dotted))

  def __getattr__(self, name):
    if name.startswith('__'):
      # Probes such as __wrapped__ or __file__ are not contrib names.
      raise AttributeError(name)
    return self._resolve(name)

  def __dir__(self):
    names = set(super().__dir__())
    for source, only in self._sources:
      module = sys.modules.get(source)
      names.update(n for n in (only or dir(module)) if not n.startswith('_')
                   and hasattr(module, n) and
                   not _is_import_of_a_library(getattr(module, n, None)))
    return sorted(names)


def _make_modules():
  """name -> module for the contrib modules this package provides."""
  contrib = _ContribModule(
      '', 'tf.contrib as contrib_compat provides it: slim, layers, framework, '
      'training.')
  # `contrib_compat.slim` / `.layers` put this package's separable_conv2d and
  # batch_norm first. `tf_slim.layers` (the package; tf_slim's own attribute
  # of that name is its `layers.layers` module) adds the initializers,
  # regularizers and optimizers tf.contrib.layers had.
  slim = _ContribModule(
      'slim', 'tf.contrib.slim: tf_slim with contrib_compat\'s layers.',
      (('contrib_compat.slim', None), ('tf_slim', None)))
  layers = _ContribModule(
      'layers', 'tf.contrib.layers: tf_slim.layers with contrib_compat\'s '
      'layers.', (('contrib_compat.layers', None), ('tf_slim.layers', None)))
  framework = _ContribModule(
      'framework', 'tf.contrib.framework: arg_scope and variable helpers.',
      (('contrib_compat.argscope', ('arg_scope', 'add_arg_scope',
                                    'current_arg_scope', 'has_arg_scope')),
       ('contrib_compat.variables', ('model_variable', 'variable')),
       ('tf_slim.ops.arg_scope', None), ('tf_slim.ops.variables', None)))
  training = _ContribModule(
      'training', 'tf.contrib.training: HParams, tf_slim\'s training loops.',
      (('contrib_compat.training', None),))
  modules = {'': contrib, 'slim': slim, 'layers': layers,
             'framework': framework, 'training': training}
  # The modules whose names TF 2 has elsewhere (tpu, data, util, ...);
  # their names resolve through moved.NAMES.
  for name in moved.modules():
    if name not in modules:
      modules[name] = _ContribModule(
          name, 'tf.contrib.%s: its names as TensorFlow 2 has them.' % name)
  for name, module in modules.items():
    parent, _, leaf = name.rpartition('.')
    if name and parent in modules:
      setattr(modules[parent], leaf, module)
    module.__package__ = module.__name__
    # Packages, so that imports below them reach _ContribFinder: it answers
    # `tensorflow.contrib.slim.nets` and explains `tensorflow.contrib.rnn`.
    module.__path__ = []
    module.__spec__ = importlib.machinery.ModuleSpec(
        module.__name__, None, is_package=True)
  return modules


class _AliasModule(types.ModuleType):
  """A module below `tensorflow.contrib` forwarding to the one it stands for."""

  def __init__(self, name, target):
    super().__init__(name, target.__doc__)
    self._target = target
    if hasattr(target, '__path__'):
      self.__path__ = []

  def __getattr__(self, name):
    return getattr(self._target, name)

  def __dir__(self):
    return dir(self._target)


class _ContribFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
  """Answers imports below `tensorflow.contrib` that sys.modules lacks.

  contrib's implementation modules (`tensorflow.contrib.layers.python.layers`,
  `tensorflow.contrib.slim.python.slim.nets.resnet_v1`, ...) become aliases
  of the contrib module or tf_slim module standing for them; anything else
  raises ContribImportError naming the replacement.
  """

  def __init__(self, modules):
    self._modules = modules

  def _target(self, fullname):
    contrib_path = fullname[len(_ROOT) + 1:]
    table_module = moved.module_for_path(contrib_path)
    if table_module is not None:
      return self._modules[table_module]
    where = replacements.implementation_module(contrib_path)
    if where in self._modules:
      return self._modules[where]
    if where is not None:
      return _tf_slim_module(where[len('tf_slim.'):])
    return None

  def find_spec(self, fullname, path=None, target=None):
    del path, target
    if not fullname.startswith(_ROOT + '.'):
      return None
    module = self._target(fullname)
    if module is None:
      raise ContribImportError(_removed_message(fullname[len(_ROOT) + 1:]),
                               name=fullname)
    return importlib.util.spec_from_loader(
        fullname, self, is_package=hasattr(module, '__path__'))

  def create_module(self, spec):
    return _AliasModule(spec.name, self._target(spec.name))

  def exec_module(self, module):
    del module  # the alias forwards everything; nothing to run


_lock = threading.RLock()
_installed = None  # dict of what install() changed, for uninstall()


def _api_modules():
  import tensorflow
  import tensorflow.compat.v1
  return (tensorflow, tensorflow.compat.v1)


def install() -> types.ModuleType:
  """Installs `tf.contrib` (slim, layers, framework, training); repairs tf_slim.

  Idempotent. After it, `tf.contrib.slim`, `import tensorflow.contrib.slim`,
  `from tensorflow.contrib import layers` and
  `from tensorflow.contrib.framework import arg_scope` work on both
  `tensorflow` and `tensorflow.compat.v1`, and tf_slim's own
  `separable_conv2d` / `batch_norm` are this package's (see
  `contrib_compat.repair_tf_slim`). Works, minus tf_slim's names, when
  `import tf_slim` fails.

  Returns:
    The `tensorflow.contrib` module object.

  Raises:
    RuntimeError: if something else already put a `contrib` attribute on
      `tensorflow`; replacing it silently would hide that code.
  """
  global _installed
  with _lock:
    if _installed is not None:
      return _installed['modules']['']
    apis = _api_modules()
    for api in apis:
      existing = api.__dict__.get('contrib')
      if existing is not None:
        raise RuntimeError(
            'install(): %s already has a `contrib` attribute (%r); not '
            'replacing it.' % (api.__name__, existing))
    modules = _make_modules()
    from contrib_compat import slim_repair
    repair = slim_repair.repair_tf_slim()
    finder = _ContribFinder(modules)
    for module in modules.values():
      sys.modules[module.__name__] = module
    sys.meta_path.insert(0, finder)
    for api in apis:
      api.contrib = modules['']
    _installed = {'modules': modules, 'finder': finder, 'repair': repair,
                  'apis': apis}
    return modules['']


def uninstall() -> None:
  """Undoes `install()`: no `tf.contrib`, tf_slim's originals back.

  A no-op when not installed. Modules imported below `tensorflow.contrib`
  (e.g. `tensorflow.contrib.slim.nets`) leave `sys.modules` too; code that
  kept a reference keeps a working module.
  """
  global _installed
  with _lock:
    if _installed is None:
      return
    for api in _installed['apis']:
      if api.__dict__.get('contrib') is _installed['modules']['']:
        delattr(api, 'contrib')
    if _installed['finder'] in sys.meta_path:
      sys.meta_path.remove(_installed['finder'])
    for name in [n for n in sys.modules
                 if n == _ROOT or n.startswith(_ROOT + '.')]:
      del sys.modules[name]
    _installed['repair'].undo()
    _installed = None


def is_installed() -> bool:
  """Whether `install()` is in effect."""
  return _installed is not None
