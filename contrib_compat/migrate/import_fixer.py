"""Pass 2 of the rewrite: the file's imports.

`ImportFixer` moves `import tensorflow as tf` to `tf.compat.v1` where the
file is TF1 code, adds `import contrib_compat` (or `.slim`) where pass 1's
rewrites need it, and `contrib_compat.repair_tf_slim()` where the file now
builds tf_slim's nets; the helpers find where such lines go.
"""
import ast
import collections
import warnings

from contrib_compat.migrate import references
from contrib_compat.migrate import tables

with warnings.catch_warnings():
  # libcst 1.0 imports mypy_extensions.TypedDict, deprecated upstream.
  warnings.filterwarnings('ignore', 'mypy_extensions.TypedDict',
                          DeprecationWarning)
  import libcst as cst
  from contrib_compat.migrate import statements


def single_import(stmt):
  """The Import/ImportFrom that makes up the statement line `stmt`, or None."""
  if (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and
      isinstance(stmt.body[0], (cst.Import, cst.ImportFrom))):
    return stmt.body[0]
  return None


def tf_alias(stmt):
  """'tf' when `stmt` is exactly `import tensorflow as tf`, else None."""
  node = single_import(stmt)
  if (isinstance(node, cst.Import) and len(node.names) == 1 and
      node.names[0].asname and
      references.name_of(node.names[0].name) == 'tensorflow'):
    return node.names[0].asname.name.value
  return None


def imports_tensorflow(stmt):
  node = single_import(stmt)
  if isinstance(node, cst.Import):
    names = [references.name_of(a.name) for a in node.names]
  elif isinstance(node, cst.ImportFrom) and not node.relative:
    names = [references.name_of(node.module)]
  else:
    return False
  return any(n == 'tensorflow' or n.startswith('tensorflow.') for n in names)


def is_disable_call(stmt, alias=None):
  """Whether `stmt` is `<alias>.disable_v2_behavior()` (any alias if None)."""
  if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
    return False
  expr = stmt.body[0]
  if not (isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)):
    return False
  chain = references.dotted(expr.value.func) or []
  return (chain[-1:] == ['disable_v2_behavior'] and
          alias in (None, chain[0]))


def is_import_line(stmt):
  return (isinstance(stmt, cst.SimpleStatementLine) and
          all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body))


def import_position(body):
  """Where `import contrib_compat` goes in a module body.

  After the TensorFlow import (and its disable_v2_behavior() call) when there
  is one, else after the leading block of imports, else after the docstring.
  """
  for i, stmt in enumerate(body):
    if imports_tensorflow(stmt):
      if i + 1 < len(body) and is_disable_call(body[i + 1]):
        return i + 2
      return i + 1
  for i, stmt in enumerate(body):
    if is_import_line(stmt):
      while i < len(body) and is_import_line(body[i]):
        i += 1
      return i
  first = body[0] if body else None
  if (isinstance(first, cst.SimpleStatementLine) and
      isinstance(first.body[0], cst.Expr) and
      isinstance(first.body[0].value, (cst.SimpleString,
                                       cst.ConcatenatedString))):
    return 1
  return 0


def contrib_compat_import_index(body):
  """Index of a top-level `import contrib_compat[.slim]` in `body`, or None."""
  for i, stmt in enumerate(body):
    node = single_import(stmt)
    if (isinstance(node, cst.Import) and len(node.names) == 1 and
        node.names[0].asname is None and
        references.name_of(node.names[0].name) in ('contrib_compat',
                                                   'contrib_compat.slim')):
      return i
  return None


def calls_repair(tree):
  """Whether the `ast` tree calls `repair_tf_slim` (under any module name)."""
  return any(isinstance(n, ast.Call) and
             getattr(n.func, 'attr', getattr(n.func, 'id', None)) ==
             'repair_tf_slim' for n in ast.walk(tree))


class ImportFixer(cst.CSTTransformer):
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
      alias = tf_alias(stmt)
      out.append(stmt)
      if alias is None:
        continue
      node = stmt.body[0]
      out[-1] = stmt.with_changes(body=[node.with_changes(names=[
          node.names[0].with_changes(
              name=cst.parse_expression('tensorflow.compat.v1'))])])
      self.counts[tables.KIND_COMPAT_V1] += 1
      if not (i + 1 < len(body) and is_disable_call(body[i + 1], alias)):
        out.append(cst.parse_statement('%s.disable_v2_behavior()' % alias))
    return out

  def leave_IndentedBlock(self, original_node, updated_node):
    return updated_node.with_changes(body=self._fix(list(updated_node.body)))

  def leave_SimpleStatementLine(self, original_node, updated_node):
    # A line that is exactly `import tensorflow as tf` is _fix's, which puts
    # disable_v2_behavior() on a line of its own.
    if not self._switch or tf_alias(original_node) is not None:
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
        is_tf = name.asname and references.name_of(name.name) == 'tensorflow'
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
        self.counts[tables.KIND_COMPAT_V1] += 1
    return out

  def leave_Module(self, original_node, updated_node):
    body = self._fix(list(updated_node.body))
    if self._add_import:
      self.counts[tables.KIND_IMPORT] += 1
      body.insert(import_position(body),
                  cst.parse_statement('import ' + self._add_import))
    if self._add_repair:
      at = contrib_compat_import_index(body)
      if at is None:
        self.counts[tables.KIND_IMPORT] += 1
        at = import_position(body)
        body.insert(at, cst.parse_statement('import contrib_compat'))
      self.counts[tables.KIND_REPAIR] += 1
      body.insert(at + 1, cst.parse_statement(
          'contrib_compat.repair_tf_slim()'))
    return updated_node.with_changes(body=body)
