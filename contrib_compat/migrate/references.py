"""Pass 1 of the rewrite: `tf.contrib` references to their new homes.

`contrib_target` decides where `tf.contrib.<rest>` goes (this package, tf_slim
through it, or a TF 2 name), reading the tables (tables.py) and asking the
installed packages through a `Lookup` (lookup.py); `ContribRewriter` applies
that to one module's libcst tree, visiting only the statements that can
change (statements.py), and reports what it could not rewrite as Notes.
`Imports` first collects which names a file binds to TensorFlow.
"""
import collections
import warnings

from contrib_compat import moved
from contrib_compat import replacements
from contrib_compat.migrate import results
from contrib_compat.migrate import tables

with warnings.catch_warnings():
  # libcst 1.0 imports mypy_extensions.TypedDict, deprecated upstream; the
  # warning says nothing about this tool or the user's code.
  warnings.filterwarnings('ignore', 'mypy_extensions.TypedDict',
                          DeprecationWarning)
  import libcst as cst
  from libcst import helpers
  # It imports libcst.metadata, which warns the same.
  from contrib_compat.migrate import statements


def dotted(node):
  """['a', 'b', 'c'] for the pure name chain `a.b.c`, else None."""
  parts = []
  while isinstance(node, cst.Attribute):
    parts.append(node.attr.value)
    node = node.value
  if not isinstance(node, cst.Name):
    return None
  parts.append(node.value)
  return parts[::-1]


def name_of(node):
  return helpers.get_full_name_for_node(node) if node is not None else None


def contrib_target(lookup, rest, root='tf'):
  """(target, kind) for `tf.contrib.<rest...>`, or (None, None).

  Args:
    lookup: the `Lookup` answering what the installed packages have.
    rest: the names after `contrib`, e.g. ['layers', 'conv2d'].
    root: the name the reference starts with, which a TF 2 name keeps.
  """
  if not rest:
    return None, None
  home = moved.home('.'.join(rest))
  if home and home.startswith('contrib_compat.'):
    return home, tables.KIND_MOVED
  if home:
    path = lookup.tf_spelling(home)
    return (root + '.' + path, tables.KIND_MOVED) if path else (None, None)
  table_module = moved.module_for_path('.'.join(rest))
  if table_module and table_module not in tables.MODULE_BINDINGS:
    path = lookup.module_home(table_module)
    if path is None:
      return None, None
    if path.startswith('tensorflow.'):
      path = root + path[len('tensorflow'):]
    return path, tables.KIND_MOVED
  sub, names = rest[0], rest[1:]
  if names and (names[0].startswith('_') or names[0] == 'python'):
    # Attribute chains through contrib's implementation modules are rare and
    # left to a human; imports of those modules are rewritten (_from_package).
    return None, None
  tail = '.'.join(names)
  if sub == 'layers':
    if not names:
      return 'contrib_compat.layers', tables.KIND_LAYERS
    if names[0] in tables.OWN_LAYERS:
      kind = (tables.KIND_BATCH_NORM if names[0] == 'batch_norm' else
              tables.KIND_SEPARABLE)
      return 'contrib_compat.' + tail, kind
    module = lookup.provider(names[0], tables.LAYERS_MODULES)
    return ((module + '.' + tail, tables.KIND_LAYERS) if module else
            (None, None))
  if sub == 'slim':
    if names and not lookup.provider(names[0], ['contrib_compat.slim']):
      return None, None
    return ('contrib_compat.slim' + ('.' + tail if tail else ''),
            tables.KIND_SLIM)
  if sub == 'framework':
    if not names:
      return 'contrib_compat.slim', tables.KIND_FRAMEWORK
    if names[0] in tables.ARG_SCOPE:
      return 'contrib_compat.' + tail, tables.KIND_ARG_SCOPE
    if names[0] in tables.FRAMEWORK_IN_TF_SLIM and lookup.provides(
        'contrib_compat.slim', names[0]):
      return 'contrib_compat.slim.' + tail, tables.KIND_FRAMEWORK
  if sub == 'training':
    if names and not lookup.provides('contrib_compat.training', names[0]):
      return None, None
    return ('contrib_compat.training' + ('.' + tail if tail else ''),
            tables.KIND_TRAINING)
  return None, None


def scattered(table_module):
  """Advice for a contrib module whose names went to several places, or of
  which only some are rebuilt here (moved.PARTIAL_MODULES)."""
  homes = moved.names_in(table_module)
  if table_module in moved.PARTIAL_MODULES:
    return 'use ' + replacements.replacement_for(table_module)
  modules = sorted({home.rpartition('.')[0] for home in homes.values()})
  renamed = sorted('%s is %s' % (leaf, home) for leaf, home in homes.items()
                   if home.rpartition('.')[2] != leaf)
  return 'import its names from %s%s' % (
      ', '.join(modules), '; ' + ', '.join(renamed) if renamed else '')


