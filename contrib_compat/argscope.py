"""arg_scope glue: one scope stack shared with tf_slim when it imports.

TF1 code mixes `slim.arg_scope` with layers from several places; defaults set
by one `arg_scope` must reach every layer inside it. tf_slim keeps its stack in
a module global and only honours functions registered through its own
`add_arg_scope`, so when tf_slim imports we use its public functions directly.
When it does not (it reaches into private TensorFlow modules that may vanish),
a local implementation with the same semantics takes over.
"""
import contextlib
import functools
import importlib

try:
  import tf_slim as _tf_slim
  TF_SLIM_IMPORT_ERROR = None
except Exception as e:
  # Any failure counts: a broken tf_slim raises ModuleNotFoundError,
  # AttributeError or ImportError depending on which private module moved.
  _tf_slim = None
  TF_SLIM_IMPORT_ERROR = e

tf_slim = _tf_slim


def _own_arg_scope_impl():
  """Returns (arg_scope, add_arg_scope, current_arg_scope, has_arg_scope)."""
  stack = [{}]
  decorated = set()

  def key_of(func):
    return getattr(func, '_key_op', str(func))

  def current_arg_scope():
    return stack[-1]

  def has_arg_scope(func):
    return key_of(func) in decorated

  @contextlib.contextmanager
  def arg_scope(list_ops_or_scope, **kwargs):
    if isinstance(list_ops_or_scope, dict):
      if kwargs:
        raise ValueError('arg_scope: when re-using a scope given as a dict, '
                         'no keyword arguments may be passed.')
      scope = dict(list_ops_or_scope)
    elif isinstance(list_ops_or_scope, (list, tuple)):
      scope = dict(stack[-1])
      for op in list_ops_or_scope:
        if not has_arg_scope(op):
          raise ValueError('arg_scope: %r is not decorated with @add_arg_scope'
                           % (op,))
        key = key_of(op)
        merged = dict(scope.get(key, {}))
        merged.update(kwargs)
        scope[key] = merged
    else:
      raise TypeError('arg_scope: list_ops_or_scope must be a list/tuple of '
                      'functions or a scope dict, got %r' % (list_ops_or_scope,))
    stack.append(scope)
    try:
      yield scope
    finally:
      stack.pop()

  def add_arg_scope(func):
    key = key_of(func)
    decorated.add(key)

    @functools.wraps(func)
    def func_with_args(*args, **kwargs):
      defaults = stack[-1].get(key)
      if defaults:
        merged = dict(defaults)
        merged.update(kwargs)
        kwargs = merged
      return func(*args, **kwargs)

    func_with_args._key_op = key
    return func_with_args

  return arg_scope, add_arg_scope, current_arg_scope, has_arg_scope


if _tf_slim is not None:
  arg_scope = _tf_slim.arg_scope
  add_arg_scope = _tf_slim.add_arg_scope
  current_arg_scope = _tf_slim.current_arg_scope
  has_arg_scope = _tf_slim.has_arg_scope
else:
  (arg_scope, add_arg_scope, current_arg_scope,
   has_arg_scope) = _own_arg_scope_impl()


def tf_slim_attr(namespace, name, where):
  """`getattr(tf_slim.<namespace>, name)`, or an AttributeError saying why.

  Args:
    namespace: dotted path below tf_slim ('' for tf_slim itself).
    name: the attribute looked up.
    where: the module asking, for the message.
  """
  if _tf_slim is not None and not name.startswith('__'):
    # import_module, not attribute access: tf_slim's __init__ rebinds
    # `tf_slim.layers` to the module layers/layers.py, which lacks the
    # regularizers and initializers the tf_slim.layers package exports.
    path = 'tf_slim.' + namespace if namespace else 'tf_slim'
    obj = importlib.import_module(path)
    try:
      return getattr(obj, name)
    except AttributeError:
      pass
    # A submodule tf_slim does not import itself (`nets`): an attribute only
    # once someone imports it, so ask for it rather than depend on that.
    try:
      return importlib.import_module(path + '.' + name)
    except ImportError:
      pass
  raise AttributeError('%s has no attribute %r (tf_slim %s)' % (
      where, name, 'does not provide it' if _tf_slim is not None else
      'failed to import: %s' % TF_SLIM_IMPORT_ERROR))
