"""The libcst rewrites behind `contrib-compat-migrate`.

A file is one or more modules: a `.py` file is one, a notebook has one per
code cell, and its cells share their imports. Rewriting takes two passes
because the import changes depend on the whole file: the first rewrites
`tf.contrib` references, the second moves `import tensorflow as tf` to
`tf.compat.v1` (where the file is TF1 code) and adds `import contrib_compat`
where a rewritten reference needs that name.

libcst keeps every byte it is not asked to change (comments, blank lines,
line endings, the encoding), which is why it is used instead of regexes.
Python's own `ast` tree, parsed first to check the source, answers what
needs no concrete syntax: whether a file uses TF1-only names, whether it
needs libcst at all, and which statements each pass must visit
(statements.py).
"""
import ast
import collections
import contextlib
import dataclasses
import functools
import importlib
import importlib.util
import logging
import re
import warnings

from contrib_compat import cli
from contrib_compat import moved
from contrib_compat import replacements

with warnings.catch_warnings():
  # libcst 1.0 imports mypy_extensions.TypedDict, deprecated upstream; the
  # warning says nothing about this tool or the user's code.
  warnings.filterwarnings('ignore', 'mypy_extensions.TypedDict',
                          DeprecationWarning)
  import libcst as cst  # pylint: disable=g-import-not-at-top
  from libcst import helpers  # pylint: disable=g-import-not-at-top
  # It imports libcst.metadata, which warns the same.
  from contrib_compat.migrate import slices  # pylint: disable=g-import-not-at-top
  from contrib_compat.migrate import statements  # pylint: disable=g-import-not-at-top
  from contrib_compat.migrate import tf_api  # pylint: disable=g-import-not-at-top

# tf.contrib.layers names that are this package's own; contrib_compat
# exports them at the top level. Every other tf.contrib.layers name is
# tf_slim's, reached through contrib_compat.layers.
OWN_LAYERS = frozenset(['separable_conv2d', 'separable_convolution2d',
                        'batch_norm'])
ARG_SCOPE = frozenset(['arg_scope', 'add_arg_scope'])
# tf.contrib.framework names that tf_slim still exports at its top level, so
# contrib_compat.slim has them (tests check each against tf_slim). The rest of
# contrib.framework (nest, sort, list_variables, ...) moved into TF core.
FRAMEWORK_IN_TF_SLIM = frozenset([
    'VariableDeviceChooser', 'add_arg_scope', 'add_model_variable',
    'arg_scope', 'arg_scoped_arguments', 'assert_global_step',
    'assert_or_get_global_step', 'assign_from_checkpoint',
    'assign_from_checkpoint_fn', 'assign_from_values',
    'assign_from_values_fn', 'create_global_step', 'current_arg_scope',
    'filter_variables', 'get_global_step', 'get_local_variables',
    'get_model_variables', 'get_or_create_global_step',
    'get_trainable_variables', 'get_unique_variable',
    'get_variable_full_name', 'get_variables', 'get_variables_by_name',
    'get_variables_by_suffix', 'get_variables_to_restore', 'global_variable',
    'has_arg_scope', 'local_variable', 'model_variable', 'variable',
])
# tf.<name> chains never resolved against TensorFlow: looking them up would
# import Keras or the estimator, and none of them says anything about TF1.
_UNCHECKED_ROOTS = frozenset(['keras', 'estimator', 'compat', 'lite',
                              'contrib'])

# Rewrite kinds, as the summary names them.
KIND_SEPARABLE = 'layers.separable_conv2d'
KIND_BATCH_NORM = 'layers.batch_norm'
KIND_LAYERS = 'layers (tf_slim)'
KIND_SLIM = 'slim'
KIND_ARG_SCOPE = 'framework.arg_scope'
KIND_FRAMEWORK = 'framework (tf_slim)'
KIND_NETS = 'slim.nets'
KIND_TRAINING = 'training (HParams, tf_slim)'
KIND_IMPLEMENTATION = 'implementation modules'
KIND_MOVED = 'moved into TF 2'
KIND_REPAIR = 'repair tf_slim'
KIND_COMPAT_V1 = 'import tensorflow.compat.v1'
KIND_IMPORT = 'import contrib_compat'


class SourceError(Exception):
  """A module that does not parse; `module` is its index in the file."""

  def __init__(self, module, message):
    super().__init__(message)
    self.module = module


@dataclasses.dataclass(frozen=True)
class Note:
  """A use left for a human: where (module index, line), what, what to do."""
  module: int
  line: int
  name: str
  advice: str


@dataclasses.dataclass
class Result:
  """What `rewrite_sources` did to one file."""
  outputs: list
  counts: collections.Counter
  notes: list


def _dotted(node):
  """['a', 'b', 'c'] for the pure name chain `a.b.c`, else None."""
  parts = []
  while isinstance(node, cst.Attribute):
    parts.append(node.attr.value)
    node = node.value
  if not isinstance(node, cst.Name):
    return None
  parts.append(node.value)
  return parts[::-1]


def _name_of(node):
  return helpers.get_full_name_for_node(node) if node is not None else None


def _contrib_target(rest, root='tf'):
  """(target, kind) for `tf.contrib.<rest...>`, or (None, None).

  Args:
    rest: the names after `contrib`, e.g. ['layers', 'conv2d'].
    root: the name the reference starts with, which a TF 2 name keeps.
  """
  if not rest:
    return None, None
  home = moved.home('.'.join(rest))
  if home and home.startswith('contrib_compat.'):
    return home, KIND_MOVED
  if home:
    path = _tf_spelling(home)
    return (root + '.' + path, KIND_MOVED) if path else (None, None)
  table_module = moved.module_for_path('.'.join(rest))
  if table_module and table_module not in _MODULE_BINDINGS:
    path = _module_home(table_module)
    if path is None:
      return None, None
    if path.startswith('tensorflow.'):
      path = root + path[len('tensorflow'):]
    return path, KIND_MOVED
  sub, names = rest[0], rest[1:]
  if names and (names[0].startswith('_') or names[0] == 'python'):
    # Attribute chains through contrib's implementation modules are rare and
    # left to a human; imports of those modules are rewritten (_from_package).
    return None, None
  tail = '.'.join(names)
  if sub == 'layers':
    if not names:
      return 'contrib_compat.layers', KIND_LAYERS
    if names[0] in OWN_LAYERS:
      kind = KIND_BATCH_NORM if names[0] == 'batch_norm' else KIND_SEPARABLE
      return 'contrib_compat.' + tail, kind
    module = _provider(names[0], _LAYERS_MODULES)
    return (module + '.' + tail, KIND_LAYERS) if module else (None, None)
  if sub == 'slim':
    if names and not _provider(names[0], ['contrib_compat.slim']):
      return None, None
    return 'contrib_compat.slim' + ('.' + tail if tail else ''), KIND_SLIM
  if sub == 'framework':
    if not names:
      return 'contrib_compat.slim', KIND_FRAMEWORK
    if names[0] in ARG_SCOPE:
      return 'contrib_compat.' + tail, KIND_ARG_SCOPE
    if names[0] in FRAMEWORK_IN_TF_SLIM and _provides('contrib_compat.slim',
                                                     names[0]):
      return 'contrib_compat.slim.' + tail, KIND_FRAMEWORK
  if sub == 'training':
    if names and not _provides('contrib_compat.training', names[0]):
      return None, None
    return ('contrib_compat.training' + ('.' + tail if tail else ''),
            KIND_TRAINING)
  return None, None