def from_import(path, asname):
  """`from <parent> import <leaf> [as asname]` for a dotted module path."""
  parent, _, leaf = path.rpartition('.')
  suffix = '' if asname in (None, leaf) else ' as ' + asname
  return cst.parse_statement('from %s import %s%s' % (parent, leaf, suffix)
                             ).body[0]


class Imports(cst.CSTVisitor):
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
      name = name_of(alias.name)
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
    if node.relative or name_of(node.module) != 'tensorflow.compat':
      return
    if isinstance(node.names, cst.ImportStar):
      return
    for alias in node.names:
      if name_of(alias.name) == 'v1':
        self.v1.add(alias.asname.name.value if alias.asname else 'v1')


class ContribRewriter(cst.CSTTransformer):
  """Pass 1: tf.contrib references -> contrib_compat / tf_slim.

  It visits only the statements that name `contrib` or a name bound to
  tf.contrib.framework (the others have nothing for it), as paired with
  the module's `ast` tree by statements.pair.
  """

  def __init__(self, imports, module_index, module, tree, lookup):
    super().__init__()
    self._lookup = lookup
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
    self.notes.append(results.Note(
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
    parts = dotted(node)
    if parts is None:
      return True
    if parts[0] in self.framework_names and parts[1] not in (
        tables.FRAMEWORK_IN_TF_SLIM):
      self._note(node, 'framework.' + '.'.join(parts[1:]))
    if parts[0] not in self._roots:
      return False
    if parts[1] == 'contrib':
      self.uses_contrib = True
      target, kind = contrib_target(self._lookup, parts[2:], root=parts[0])
      if target and '#' in cst.Module([]).code_for_node(node):
        # A comment between the names: the new name could not keep it.
        self._note(node, '.'.join(parts[2:]), 'a comment inside the name; '
                   'use %s' % target)
      elif target is None:
        self._note(node, '.'.join(parts[2:]))
      else:
        self._pending[node] = self._rewritten(node, target, kind)
    # A pure chain has nothing below it to rewrite. (TF1 and TF 2-only
    # names are found by rewrite._tf1_uses, on the `ast` tree.)
    return False

  def leave_Attribute(self, original_node, updated_node):
    return self._pending.pop(original_node, updated_node)

  # `slim = tf.contrib.slim` -> `from contrib_compat import slim`.

  def visit_Assign(self, node):
    parts = dotted(node.value)
    if (len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name)
        and parts and len(parts) == 3 and parts[0] in self._roots and
        parts[1] == 'contrib' and parts[2] in tables.MODULE_BINDINGS and
        '#' not in cst.Module([]).code_for_node(node.value)):
      self.uses_contrib = True
      self._pending[node] = self._binding(
          node, parts[2], node.targets[0].target.value)
      return False
    return True

  def leave_Assign(self, original_node, updated_node):
    return self._pending.pop(original_node, updated_node)

  def _binding(self, node, sub, name, count=True):
    module, kind = tables.MODULE_BINDINGS[sub]
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
               if name_of(a.name).startswith('tensorflow.contrib')]
    if not contrib:
      return updated_node
    self.uses_contrib = True
    if len(updated_node.names) > 1:
      for alias in contrib:
        self._note(original_node, name_of(alias.name)[len('tensorflow.'):])
      return updated_node
    alias = contrib[0]
    rest = name_of(alias.name).split('.')[2:]
    if alias.asname is None:
      # Binds `tensorflow`: each tensorflow.contrib.* use is rewritten (or
      # reported) on its own, so only the import of contrib itself goes.
      if rest and contrib_target(self._lookup, rest)[0] is None:
        self._note(original_node, '.'.join(rest))
        return updated_node
      return updated_node.with_changes(names=[
          alias.with_changes(name=cst.Name('tensorflow'))])
    asname = alias.asname.name.value
    if len(rest) == 1 and rest[0] in tables.MODULE_BINDINGS:
      return self._binding(updated_node, rest[0], asname)
    table_module = moved.module_for_path('.'.join(rest))
    if table_module and table_module not in tables.MODULE_BINDINGS:
      home = self._lookup.module_home(table_module)
      if home is None:
        self._note(original_node, '.'.join(rest), scattered(table_module))
        return updated_node
      self.counts[tables.KIND_MOVED] += 1
      if self._lookup.module_exists(home):
        return updated_node.with_changes(names=[alias.with_changes(
            name=cst.parse_expression(home))])
      return from_import(home, asname).with_changes(
          semicolon=updated_node.semicolon)
    where = replacements.implementation_module('.'.join(rest))
    if where in tables.MODULE_BINDINGS:
      # `import tensorflow.contrib.layers.python.layers.layers as layers_lib`
      self.counts[tables.KIND_IMPLEMENTATION] += 1
      return self._binding(updated_node, where, asname, count=False)
    if where and self._lookup.module_exists(where):
      self._counts_tf_slim_module(where)
      return updated_node.with_changes(names=[alias.with_changes(
          name=cst.parse_expression(where))])
    self._note(original_node, '.'.join(rest))
    return updated_node

  def _counts_tf_slim_module(self, module, kind=None):
    self.counts[kind or (tables.KIND_NETS
                         if module.startswith('tf_slim.nets') else
                         tables.KIND_IMPLEMENTATION)] += 1
    self.needs_repair = True

  # from tensorflow.contrib[.x] import a, b

  def leave_ImportFrom(self, original_node, updated_node):
    module = name_of(updated_node.module)
    if updated_node.relative or module is None:
      return updated_node
    star = isinstance(updated_node.names, cst.ImportStar)
    names = [] if star else [name_of(a.name) for a in updated_node.names]
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
        self.counts[tables.MODULE_BINDINGS[name][1]] += 1
      # `framework` is no module here: contrib_compat.slim has its arg_scope
      # and variable helpers under the same names.
      new_names = []
      for alias in updated_node.names:
        if name_of(alias.name) == 'framework':
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
        homes[name] = self._lookup.import_home(moved.home(dotted))
      elif table_module and dotted not in tables.MODULE_BINDINGS:
        path = self._lookup.module_home(table_module)
        homes[name] = path and tuple(path.rsplit('.', 1))
        if path is None:
          self._note(original_node, dotted, scattered(table_module))
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
      name = name_of(alias.name)
      new = homes[name][1]
      if new != name and alias.asname is None:
        alias = alias.with_changes(asname=cst.AsName(name=cst.Name(name)))
      aliases.append(alias.with_changes(name=cst.Name(new)))
    self.counts[tables.KIND_MOVED] += 1
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
    if where in tables.MODULE_BINDINGS:
      return self._from_package(node, rest, where, names)
    if not rest:
      bad = [n for n in names if n not in tables.MODULE_BINDINGS]
      result = ('contrib_compat', None)
    elif rest == ['layers'] and all(n in tables.OWN_LAYERS for n in names):
      result = ('contrib_compat', tables.KIND_BATCH_NORM
                if names == ['batch_norm'] else tables.KIND_SEPARABLE)
    elif rest == ['layers']:
      modules = [m for m in tables.LAYERS_MODULES
                 if all(self._lookup.provides(m, n) for n in names)]
      bad = [n for n in names
             if not self._lookup.provider(n, tables.LAYERS_MODULES)]
      # Each name may exist while no one module has them all: rare enough
      # (contrib_compat.slim has every layer) to leave to a human.
      bad = bad or ([] if modules else names)
      result = (modules[0] if modules else None, tables.KIND_LAYERS)
    elif rest == ['slim'] and names == ['nets']:
      result = ('tf_slim', tables.KIND_NETS)
    elif rest == ['slim']:
      bad = [n for n in names
             if not self._lookup.provides('contrib_compat.slim', n)]
      result = ('contrib_compat.slim', tables.KIND_SLIM)
    elif rest == ['training']:
      bad = [n for n in names
             if not self._lookup.provides('contrib_compat.training', n)]
      result = ('contrib_compat.training', tables.KIND_TRAINING)
    elif rest == ['framework']:
      bad = [n for n in names if n not in tables.FRAMEWORK_IN_TF_SLIM or
             not self._lookup.provides('contrib_compat.slim', n)]
      arg_scope = all(n in tables.ARG_SCOPE for n in names)
      result = (('contrib_compat', tables.KIND_ARG_SCOPE) if arg_scope else
                ('contrib_compat.slim', tables.KIND_FRAMEWORK))
    elif where and self._lookup.module_exists(where):
      # tensorflow.contrib.slim.nets.resnet_v1, ...layers.python.layers.utils
      bad = [n for n in names
             if not (self._lookup.provides(where, n) or
                     self._lookup.module_exists(where + '.' + n))]
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
      if package == 'framework' and name in tables.FRAMEWORK_IN_TF_SLIM:
        functions.append(name)
      elif sub == name and sub in tables.MODULE_BINDINGS:
        modules[name] = ('contrib_compat', tables.KIND_IMPLEMENTATION)
      elif sub in tables.MODULE_BINDINGS:
        # `from tensorflow.contrib.training.python.training import hparam`:
        # a module standing for one of ours under another name.
        self._note(node, '.'.join(rest + [name]), 'use from contrib_compat '
                   'import %s as %s' % (tables.MODULE_BINDINGS[sub][0], name))
        return None, None
      elif (sub and sub.startswith('tf_slim.') and
            self._lookup.module_exists(sub)):
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
    aliases = {name_of(a.name): a for a in original_node.body[0].names}
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
