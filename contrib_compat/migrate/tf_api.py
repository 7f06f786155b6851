"""What the installed TensorFlow's API has, read from its generated files.

TF 2 builds its public namespaces from generated modules: `tf` is
`tensorflow/__init__.py`, `tf.<path>` is `tensorflow/_api/v2/<path>/__init__.py`
(so `tf.compat.v1.<path>` is `.../_api/v2/compat/v1/<path>/__init__.py`), each
a list of `from <module> import <name>` lines. Reading those answers "does
`tf.x.y` exist" in milliseconds, where importing TensorFlow to look takes
seconds -- most of a cold migration of a file that uses TensorFlow.

Only what the files say for certain is answered. A class's attributes
(`tf.GraphKeys.VARIABLES`), a name set by code at import time inside a
condition, a name the import of a subpackage may bind (`tf.tsl`), or a layout
this reader does not know (a TensorFlow without these files) are UNKNOWN:
the caller then asks TensorFlow itself. tests/test_migrate_tf_api.py checks
the answers against the imported TensorFlow, name by name.
"""
import ast
import importlib.util
import os

UNKNOWN = 'unknown'

_ROOTS = {'v2': 'tensorflow', 'v1': 'tensorflow._api.v2.compat.v1'}
_API_PREFIX = 'tensorflow._api.'

# What a name in a namespace file is bound to.
_NAMESPACE = 'namespace'  # another generated namespace: look inside it
_SYMBOL = 'symbol'  # a function, class, constant or other module: it exists
_SET = 'set'  # setattr'd at import time, unconditionally: it exists
_MAYBE = 'maybe'  # bound only under a condition: ask TensorFlow


def _package_dir():
  """TensorFlow's package directory, found without importing it."""
  try:
    spec = importlib.util.find_spec('tensorflow')
  except (ImportError, ValueError):
    return None
  if spec is None or not spec.submodule_search_locations:
    return None
  return list(spec.submodule_search_locations)[0]