# What the installed TensorFlow, tf_slim and contrib_compat answered the
# questions below (each imports them: TensorFlow alone takes seconds). The
# answers hold until one of those packages changes, so migrate keeps them in
# its cache between runs: `remember` loads them, `answers_learned` hands over
# the new ones.
_ANSWERS = {}
_LEARNED = {}


def remember(answers):
  """Loads stored answers; one of a shape no question gives is dropped (it
  would silently change the rewrite), so that question is asked again."""
  for key, answer in answers.items():
    question = key.split('\0', 1)[0] if isinstance(key, str) else None
    valid = _ANSWER_KINDS.get(question)
    if valid is not None and valid(answer):
      _ANSWERS[key] = answer


def answers_learned():
  """The answers found since the last call, {question: answer}."""
  learned = dict(_LEARNED)
  _LEARNED.clear()
  return learned


def _asked(question):
  """Memoizes `question` (string arguments, JSON answer) in _ANSWERS."""
  prefix = question.__name__ + '\0'

  @functools.wraps(question)
  def ask(*args):
    key = prefix + '\0'.join(args)
    try:
      return _ANSWERS[key]
    except KeyError:
      answer = _ANSWERS[key] = _LEARNED[key] = question(*args)
      return answer
  return ask


# The answers each question gives, for checking stored ones.
_ANSWER_KINDS = {
    '_tf_spelling': lambda a: a is None or isinstance(a, str),
    '_module_exists': lambda a: isinstance(a, bool),
    '_provides': lambda a: isinstance(a, bool),
    '_api_of': lambda a: a in (None, 'v1', 'v2', 'both'),
}


def _quiet_tensorflow_import():
  """Loads TensorFlow, with its start-up lines hidden as the tool asked,
  before a question imports it (contrib_compat and tf_slim import it too).
  The installed TensorFlow's generated API files (tf_api.py) answer most
  questions about `tf.*` names without it."""
  try:
    cli.import_tensorflow()
  except Exception:  # pylint: disable=broad-except
    pass  # the questions answer None without TensorFlow


_TF_API = tf_api.Api()


def _static_has(api, dotted):
  return _TF_API.has(api, dotted)


@contextlib.contextmanager
def _quiet_lookups():
  """Looking names up in TensorFlow warns of deprecated ones (on its logger:
  tf.GraphKeys.VARIABLES): nothing the user's report should show."""
  logger = logging.getLogger('tensorflow')
  level = logger.level
  logger.setLevel(logging.ERROR)
  try:
    with warnings.catch_warnings():
      warnings.simplefilter('ignore')
      yield
  finally:
    logger.setLevel(level)


def _resolves(obj, dotted):
  for part in dotted.split('.'):
    try:
      obj = getattr(obj, part)
    except Exception:  # pylint: disable=broad-except
      return False
  return True


@_asked
def _tf_spelling(home):
  """`home` ('tf.x.y') as a path after `tf` valid on TF 2 and tf.compat.v1.

  Migrated files may keep `import tensorflow as tf` or move to
  `tensorflow.compat.v1`; the rewritten name must work under both. None
  when the installed TensorFlow lacks it.
  """
  path = bare = home[len('tf.'):]
  for prefix in ('compat.v1.', 'compat.v2.'):
    if bare.startswith(prefix):
      bare = bare[len(prefix):]
  candidates = (path, bare, 'compat.v1.' + bare, 'compat.v2.' + bare)
  for candidate in candidates:
    found = [_static_has(api, candidate) for api in ('v2', 'v1')]
    if tf_api.UNKNOWN in found:
      break
    if all(found):
      return candidate
  else:
    return None
  _quiet_tensorflow_import()
  try:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
  except Exception:  # pylint: disable=broad-except
    return None
  with _quiet_lookups():
    for candidate in candidates:
      if _resolves(tf, candidate) and _resolves(tf.compat.v1, candidate):
        return candidate
  return None


def _import_home(home):
  """(module, name) to import `home` ('tf.x.y' / 'contrib_compat.x.y') from.

  The module must import as such: `tensorflow.compat.v1.tpu` does,
  `tensorflow.distribute.cluster_resolver` does not. None if there is none.
  """
  if home.startswith('tf.'):
    path = _tf_spelling(home)
    if path is None:
      return None
    home = 'tensorflow.' + path
  module, _, name = home.rpartition('.')
  return (module, name) if _module_exists(module) else None


def _module_home(contrib_module):
  """The one module with all of `tf.contrib.<contrib_module>`'s names.

  A dotted path that need not import as a module:
  `tensorflow.compat.v1.tpu`, `tensorflow.nest`,
  `tensorflow.distribute.cluster_resolver`, or this package's
  `contrib_compat.summary` / `contrib_compat.audio_ops`, which stand for
  their whole contrib module. None where the names went to several places
  or changed names.
  """
  homes = moved.names_in(contrib_module)
  if not homes:
    return None
  for home in homes.values():
    module = home.rpartition('.')[0]
    if module.startswith('contrib_compat.') and all(
        _provides(module, leaf) for leaf in homes):
      return module
  if any(leaf != home.rpartition('.')[2] for leaf, home in homes.items()):
    return None
  spelled = {_tf_spelling(home) for home in homes.values()}
  modules = {path and path.rpartition('.')[0] for path in spelled}
  if len(modules) != 1 or None in modules:
    return None
  return 'tensorflow.' + modules.pop()


