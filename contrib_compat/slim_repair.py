"""`repair_tf_slim()`: tf_slim's broken layers replaced in place by ours.

Code already moved to `import tf_slim as slim` calls tf_slim's functions
directly, so no `tf.contrib` alias reaches it; since TF 2.13 tf_slim's
`batch_norm` no longer builds, and every `normalizer_fn=slim.batch_norm` model
(all of `tf_slim.nets` with batch norm) fails with it. The repair rebinds the
names under which tf_slim exposes these functions:

  * `separable_conv2d` and `separable_convolution2d` (one function in tf_slim)
  * `batch_norm`

to this package's. The names are rebound, not wrapped, because `arg_scope`
keys scopes by the function object (`_key_op`): after the repair
`slim.arg_scope([slim.batch_norm], ...)` and a `normalizer_fn` looked up as
`layers.batch_norm` inside `tf_slim.nets` are the same function, so the scope
applies.

tf_slim also reaches TensorFlow's internal modules (`ops.IndexedSlices`,
`control_flow_ops.cond`, `variable_scope.variable`, ...), and TF 2.13-2.16
moved some of those names away: on TF 2.21 `optimize_loss`,
`learning.create_train_op`'s gradient clipping, `local_variable`,
`smart_cond` on a tensor, the streaming metrics and more fail with
AttributeError. Where a tf_slim module holds such a module, the repair binds
in its place a view of it that adds the public object with the same
behaviour (`moved_internals()`); where the installed TensorFlow still has the
name, nothing is bound. Undo restores the very objects that were there.
"""
import importlib
import sys
import threading
import types

from contrib_compat import argscope

# tf_slim modules that define or re-export the functions. Other tf_slim
# modules (tf_slim.nets.*) are scanned too, but only once loaded: they reach
# the functions through these modules' attributes, which the repair rebinds
# before any later `from ... import batch_norm` can copy the original.
_SOURCES = ('tf_slim', 'tf_slim.layers', 'tf_slim.layers.layers')
_NAMES = ('separable_conv2d', 'separable_convolution2d', 'batch_norm')

_lock = threading.RLock()
_originals = {}  # name -> tf_slim's function, captured once
_patches = []  # (module, name, original, replacement) currently applied


def _replacements():
  """name -> this package's function."""
  separable = importlib.import_module('contrib_compat.separable')
  normalization = importlib.import_module('contrib_compat.normalization')
  return {'separable_conv2d': separable.separable_conv2d,
          'separable_convolution2d': separable.separable_convolution2d,
          'batch_norm': normalization.batch_norm}


def moved_internals() -> dict:
  """{TF-internal module name: {name it no longer has: public object}}.

  What tf_slim 1.1.0 reads from these modules and later TF 2 releases moved
  elsewhere; each public object takes the same arguments (tf_slim's
  `cond(pred, fn1, fn2, name)` passes `name` as `strict`, as it did on TF1).
  """
  import tensorflow as tf
  v1 = tf.compat.v1
  return {
      'tensorflow.python.framework.ops': {'IndexedSlices': tf.IndexedSlices,
                                          'Tensor': tf.Tensor},
      'tensorflow.python.ops.array_ops': {'stack': tf.stack,
                                          'unstack': tf.unstack},
      'tensorflow.python.ops.control_flow_ops': {
          'cond': v1.cond, 'case': v1.case, 'while_loop': v1.while_loop,
          'Assert': tf.debugging.Assert},
      'tensorflow.python.ops.variable_scope': {'variable': v1.Variable},
  }


class _InternalModule(types.ModuleType):
  """A TF-internal module as tf_slim sees it after the repair: its own
  attributes, plus public stand-ins for the names it lost."""

  def __init__(self, module, stand_ins):
    super().__init__(module.__name__, module.__doc__)
    self.__dict__.update(stand_ins)
    self.__dict__['__wrapped__'] = module

  def __getattr__(self, name):
    return getattr(self.__dict__['__wrapped__'], name)


_views = {}  # TF-internal module name -> its _InternalModule, made once


