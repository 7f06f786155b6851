"""The libcst rewrites behind `contrib-compat-migrate`.

The pipeline; the passes are references.py (tf.contrib references) and
import_fixer.py (imports), the tables tables.py, the questions about the
installed packages lookup.py.

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
import re
import warnings

from contrib_compat.migrate import import_fixer
from contrib_compat.migrate import lookup as lookup_module
from contrib_compat.migrate import references
from contrib_compat.migrate import slices
from contrib_compat.migrate.results import Note
from contrib_compat.migrate.results import Result
from contrib_compat.migrate.results import SourceError

with warnings.catch_warnings():
  # libcst 1.0 imports mypy_extensions.TypedDict, deprecated upstream.
  warnings.filterwarnings('ignore', 'mypy_extensions.TypedDict',
                          DeprecationWarning)
  import libcst as cst


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


def _tf1_uses(trees, roots, sources, lookup):
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
      api = lookup.chain_api(parts[::-1])
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


def _switch_only(trees, sources, lookup):
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
  uses = _tf1_uses(trees, roots, sources, lookup)
  if not any(uses_tf1 for uses_tf1, _ in uses):
    return unchanged
  v2_only = _v2_only_notes(uses)
  if v2_only:
    return Result(list(sources), collections.Counter(), v2_only)
  counts = collections.Counter()
  outputs = []
  for i, (source, tree) in enumerate(zip(sources, trees)):
    for sliced in (slices.slice_module(source, tree), None):
      fixer = import_fixer.ImportFixer(True, None)
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


def rewrite_sources(sources, lookup=None):
  """Rewrites the modules of one file; returns a `Result`.

  Args:
    sources: the file's modules in order, each `bytes` (a .py file: libcst
      honours its encoding cookie and BOM) or `str` (a notebook cell).
    lookup: the `lookup.Lookup` to ask what the installed packages have
      (default: a new one, remembering nothing from earlier calls).

  Returns:
    Result: `outputs` has one entry per source, of the same type, identical
    when nothing changed; `counts` rewrites by kind; `notes` what is left.

  Raises:
    SourceError: a source does not parse; nothing was rewritten.
  """
  trees = [_check(i, s) for i, s in enumerate(sources)]
  lookup = lookup or lookup_module.Lookup()
  fast = _switch_only(trees, sources, lookup)
  if fast is not None:
    return fast
  cut = [slices.slice_module(s, t) for s, t in zip(sources, trees)]
  if any(cut):
    result = _rewrite(sources, trees, cut, lookup)
    if result is not None:
      return result
  return _rewrite(sources, trees, [None] * len(sources), lookup)


def _rewrite(sources, trees, cut, lookup):
  """rewrite_sources' libcst passes; libcst sees `cut[i].source` where a
  module was sliced (slices.py). None when a slice cannot be put back."""
  modules = [_parse(i, c.source if c else s)
             for i, (s, c) in enumerate(zip(sources, cut))]
  pass_trees = [c.tree if c else t for t, c in zip(trees, cut)]
  imports = references.Imports()
  for module in modules:
    module.visit(imports)
  rewriters = [references.ContribRewriter(imports, i, m, t, lookup)
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
    uses = _tf1_uses(trees, imports.v2, sources, lookup)
    if any(r.uses_contrib for r in rewriters) or any(
        uses_tf1 for uses_tf1, _ in uses):
      v2_only = _v2_only_notes(uses)
      notes.extend(v2_only)
      switch = not v2_only
  target = None
  needed = {r.needs_import for r in rewriters} - {None}
  repair = (any(r.needs_repair for r in rewriters) and
            not any(import_fixer.calls_repair(t) for t in trees))
  # `import contrib_compat.slim` binds contrib_compat as well.
  needed = ('contrib_compat.slim' if 'contrib_compat.slim' in needed else
            'contrib_compat' if needed else None)
  if needed and not ({needed, 'contrib_compat.slim'} & imports.contrib_compat):
    with_tf = [i for i, m in enumerate(modules)
               if any(import_fixer.imports_tensorflow(s) for s in m.body)]
    target = (with_tf or [i for i, r in enumerate(rewriters)
                          if r.needs_import])[0]
  repair_target = None
  if repair:
    # With the import added or already there; else where TF is imported.
    repair_target = target if target is not None else ([
        i for i, m in enumerate(modules)
        if import_fixer.contrib_compat_import_index(m.body) is not None] + [
            i for i, m in enumerate(modules)
            if any(import_fixer.imports_tensorflow(s) for s in m.body)] + [
                i for i, r in enumerate(rewriters) if r.needs_repair])[0]
  outputs = []
  for i, (module, source) in enumerate(zip(modules, sources)):
    if switch or i in (target, repair_target):
      fixer = import_fixer.ImportFixer(switch, needed if i == target else None,
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