def _scattered(table_module):
  """Advice for a contrib module whose names went to several places."""
  homes = moved.names_in(table_module)
  modules = sorted({home.rpartition('.')[0] for home in homes.values()})
  renamed = sorted('%s is %s' % (leaf, home) for leaf, home in homes.items()
                   if home.rpartition('.')[2] != leaf)
  return 'import its names from %s%s' % (
      ', '.join(modules), '; ' + ', '.join(renamed) if renamed else '')


def _from_import(path, asname):
  """`from <parent> import <leaf> [as asname]` for a dotted module path."""
  parent, _, leaf = path.rpartition('.')
  suffix = '' if asname in (None, leaf) else ' as ' + asname
  return cst.parse_statement('from %s import %s%s' % (parent, leaf, suffix)
                             ).body[0]


# Where tf.contrib.layers names other than ours are looked for, in order.
# contrib.layers also re-exported tf_slim's regularizers, initializers and
# optimizers, which contrib_compat.slim (tf_slim's top level) has.
_LAYERS_MODULES = ('contrib_compat.layers', 'contrib_compat.slim')


@_asked
def _module_exists(module):
  if _TF_API.importable(module) is True:
    return True
  _quiet_tensorflow_import()
  try:
    return importlib.util.find_spec(module) is not None
  except Exception:  # pylint: disable=broad-except
    return False  # a parent package that does not import


@_asked
def _provides(module, name):
  _quiet_tensorflow_import()
  try:
    return hasattr(importlib.import_module(module), name)
  except Exception:  # pylint: disable=broad-except
    return False


def _provider(name, modules):
  """The first of `modules` that has `name`, or None.

  A rewrite must never point at a name the installed contrib_compat lacks:
  such a use is reported instead.
  """
  for module in modules:
    if _provides(module, name):
      return module
  return None


# `NAME = tf.contrib.<sub>` and `import tensorflow.contrib.<sub> as NAME`
# become `from contrib_compat import <module> as NAME`.
_MODULE_BINDINGS = {'slim': ('slim', KIND_SLIM),
                    'layers': ('layers', KIND_LAYERS),
                    'framework': ('slim', KIND_FRAMEWORK),
                    'training': ('training', KIND_TRAINING)}


@_asked
def _api_of(dotted):
  """'v1' / 'v2' / 'both' / None: where `tf.<dotted>` exists.

  TF1-only names (tf.Session, tf.train.Saver, tf.app.flags, ...) are found by
  asking the installed TensorFlow rather than a list that would go stale.
  """
  parts = dotted.split('.')
  if parts[0] in _UNCHECKED_ROOTS:
    return None
  in_v2, in_v1 = _static_has('v2', dotted), _static_has('v1', dotted)
  if tf_api.UNKNOWN in (in_v2, in_v1):
    _quiet_tensorflow_import()
    try:
      import tensorflow as tf  # pylint: disable=g-import-not-at-top
    except Exception:  # pylint: disable=broad-except
      return None
    with _quiet_lookups():
      in_v2, in_v1 = _resolves(tf, dotted), _resolves(tf.compat.v1, dotted)
  return {(True, True): 'both', (True, False): 'v2',
          (False, True): 'v1'}.get((in_v2, in_v1))


def _chain_api(parts):
  """_api_of for the longest prefix of `parts` that TensorFlow has.

  `tf.GraphKeys.INPUTS = 'inputs'` sets a new attribute on a TF1-only name:
  the file is TF1 code although the whole chain exists nowhere.
  """
  for end in range(len(parts), 0, -1):
    api = _api_of('.'.join(parts[:end]))
    if api is not None:
      return api
  return None


class _Imports(cst.CSTVisitor):
  """Which names a file binds to TensorFlow, in all its modules."""

  def __init__(self):
    super().__init__()
    self.v2 = set()  # `import tensorflow as tf`, `import tensorflow`
    self.v1 = set()  # `import tensorflow.compat.v1 as tf`
    self.v2_aliases = set()  # the `as tf` of `import tensorflow as tf`
    self.contrib_compat = set()  # `import contrib_compat[.slim]` present

  def on_visit(self, node):
    return statements.holds_statements(node) and super().on_visit(node)

  def visit_Import(self, node):
    for alias in node.names:
      name = _name_of(alias.name)
      asname = alias.asname.name.value if alias.asname else None
      if asname is None:
        if name == 'tensorflow' or name.startswith('tensorflow.'):
          self.v2.add('tensorflow')
        if name in ('contrib_compat', 'contrib_compat.slim'):
          self.contrib_compat.add(name)
      elif name == 'tensorflow':
        self.v2.add(asname)
        self.v2_aliases.add(asname)
      elif name == 'tensorflow.compat.v1':
        self.v1.add(asname)

  def visit_ImportFrom(self, node):
    if node.relative or _name_of(node.module) != 'tensorflow.compat':
      return
    if isinstance(node.names, cst.ImportStar):
      return
    for alias in node.names:
      if _name_of(alias.name) == 'v1':
        self.v1.add(alias.asname.name.value if alias.asname else 'v1')