def _internal_view(value, moved):
  """The view to bind instead of `value`, or None when it needs none."""
  if not isinstance(value, types.ModuleType) or isinstance(
      value, _InternalModule):
    return None
  stand_ins = moved.get(value.__name__)
  if not stand_ins:
    return None
  if value.__name__ not in _views:
    lost = {name: obj for name, obj in stand_ins.items()
            if name not in vars(value)}
    _views[value.__name__] = _InternalModule(value, lost) if lost else None
  view = _views[value.__name__]
  return view if view is not None and view.__wrapped__ is value else None


def _capture_originals():
  """tf_slim's own functions, read before any repair rebinds them."""
  if not _originals:
    layers_lib = importlib.import_module('tf_slim.layers.layers')
    for name in _NAMES:
      _originals[name] = getattr(layers_lib, name)
  return _originals


def _tf_slim_modules():
  # nets is not imported by `import tf_slim`; load it so its modules are
  # scanned now rather than relying on their attribute look-ups alone.
  try:
    importlib.import_module('tf_slim.nets')
  except ImportError:
    pass  # the layers can still be repaired
  return [m for n, m in sorted(sys.modules.items())
          if m is not None and (n == 'tf_slim' or n.startswith('tf_slim.'))]


class Repair(object):
  """The rebindings one `repair_tf_slim()` call made; undoes only those.

  Usable as a context manager: `with repair_tf_slim(): ...` undoes on exit
  what it did on entry, so nested or repeated repairs leave the outer one in
  place.
  """

  def __init__(self, patches):
    self._patches = list(patches)

  @property
  def patched(self):
    """`(module name, attribute name)` pairs this repair rebound."""
    return [(m.__name__, n) for m, n, _, _ in self._patches]

  def undo(self):
    """Restores tf_slim's original objects where this repair rebound them.

    A name someone rebound again after the repair is left as they set it.
    Idempotent.
    """
    with _lock:
      for patch in self._patches:
        module, name, original, replacement = patch
        if module.__dict__.get(name) is replacement:
          setattr(module, name, original)
        if patch in _patches:
          _patches.remove(patch)
      self._patches = []

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self.undo()


def repair_tf_slim() -> 'Repair':
  """Makes tf_slim's `separable_conv2d` / `batch_norm` this package's.

  Rebinds `separable_conv2d`, `separable_convolution2d` and `batch_norm`
  wherever tf_slim exposes them -- `tf_slim`, `tf_slim.layers`,
  `tf_slim.layers.layers` and any loaded tf_slim module (`tf_slim.nets.*`)
  holding them at module level -- to `contrib_compat.separable_conv2d` and
  `contrib_compat.batch_norm`. tf_slim's other functions (`conv2d`, ...) stay
  tf_slim's; they call whatever `normalizer_fn` they are given. Where those
  modules hold a TensorFlow-internal module that lost names tf_slim uses,
  they get a view of it with public stand-ins (`moved_internals()`).

  Idempotent: a second call finds nothing to do and returns an empty repair
  (so undoing it undoes nothing). With TF 1.x / TF <= 2.12 tf_slim's own
  `batch_norm` still worked; this package's builds the same variables.

  Returns:
    A `Repair`: call `.undo()`, or use it as a context manager, to restore
    tf_slim's originals. An empty one when tf_slim cannot be imported.
  """
  if argscope.tf_slim is None:
    return Repair([])
  with _lock:
    originals = _capture_originals()
    replacements = _replacements()
    pairs = [(originals[n], replacements[n]) for n in _NAMES]
    moved = moved_internals()
    made = []
    for module in _tf_slim_modules():
      for name, value in list(vars(module).items()):
        replacement = _internal_view(value, moved) or next(
            (new for old, new in pairs if value is old), None)
        if replacement is not None:
          setattr(module, name, replacement)
          made.append((module, name, value, replacement))
    _patches.extend(made)
    return Repair(made)


def undo_tf_slim_repair() -> None:
  """Undoes every repair in effect; tf_slim's functions are its own again."""
  with _lock:
    Repair(list(_patches)).undo()


def is_repaired() -> bool:
  """Whether tf_slim's `batch_norm` currently is this package's."""
  if argscope.tf_slim is None:
    return False
  return (importlib.import_module('tf_slim.layers.layers').batch_norm
          is _replacements()['batch_norm'])