class Api(object):
  """The installed TensorFlow's namespaces, parsed on first use."""

  def __init__(self, package_dir=None):
    self._dir = package_dir or _package_dir()
    self._parsed = {}
    # module -> names another namespace's file set on it at import time
    # (`_current_module.app.flags = flags` in tf.compat.v1's).
    self._set_from_outside = {}

  def _file(self, module):
    """The generated file defining `module`, or None."""
    if self._dir is None:
      return None
    if module == 'tensorflow':
      path = os.path.join(self._dir, '__init__.py')
    elif module.startswith(_API_PREFIX):
      parts = module[len('tensorflow.'):].split('.')
      path = os.path.join(self._dir, *parts, '__init__.py')
    else:
      return None
    return path if os.path.isfile(path) else None

  def _bindings(self, module):
    """{name: (kind, target)} for a namespace module, or None if unread."""
    if module not in self._parsed:
      self._parsed[module] = self._read(module)
    return self._parsed[module]

  def _read(self, module):
    path = self._file(module)
    if path is None:
      return None
    try:
      with open(path, 'rb') as source:
        tree = ast.parse(source.read())
    except (OSError, SyntaxError, ValueError):
      return None
    bindings = {}
    for statement in tree.body:
      self._bind(statement, bindings, module, certain=True)
    return bindings

  def _bind(self, statement, bindings, module, certain):
    """Records what `statement` binds; `certain` False inside conditions."""
    if isinstance(statement, ast.ImportFrom):
      source = _absolute(statement, module)
      for alias in statement.names:
        if alias.name == '*' or source is None:
          continue
        target = '%s.%s' % (source, alias.name)
        kind = _NAMESPACE if self._file(target) else _SYMBOL
        self._set(bindings, alias.asname or alias.name, kind, target, certain)
    elif isinstance(statement, ast.Import):
      for alias in statement.names:
        if alias.asname:
          kind = _NAMESPACE if self._file(alias.name) else _SYMBOL
          self._set(bindings, alias.asname, kind, alias.name, certain)
    elif isinstance(statement, ast.Assign):
      for target in statement.targets:
        if isinstance(target, ast.Name):
          self._set(bindings, target.id, _SYMBOL, None, certain)
        else:
          self._set_attribute(_attribute_chain(target), bindings, certain)
    elif isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
      self._set(bindings, statement.name, _SYMBOL, None, certain)
    elif isinstance(statement, ast.Delete):
      for target in statement.targets:
        if isinstance(target, ast.Name):
          if certain:
            bindings.pop(target.id, None)
          elif target.id in bindings:
            bindings[target.id] = (_MAYBE, None)
    elif isinstance(statement, ast.Expr):
      name = _setattr_name(statement.value)
      if name:
        self._set(bindings, name, _SET, None, certain)
    elif isinstance(statement, (ast.If, ast.Try, ast.For, ast.While,
                                ast.With)):
      for block in _blocks(statement):
        for inner in block:
          self._bind(inner, bindings, module, certain=False)

  def _set_attribute(self, chain, bindings, certain):
    """`_current_module.NAME = ...` binds NAME here;
    `_current_module.SUB.NAME = ...` binds NAME on the namespace SUB."""
    if not chain or chain[0] != '_current_module' or len(chain) < 2:
      return
    if len(chain) == 2:
      self._set(bindings, chain[1], _SET, None, certain)
      return
    kind, target = bindings.get(chain[1], (None, None))
    if kind == _NAMESPACE and len(chain) == 3:
      self._set_from_outside.setdefault(target, {})[chain[2]] = (
          _SET if certain else _MAYBE)
    elif chain[1] in bindings:
      bindings[chain[1]] = (_MAYBE, None)

  @staticmethod
  def _set(bindings, name, kind, target, certain):
    bindings[name] = (kind, target) if certain else (_MAYBE, None)

  def has(self, api, dotted):
    """True / False / UNKNOWN: whether `tf.<dotted>` exists, `api` 'v2', or
    `tf.compat.v1.<dotted>`, `api` 'v1'."""
    module = _ROOTS[api]
    parts = dotted.split('.')
    for index, part in enumerate(parts):
      last = index == len(parts) - 1
      bindings = self._bindings(module)
      if bindings is None:
        return UNKNOWN
      # What the parent's file set on this namespace at import time wins
      # over what this file imported (tf.compat.v1.nn.rnn_cell is Keras').
      kind, target = bindings.get(part, (None, None))
      kind = self._set_from_outside.get(module, {}).get(part, kind)
      if kind is None:
        # Importing a subpackage binds its name on its parent unasked.
        return UNKNOWN if self._subpackage(module, part) else False
      if kind == _MAYBE:
        return UNKNOWN
      if kind in (_SYMBOL, _SET):
        return True if last else UNKNOWN
      module = target
    return True

  def names(self, api, depth=4):
    """Every `dotted` name the files bind under `api`, to `depth` parts."""
    stack = [(_ROOTS[api], '')]
    seen = set()
    while stack:
      module, prefix = stack.pop()
      if module in seen:
        continue
      seen.add(module)
      bindings = dict(self._bindings(module) or {})
      for name, kind in self._set_from_outside.get(module, {}).items():
        bindings[name] = (kind, None)
      for name, (kind, target) in sorted(bindings.items()):
        yield prefix + name
        if kind == _NAMESPACE and prefix.count('.') + 1 < depth:
          stack.append((target, prefix + name + '.'))

  def _subpackage(self, module, name):
    if self._dir is None:
      return True
    if module == 'tensorflow':
      base = self._dir
    else:
      base = os.path.dirname(self._file(module))
    return (os.path.isdir(os.path.join(base, name)) or
            os.path.isfile(os.path.join(base, name + '.py')))

  def importable(self, module):
    """True / UNKNOWN: whether `module` ('tensorflow.x.y') imports as a
    module; never False, since a real subpackage may import as well."""
    if module == 'tensorflow':
      return True if self._dir else UNKNOWN
    if not module.startswith('tensorflow.'):
      return UNKNOWN
    generated = 'tensorflow._api.v2.' + module[len('tensorflow.'):]
    return True if self._file(generated) else UNKNOWN


def _absolute(statement, module):
  """The module a `from ... import` reads, made absolute; `module` is the
  package whose `__init__.py` holds it (TF 2.13 and 2.14 wrote
  `from ._api.v2 import audio`, later releases absolute paths)."""
  if not statement.level:
    return statement.module
  parts = module.split('.')
  if statement.level - 1 >= len(parts):
    return None
  base = parts[:len(parts) - (statement.level - 1)]
  return '.'.join(base + ([statement.module] if statement.module else []))


def _setattr_name(call):
  """NAME of `setattr(_current_module, "NAME", ...)`, else None."""
  if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and
      call.func.id == 'setattr' and len(call.args) == 3 and
      isinstance(call.args[1], ast.Constant) and
      isinstance(call.args[1].value, str)):
    return call.args[1].value
  return None


def _attribute_chain(node):
  """['a', 'b', 'c'] for `a.b.c`, else None."""
  chain = []
  while isinstance(node, ast.Attribute):
    chain.append(node.attr)
    node = node.value
  if not isinstance(node, ast.Name):
    return None
  return [node.id] + chain[::-1]


def _blocks(statement):
  blocks = [getattr(statement, field, None) or []
            for field in ('body', 'orelse', 'finalbody')]
  blocks.extend(handler.body for handler in getattr(statement, 'handlers', []))
  return blocks