class _ContribRewriter(cst.CSTTransformer):
  """Pass 1: tf.contrib references -> contrib_compat / tf_slim.

  It visits only the statements that name `contrib` or a name bound to
  tf.contrib.framework (the others have nothing for it), as paired with
  the module's `ast` tree by statements.pair.
  """

  def __init__(self, imports, module_index, module, tree):
    super().__init__()
    self._roots = imports.v1 | imports.v2
    self.index = module_index
    self._statements = statements.pair(module, tree)
    self.paired = bool(self._statements)
    self._lines = statements.Lines(module)
    self._pending = {}  # original node -> replacement
    # `from <implementation package> import a, b` whose names now live in
    # different modules: original ImportFrom -> [(module, kind, names)].
    self._splits = {}
    self._own_line = set()  # ImportFrom nodes alone on their line
    self.framework_names = set()  # names bound to tf.contrib.framework
    self.counts = collections.Counter()
    self.notes = []
    self.uses_contrib = False
    # The module a rewritten `contrib_compat.x` reference needs imported:
    # contrib_compat.slim is no attribute of contrib_compat until imported.
    self.needs_import = None
    # Code now importing tf_slim's modules (tf_slim.nets, ...) needs them to
    # build with this package's batch_norm: tf_slim's own fails on TF 2.13+.
    self.needs_repair = False

  def on_visit(self, node):
    twin = self._statements.get(node)
    if twin is not None:
      if not (statements.names_contrib(twin) or self.framework_names and
              statements.names_any(twin, self.framework_names)):
        return False
      self._lines.enter(node, twin)
    return super().on_visit(node)

  def on_leave(self, original_node, updated_node):
    updated = super().on_leave(original_node, updated_node)
    self._lines.leave(original_node)
    return updated

  def _line(self, node):
    return self._lines.line(node)

  def _note(self, node, contrib_name, advice=None):
    replacement = (replacements.replacement_for(contrib_name)
                   if contrib_name else None)
    self.notes.append(Note(
        self.index, self._line(node),
        'tf.contrib.' + contrib_name if contrib_name else 'tf.contrib',
        advice or ('use ' + replacement if replacement else
                   'no known replacement (`python -m contrib_compat.moved` '
                   'lists the names TF 2 kept)')))

  def _rewritten(self, node, target, kind):
    self.counts[kind] += 1
    self.needs_repair |= target.startswith('contrib_compat.slim.nets')
    if target.startswith('contrib_compat.slim'):
      self.needs_import = 'contrib_compat.slim'
    elif target.startswith('contrib_compat.'):
      self.needs_import = self.needs_import or 'contrib_compat'
    return cst.parse_expression(target).with_changes(lpar=node.lpar,
                                                     rpar=node.rpar)

  # Attribute chains: tf.contrib.x.y, and names bound to contrib.framework.

  def visit_Attribute(self, node):
    parts = _dotted(node)
    if parts is None:
      return True
    if parts[0] in self.framework_names and parts[1] not in (
        FRAMEWORK_IN_TF_SLIM):
      self._note(node, 'framework.' + '.'.join(parts[1:]))
    if parts[0] not in self._roots:
      return False
    if parts[1] == 'contrib':
      self.uses_contrib = True
      target, kind = _contrib_target(parts[2:], root=parts[0])
      if target and '#' in cst.Module([]).code_for_node(node):
        # A comment between the names: the new name could not keep it.
        self._note(node, '.'.join(parts[2:]), 'a comment inside the name; '
                   'use %s' % target)
      elif target is None:
        self._note(node, '.'.join(parts[2:]))
      else:
        self._pending[node] = self._rewritten(node, target, kind)
    # A pure chain has nothing below it to rewrite. (TF1 and TF 2-only
    # names are found by _tf1_uses, on the `ast` tree.)
    return False

  def leave_Attribute(self, original_node, updated_node):
    return self._pending.pop(original_node, updated_node)

  # `slim = tf.contrib.slim` -> `from contrib_compat import slim`.

  def visit_Assign(self, node):
    parts = _dotted(node.value)
    if (len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name)
        and parts and len(parts) == 3 and parts[0] in self._roots and
        parts[1] == 'contrib' and parts[2] in _MODULE_BINDINGS and
        '#' not in cst.Module([]).code_for_node(node.value)):
      self.uses_contrib = True
      self._pending[node] = self._binding(
          node, parts[2], node.targets[0].target.value)
      return False
    return True

  def leave_Assign(self, original_node, updated_node):
    return self._pending.pop(original_node, updated_node)

  def _binding(self, node, sub, name, count=True):
    module, kind = _MODULE_BINDINGS[sub]
    if sub == 'framework':
      self.framework_names.add(name)
    if count:
      self.counts[kind] += 1
    text = 'from contrib_compat import %s%s' % (
        module, '' if name == module else ' as ' + name)
    return cst.parse_statement(text).body[0].with_changes(
        semicolon=node.semicolon)

  # import tensorflow.contrib.x [as y]

  def visit_Import(self, node):
    # Dotted module names are handled whole in leave_*, not as attributes.
    return False

  def visit_ImportFrom(self, node):
    return False

  def leave_Import(self, original_node, updated_node):
    contrib = [a for a in updated_node.names
               if _name_of(a.name).startswith('tensorflow.contrib')]
    if not contrib:
      return updated_node
    self.uses_contrib = True
    if len(updated_node.names) > 1:
      for alias in contrib:
        self._note(original_node, _name_of(alias.name)[len('tensorflow.'):])
      return updated_node
    alias = contrib[0]
    rest = _name_of(alias.name).split('.')[2:]
    if alias.asname is None:
      # Binds `tensorflow`: each tensorflow.contrib.* use is rewritten (or
      # reported) on its own, so only the import of contrib itself goes.
      if rest and _contrib_target(rest)[0] is None:
        self._note(original_node, '.'.join(rest))
        return updated_node
      return updated_node.with_changes(names=[
          alias.with_changes(name=cst.Name('tensorflow'))])
    asname = alias.asname.name.value
    if len(rest) == 1 and rest[0] in _MODULE_BINDINGS:
      return self._binding(updated_node, rest[0], asname)
    table_module = moved.module_for_path('.'.join(rest))
    if table_module and table_module not in _MODULE_BINDINGS:
      home = _module_home(table_module)
      if home is None:
        self._note(original_node, '.'.join(rest), _scattered(table_module))
        return updated_node
      self.counts[KIND_MOVED] += 1
      if _module_exists(home):
        return updated_node.with_changes(names=[alias.with_changes(
            name=cst.parse_expression(home))])
      return _from_import(home, asname).with_changes(
          semicolon=updated_node.semicolon)
    where = replacements.implementation_module('.'.join(rest))
    if where in _MODULE_BINDINGS:
      # `import tensorflow.contrib.layers.python.layers.layers as layers_lib`
      self.counts[KIND_IMPLEMENTATION] += 1
      return self._binding(updated_node, where, asname, count=False)
    if where and _module_exists(where):
      self._counts_tf_slim_module(where)
      return updated_node.with_changes(names=[alias.with_changes(
          name=cst.parse_expression(where))])
    self._note(original_node, '.'.join(rest))
    return updated_node

  def _counts_tf_slim_module(self, module, kind=None):
    self.counts[kind or (KIND_NETS if module.startswith('tf_slim.nets') else
                         KIND_IMPLEMENTATION)] += 1
    self.needs_repair = True

  # from tensorflow.contrib[.x] import a, b

  def leave_ImportFrom(self, original_node, updated_node):
    module = _name_of(updated_node.module)
    if updated_node.relative or module is None:
      return updated_node
    star = isinstance(updated_node.names, cst.ImportStar)
    names = [] if star else [_name_of(a.name) for a in updated_node.names]
    if module == 'tensorflow' and 'contrib' in names:
      self.uses_contrib = True
      self._note(original_node, '')
      return updated_node
    if module != 'tensorflow.contrib' and not module.startswith(
        'tensorflow.contrib.'):
      return updated_node
    self.uses_contrib = True
    rest = module.split('.')[2:]
    if star:
      self._note(original_node, '.'.join(rest + ['*']))
      return updated_node
    moved_import = self._moved_from(original_node, updated_node, rest, names)
    if moved_import is not None:
      return moved_import
    new_module, kind = self._from_target(original_node, rest, names)
    if new_module is None:
      return updated_node
    new_names = updated_node.names
    if new_module.startswith('tf_slim'):
      self._counts_tf_slim_module(new_module, kind)
    elif rest:
      self.counts[kind] += 1
    else:
      for name in names:
        self.counts[_MODULE_BINDINGS[name][1]] += 1
      # `framework` is no module here: contrib_compat.slim has its arg_scope
      # and variable helpers under the same names.
      new_names = []
      for alias in updated_node.names:
        if _name_of(alias.name) == 'framework':
          asname = alias.asname or cst.AsName(name=cst.Name('framework'))
          self.framework_names.add(asname.name.value)
          alias = alias.with_changes(name=cst.Name('slim'), asname=asname)
        new_names.append(alias)
    return updated_node.with_changes(
        module=cst.parse_expression(new_module), names=new_names)

  def _moved_from(self, original_node, updated_node, rest, names):
    """`from tensorflow.contrib.<rest> import names` for names TF 2 has.

    Rewritten when every name moved to one module (a renamed one keeps its
    old name with `as`; a whole moved module is imported from its parent);
    a mix of moved and other names is noted. None when no name moved.
    """
    homes = {}  # name -> (module to import from, name there) or None
    for name in names:
      dotted = '.'.join(rest + [name])
      table_module = moved.module_for_path(dotted)
      if moved.home(dotted) is not None:
        homes[name] = _import_home(moved.home(dotted))
      elif table_module and dotted not in _MODULE_BINDINGS:
        path = _module_home(table_module)
        homes[name] = path and tuple(path.rsplit('.', 1))
        if path is None:
          self._note(original_node, dotted, _scattered(table_module))
          return updated_node
    if not homes:
      return None
    modules = {h[0] for h in homes.values() if h}
    if len(homes) < len(names) or None in homes.values() or len(modules) > 1:
      self._note(original_node, '.'.join(rest), 'import these from their '
                 'TF 2 homes: ' + ', '.join(
                     '%s from %s' % (n, moved.home('.'.join(rest + [n])) or
                                     'contrib_compat') for n in names))
      return updated_node
    aliases = []
    for alias in updated_node.names:
      name = _name_of(alias.name)
      new = homes[name][1]
      if new != name and alias.asname is None:
        alias = alias.with_changes(asname=cst.AsName(name=cst.Name(name)))
      aliases.append(alias.with_changes(name=cst.Name(new)))
    self.counts[KIND_MOVED] += 1
    return updated_node.with_changes(
        module=cst.parse_expression(modules.pop()), names=aliases)

  def _from_target(self, node, rest, names, shown_as=None):
    """(module, kind) replacing `from tensorflow.contrib.<rest> import names`.

    (None, None) after noting what cannot be rewritten, under the module
    path `shown_as` if given.
    """
    bad = []
    where = (replacements.implementation_module('.'.join(rest))
             if len(rest) > 1 else None)
    if where in _MODULE_BINDINGS:
      return self._from_package(node, rest, where, names)
    if not rest:
      bad = [n for n in names if n not in _MODULE_BINDINGS]
      result = ('contrib_compat', None)
    elif rest == ['layers'] and all(n in OWN_LAYERS for n in names):
      result = ('contrib_compat', KIND_BATCH_NORM if names == ['batch_norm']
                else KIND_SEPARABLE)
    elif rest == ['layers']:
      modules = [m for m in _LAYERS_MODULES
                 if all(_provides(m, n) for n in names)]
      bad = [n for n in names if not _provider(n, _LAYERS_MODULES)]
      # Each name may exist while no one module has them all: rare enough
      # (contrib_compat.slim has every layer) to leave to a human.
      bad = bad or ([] if modules else names)
      result = (modules[0] if modules else None, KIND_LAYERS)
    elif rest == ['slim'] and names == ['nets']:
      result = ('tf_slim', KIND_NETS)
    elif rest == ['slim']:
      bad = [n for n in names if not _provides('contrib_compat.slim', n)]
      result = ('contrib_compat.slim', KIND_SLIM)
    elif rest == ['training']:
      bad = [n for n in names if not _provides('contrib_compat.training', n)]
      result = ('contrib_compat.training', KIND_TRAINING)
    elif rest == ['framework']:
      bad = [n for n in names if n not in FRAMEWORK_IN_TF_SLIM or
             not _provides('contrib_compat.slim', n)]
      result = ('contrib_compat' if all(n in ARG_SCOPE for n in names) else
                'contrib_compat.slim', KIND_ARG_SCOPE if all(
                    n in ARG_SCOPE for n in names) else KIND_FRAMEWORK)
    elif where and _module_exists(where):
      # tensorflow.contrib.slim.nets.resnet_v1, ...layers.python.layers.utils
      bad = [n for n in names if not (_provides(where, n) or
                                      _module_exists(where + '.' + n))]
      result = (where, None)
    else:
      self._note(node, '.'.join(rest))
      return None, None
    if bad:
      for name in bad:
        self._note(node, '.'.join((shown_as or rest) + [name]))
      return None, None
    return result

  def _from_package(self, node, rest, package, names):
    """`from tensorflow.contrib.<implementation package> import names`.

    `package` is the contrib module standing for it ('layers', 'framework'
    or 'slim'). TF1's package exported its modules' functions and the
    modules themselves: `arg_scope` is the function (the package's
    star-import shadowed the module), `layers` / `initializers` /
    `variables` / `nets` are modules.
    """
    modules, functions = {}, []
    for name in names:
      sub = replacements.implementation_module('.'.join(rest + [name]))
      if package == 'framework' and name in FRAMEWORK_IN_TF_SLIM:
        functions.append(name)
      elif sub == name and sub in _MODULE_BINDINGS:
        modules[name] = ('contrib_compat', KIND_IMPLEMENTATION)
      elif sub in _MODULE_BINDINGS:
        # `from tensorflow.contrib.training.python.training import hparam`:
        # a module standing for one of ours under another name.
        self._note(node, '.'.join(rest + [name]), 'use from contrib_compat '
                   'import %s as %s' % (_MODULE_BINDINGS[sub][0], name))
        return None, None
      elif sub and sub.startswith('tf_slim.') and _module_exists(sub):
        modules[name] = (sub.rpartition('.')[0], None)
      else:
        functions.append(name)
    if functions:
      target = self._from_target(node, [package], functions, shown_as=rest)
      if target[0] is None:
        return None, None  # noted
      modules.update((name, target) for name in functions)
    targets = sorted(set(modules.values()), key=str)
    if len(targets) == 1:
      return targets[0]
    groups = [(module, kind, [n for n in names if modules[n] == (module, kind)])
              for module, kind in targets]
    if node in self._own_line and '#' not in cst.Module([]).code_for_node(
        node):
      self._splits[node] = groups  # leave_SimpleStatementLine splits it
    else:
      self._note(node, '.'.join(rest), 'split this import: ' + '; '.join(
          '%s from %s' % (', '.join(group), module)
          for module, _, group in groups))
    return None, None

  # An import that is a line of its own may become several lines.

  def visit_SimpleStatementLine(self, node):
    if len(node.body) == 1 and isinstance(node.body[0], cst.ImportFrom):
      self._own_line.add(node.body[0])
    return True

  def leave_SimpleStatementLine(self, original_node, updated_node):
    groups = self._splits.pop(original_node.body[0], None)
    if groups is None:
      return updated_node
    aliases = {_name_of(a.name): a for a in original_node.body[0].names}
    lines = []
    for module, kind, names in groups:
      if module.startswith('tf_slim'):
        self._counts_tf_slim_module(module, kind)
      else:
        self.counts[kind] += 1
      statement = cst.ImportFrom(
          module=cst.parse_expression(module),
          names=[aliases[n].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                 for n in names])
      lines.append(updated_node.with_changes(
          body=[statement],
          leading_lines=updated_node.leading_lines if not lines else []))
    return cst.FlattenSentinel(lines)


def _single_import(stmt):
  """The Import/ImportFrom that makes up the statement line `stmt`, or None."""
  if (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and
      isinstance(stmt.body[0], (cst.Import, cst.ImportFrom))):
    return stmt.body[0]
  return None


def _tf_alias(stmt):
  """'tf' when `stmt` is exactly `import tensorflow as tf`, else None."""
  node = _single_import(stmt)
  if (isinstance(node, cst.Import) and len(node.names) == 1 and
      node.names[0].asname and _name_of(node.names[0].name) == 'tensorflow'):
    return node.names[0].asname.name.value
  return None


def _imports_tensorflow(stmt):
  node = _single_import(stmt)
  if isinstance(node, cst.Import):
    names = [_name_of(a.name) for a in node.names]
  elif isinstance(node, cst.ImportFrom) and not node.relative:
    names = [_name_of(node.module)]
  else:
    return False
  return any(n == 'tensorflow' or n.startswith('tensorflow.') for n in names)


def _is_disable_call(stmt, alias=None):
  """Whether `stmt` is `<alias>.disable_v2_behavior()` (any alias if None)."""
  if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
    return False
  expr = stmt.body[0]
  return (isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call) and
          (_dotted(expr.value.func) or [])[-1:] == ['disable_v2_behavior'] and
          alias in (None, _dotted(expr.value.func)[0]))


def _is_import_line(stmt):
  return (isinstance(stmt, cst.SimpleStatementLine) and
          all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body))


def _import_position(body):
  """Where `import contrib_compat` goes in a module body.

  After the TensorFlow import (and its disable_v2_behavior() call) when there
  is one, else after the leading block of imports, else after the docstring.
  """
  for i, stmt in enumerate(body):
    if _imports_tensorflow(stmt):
      if i + 1 < len(body) and _is_disable_call(body[i + 1]):
        return i + 2
      return i + 1
  for i, stmt in enumerate(body):
    if _is_import_line(stmt):
      while i < len(body) and _is_import_line(body[i]):
        i += 1
      return i
  first = body[0] if body else None
  if (isinstance(first, cst.SimpleStatementLine) and
      isinstance(first.body[0], cst.Expr) and
      isinstance(first.body[0].value, (cst.SimpleString,
                                       cst.ConcatenatedString))):
    return 1
  return 0


def _contrib_compat_import_index(body):
  """Index of a top-level `import contrib_compat[.slim]` in `body`, or None."""
  for i, stmt in enumerate(body):
    node = _single_import(stmt)
    if (isinstance(node, cst.Import) and len(node.names) == 1 and
        node.names[0].asname is None and _name_of(node.names[0].name) in (
            'contrib_compat', 'contrib_compat.slim')):
      return i
  return None


def _calls_repair(tree):
  """Whether the `ast` tree calls `repair_tf_slim` (under any module name)."""
  return any(isinstance(n, ast.Call) and
             getattr(n.func, 'attr', getattr(n.func, 'id', None)) ==
             'repair_tf_slim' for n in ast.walk(tree))


class _ImportFixer(cst.CSTTransformer):
  """Pass 2: `import tensorflow as tf` -> compat.v1; `import contrib_compat`.

  Also adds `contrib_compat.repair_tf_slim()` after that import where the
  file now uses tf_slim's modules directly.
  """

  def __init__(self, switch, add_import, add_repair=False):
    super().__init__()
    self._switch = switch
    self._add_import = add_import  # None or the module to import
    self._add_repair = add_repair
    self.counts = collections.Counter()

  def on_visit(self, node):
    return statements.holds_statements(node) and super().on_visit(node)

  def _fix(self, body):
    if not self._switch:
      return body
    out = []
    for i, stmt in enumerate(body):
      alias = _tf_alias(stmt)
      out.append(stmt)
      if alias is None:
        continue
      node = stmt.body[0]
      out[-1] = stmt.with_changes(body=[node.with_changes(names=[
          node.names[0].with_changes(
              name=cst.parse_expression('tensorflow.compat.v1'))])])
      self.counts[KIND_COMPAT_V1] += 1
      if not (i + 1 < len(body) and _is_disable_call(body[i + 1], alias)):
        out.append(cst.parse_statement('%s.disable_v2_behavior()' % alias))
    return out

  def leave_IndentedBlock(self, original_node, updated_node):
    return updated_node.with_changes(body=self._fix(list(updated_node.body)))

  def leave_SimpleStatementLine(self, original_node, updated_node):
    # A line that is exactly `import tensorflow as tf` is _fix's, which puts
    # disable_v2_behavior() on a line of its own.
    if not self._switch or _tf_alias(original_node) is not None:
      return updated_node
    return updated_node.with_changes(body=self._fix_inline(updated_node.body))

  def leave_SimpleStatementSuite(self, original_node, updated_node):
    if not self._switch:
      return updated_node
    return updated_node.with_changes(body=self._fix_inline(updated_node.body))

  def _fix_inline(self, small_statements):
    """`import numpy as np, tensorflow as tf`, `a; import tensorflow as tf`,
    `if x: import tensorflow as tf`: the TensorFlow import moves to
    compat.v1 and disable_v2_behavior() follows it, on the same line."""
    out = []
    for node in small_statements:
      if not isinstance(node, cst.Import):
        out.append(node)
        continue
      tf_names, others = [], []
      for name in node.names:
        is_tf = name.asname and _name_of(name.name) == 'tensorflow'
        (tf_names if is_tf else others).append(name)
      if not tf_names:
        out.append(node)
        continue
      aliases = [name.asname.name.value for name in tf_names]
      if others:
        others[-1] = others[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        out.append(node.with_changes(names=others,
                                     semicolon=cst.MaybeSentinel.DEFAULT))
      for alias in aliases:
        out.extend(cst.parse_statement(
            'import tensorflow.compat.v1 as %s; %s.disable_v2_behavior()'
            % (alias, alias)).body)
        self.counts[KIND_COMPAT_V1] += 1
    return out

  def leave_Module(self, original_node, updated_node):
    body = self._fix(list(updated_node.body))
    if self._add_import:
      self.counts[KIND_IMPORT] += 1
      body.insert(_import_position(body),
                  cst.parse_statement('import ' + self._add_import))
    if self._add_repair:
      at = _contrib_compat_import_index(body)
      if at is None:
        self.counts[KIND_IMPORT] += 1
        at = _import_position(body)
        body.insert(at, cst.parse_statement('import contrib_compat'))
      self.counts[KIND_REPAIR] += 1
      body.insert(at + 1, cst.parse_statement(
          'contrib_compat.repair_tf_slim()'))
    return updated_node.with_changes(body=body)


def _check(index, source):
  """The `ast` tree of `source`: the running interpreter's own parser.

  Raises:
    SourceError: Python rejects the source.
  """
  try:
    with warnings.catch_warnings():
      # Invalid escapes and the like warn at compile time; not ours to report.
      warnings.simplefilter('ignore')
      return ast.parse(source)
  except SyntaxError as e:
    raise SourceError(index, 'line %s: %s' % (e.lineno, e.msg)) from None
  except ValueError as e:  # null bytes, undecodable source
    raise SourceError(index, str(e)) from None


def _parse(index, source):
  """libcst module for `source` (str or bytes).

  Raises:
    SourceError: libcst cannot parse it.
  """
  try:
    return cst.parse_module(source)
  except cst.ParserSyntaxError as e:
    raise SourceError(index, str(e).strip().splitlines()[0]) from None


def _tensorflow_aliases(trees):
  """(`import tensorflow as X` names, bare `tensorflow`, already on v1?)."""
  aliases, bare, on_v1 = set(), False, False
  for node in (n for tree in trees for n in ast.walk(tree)):
    if isinstance(node, ast.Import):
      for alias in node.names:
        if alias.name == 'tensorflow' or alias.name.startswith(
            'tensorflow.'):
          if alias.name == 'tensorflow' and alias.asname:
            aliases.add(alias.asname)
          elif not alias.asname:
            bare = True
        on_v1 |= alias.name == 'tensorflow.compat.v1' and bool(alias.asname)
    elif isinstance(node, ast.ImportFrom) and node.module == 'tensorflow.compat':
      on_v1 |= any(alias.name == 'v1' for alias in node.names)
  return aliases, bare, on_v1


def _tf1_uses(trees, roots, sources):
  """Per module: (uses TF1-only API?, [(line, 'tf.x') that only TF 2 has]).

  Found on Python's own parse trees: the libcst pass does not visit the
  statements without `contrib`, and files without it are not given to
  libcst at all unless they change. Only top-level statements whose text
  names a root are walked (a large file's cost follows its TF code).
  """
  found = []
  root_word = re.compile(rb'\b(?:%s)\b' % b'|'.join(
      re.escape(r.encode()) for r in sorted(roots)) if roots else rb'(?!)')
  for tree, source in zip(trees, sources):
    lines = _text_lines(source)
    uses_tf1, v2_only = False, []
    stack = [statement for statement in tree.body
             if root_word.search(b''.join(
                 lines[statement.lineno - 1:statement.end_lineno]))]
    while stack:
      node = stack.pop()
      if not isinstance(node, ast.Attribute):
        stack.extend(ast.iter_child_nodes(node))
        continue
      # Whole chains only, as the libcst pass sees them: not `tf.a` in
      # `tf.a.b`; then on into what the chain starts from.
      parts, root = [], node
      while isinstance(root, ast.Attribute):
        parts.append(root.attr)
        root = root.value
      stack.append(root)
      if not (isinstance(root, ast.Name) and root.id in roots):
        continue
      api = _chain_api(parts[::-1])
      uses_tf1 |= api == 'v1'
      if api == 'v2':
        v2_only.append((node.lineno, node.col_offset,
                        '.'.join([root.id] + parts[::-1])))
    # In the order of the source, as libcst would visit them.
    found.append((uses_tf1, [(line, name) for line, _, name in
                             sorted(v2_only)]))
  return found


def _text_lines(source):
  """`source`'s lines (bytes), as ast numbers them (from 1 at index 0):
  split at \\n, \\r\\n and \\r only, as Python's tokenizer does."""
  if not isinstance(source, bytes):
    source = source.encode('utf-8')
  return source.splitlines(keepends=True)


def _v2_only_notes(uses):
  """Notes for _tf1_uses' TF 2-only names, which keep a file off compat.v1."""
  return [Note(i, line, name, 'not in tf.compat.v1, so `import tensorflow '
               'as tf` was kept; move the file to tf.compat.v1 by hand')
          for i, (_, names) in enumerate(uses) for line, name in names]


def _checked(index, source, out):
  """`out`, after Python's own parser accepted it (else nothing is written)."""
  if out != source:
    try:
      _check(index, out)
    except SourceError as e:
      raise AssertionError('contrib-compat-migrate produced code that does '
                           'not parse (%s); nothing was written' % e) from e
  return out


# `contrib` as a name of its own: not `contrib_compat`, which migrated files
# import, so that a second run over them stays on the fast path.
_CONTRIB_WORD = {False: re.compile(r'\bcontrib\b'),
                 True: re.compile(rb'\bcontrib\b')}


def _switch_only(trees, sources):
  """The file's Result when it has no `contrib`, else None.

  Such a file changes at most by moving `import tensorflow as tf` to
  tf.compat.v1 (when it uses TF1-only API): decided on Python's own fast
  parse trees; only a file that does change is parsed by libcst, and only
  the import fixer walks it.
  """
  if any(_CONTRIB_WORD[isinstance(s, bytes)].search(s) for s in sources):
    return None
  aliases, bare, on_v1 = _tensorflow_aliases(trees)
  unchanged = Result(list(sources), collections.Counter(), [])
  if not aliases or on_v1:
    return unchanged
  roots = aliases | ({'tensorflow'} if bare else set())
  uses = _tf1_uses(trees, roots, sources)
  if not any(uses_tf1 for uses_tf1, _ in uses):
    return unchanged
  v2_only = _v2_only_notes(uses)
  if v2_only:
    return Result(list(sources), collections.Counter(), v2_only)
  counts = collections.Counter()
  outputs = []
  for i, (source, tree) in enumerate(zip(sources, trees)):
    for sliced in (slices.slice_module(source, tree), None):
      fixer = _ImportFixer(True, None)
      module = _parse(i, sliced.source if sliced else source).visit(fixer)
      out = module.bytes if isinstance(source, bytes) else module.code
      if sliced is None:
        out = _checked(i, source, out)
        break
      out = sliced.splice(_checked(i, sliced.source, out))
      if out is not None:
        break
    counts.update(fixer.counts)
    outputs.append(out)
  return Result(outputs, counts, [])


def rewrite_sources(sources):
  """Rewrites the modules of one file; returns a `Result`.

  Args:
    sources: the file's modules in order, each `bytes` (a .py file: libcst
      honours its encoding cookie and BOM) or `str` (a notebook cell).

  Returns:
    Result: `outputs` has one entry per source, of the same type, identical
    when nothing changed; `counts` rewrites by kind; `notes` what is left.

  Raises:
    SourceError: a source does not parse; nothing was rewritten.
  """
  trees = [_check(i, s) for i, s in enumerate(sources)]
  fast = _switch_only(trees, sources)
  if fast is not None:
    return fast
  cut = [slices.slice_module(s, t) for s, t in zip(sources, trees)]
  if any(cut):
    result = _rewrite(sources, trees, cut)
    if result is not None:
      return result
  return _rewrite(sources, trees, [None] * len(sources))


def _rewrite(sources, trees, cut):
  """rewrite_sources' libcst passes; libcst sees `cut[i].source` where a
  module was sliced (slices.py). None when a slice cannot be put back."""
  modules = [_parse(i, c.source if c else s)
             for i, (s, c) in enumerate(zip(sources, cut))]
  pass_trees = [c.tree if c else t for t, c in zip(trees, cut)]
  imports = _Imports()
  for module in modules:
    module.visit(imports)
  rewriters = [_ContribRewriter(imports, i, m, t)
               for i, (m, t) in enumerate(zip(modules, pass_trees))]
  if any(c and not r.paired for c, r in zip(cut, rewriters)):
    return None  # unpaired: line numbers would be the stand-in's
  modules = [m.visit(r) for m, r in zip(modules, rewriters)]
  counts = collections.Counter()
  notes = []
  for r in rewriters:
    counts.update(r.counts)
    notes.extend(r.notes)

  # Files already on tf.compat.v1 are left on it, as they are; only the
  # others need _tf1_uses (a walk of every name chain).
  switch = False
  if imports.v2_aliases and not imports.v1:
    uses = _tf1_uses(trees, imports.v2, sources)
    if any(r.uses_contrib for r in rewriters) or any(
        uses_tf1 for uses_tf1, _ in uses):
      v2_only = _v2_only_notes(uses)
      notes.extend(v2_only)
      switch = not v2_only
  target = None
  needed = {r.needs_import for r in rewriters} - {None}
  repair = (any(r.needs_repair for r in rewriters) and
            not any(_calls_repair(t) for t in trees))
  # `import contrib_compat.slim` binds contrib_compat as well.
  needed = ('contrib_compat.slim' if 'contrib_compat.slim' in needed else
            'contrib_compat' if needed else None)
  if needed and not ({needed, 'contrib_compat.slim'} & imports.contrib_compat):
    with_tf = [i for i, m in enumerate(modules)
               if any(_imports_tensorflow(s) for s in m.body)]
    target = (with_tf or [i for i, r in enumerate(rewriters)
                          if r.needs_import])[0]
  repair_target = None
  if repair:
    # With the import added or already there; else where TF is imported.
    repair_target = target if target is not None else ([
        i for i, m in enumerate(modules)
        if _contrib_compat_import_index(m.body) is not None] + [
            i for i, m in enumerate(modules)
            if any(_imports_tensorflow(s) for s in m.body)] + [
                i for i, r in enumerate(rewriters) if r.needs_repair])[0]
  outputs = []
  for i, (module, source) in enumerate(zip(modules, sources)):
    if switch or i in (target, repair_target):
      fixer = _ImportFixer(switch, needed if i == target else None,
                           add_repair=i == repair_target)
      module = module.visit(fixer)
      counts.update(fixer.counts)
    out = module.bytes if isinstance(source, bytes) else module.code
    if cut[i]:
      # The stand-in parses, so the file does: the rest is unchanged
      # top-level definitions.
      out = cut[i].splice(_checked(i, cut[i].source, out))
      if out is None:
        return None
      outputs.append(out)
      continue
    outputs.append(_checked(i, source, out))
  return Result(outputs, counts, sorted(notes, key=lambda n: (n.module,
                                                              n.line)))
