"""Which statements a migration pass must visit, and the lines of its nodes.

libcst visits every node of a module, and its line numbers come from
PositionProvider, which regenerates the whole module's code to find them:
most of the time migration spent on a file. Yet the passes need little:
the import passes look at statements only, never inside expressions, and
the tf.contrib pass only at statements that name `contrib` (or a name bound
to tf.contrib.framework). Python's own `ast` tree of the file, parsed anyway
to check it, says which statements those are and on which line each starts;
paired with libcst's statements it lets a pass skip the others and count
lines one statement at a time.

Pairs are made for a module's statements and, inside them, for those of
class and function bodies; where the two parsers disagree on the statements
(they should not), nothing is paired and the pass visits the whole module.
"""
import ast

import libcst as cst
from libcst import metadata

# The nodes that hold statements: a pass that looks at statements only
# needs to visit no other kind.
STATEMENT_HOLDERS = tuple(
    getattr(cst, name) for name in (
        'Module', 'BaseCompoundStatement', 'BaseSuite', 'SimpleStatementLine',
        'Else', 'Finally', 'ExceptHandler', 'ExceptStarHandler', 'MatchCase',
        'Import', 'ImportFrom') if hasattr(cst, name))
# Where libcst's statement class names differ from ast's (after ast's
# `Async` prefix is dropped: libcst marks `async` with an attribute).
_AST_NAMES = {'Del': 'Delete'}


def holds_statements(node):
  return isinstance(node, STATEMENT_HOLDERS)


def pair(module, tree):
  """{libcst statement: its ast statements} for `module`, {} on disagreement.

  A libcst line of `;`-separated statements stands for all of them.
  """
  pairs = {}
  try:
    _pair(module.body, tree.body, pairs)
  except (StopIteration, TypeError):
    return {}
  return pairs


def _pair(cst_body, ast_body, pairs):
  ast_statements = iter(ast_body)
  for statement in cst_body:
    if isinstance(statement, cst.SimpleStatementLine):
      small = [_twin(s, next(ast_statements)) for s in statement.body]
      pairs[statement] = _Line(small)
      continue
    twin = _twin(statement, next(ast_statements))
    if isinstance(statement, (cst.ClassDef, cst.FunctionDef)) and isinstance(
        statement.body, cst.IndentedBlock):
      _pair(statement.body.body, twin.body, pairs)
    pairs[statement] = _Line([twin])
  if next(ast_statements, None) is not None:
    raise TypeError('more ast statements')


def _twin(statement, twin):
  """`twin`, after checking that it is the same kind of statement."""
  name = type(statement).__name__
  if type(twin).__name__.replace('Async', '', 1) != _AST_NAMES.get(name, name):
    raise TypeError('%s paired with %s' % (name, type(twin).__name__))
  return twin


class _Line(object):
  """The ast statements of one libcst statement (several on a `;` line)."""

  def __init__(self, statements):
    self.statements = statements
    self.lineno = statements[0].lineno

  def walk(self):
    for statement in self.statements:
      yield from ast.walk(statement)


def names_contrib(twin):
  """Whether the statement names `contrib`: an attribute, name or import."""
  for node in twin.walk():
    if isinstance(node, ast.Attribute):
      if node.attr == 'contrib':
        return True
    elif isinstance(node, ast.Name):
      if node.id == 'contrib':
        return True
    elif isinstance(node, ast.alias):
      if 'contrib' in node.name.split('.'):
        return True
    elif isinstance(node, ast.ImportFrom):
      if node.module and 'contrib' in node.module.split('.'):
        return True
  return False


def names_any(twin, names):
  """Whether the statement uses one of `names` as a name."""
  return any(isinstance(node, ast.Name) and node.id in names
             for node in twin.walk())


class Lines(object):
  """Line numbers of a module's nodes, found one statement at a time.

  A pass calls `enter` / `leave` on the paired statements it visits;
  `line(node)` is then the line a node of the innermost one starts on: its
  ast line, plus the node's offset in that statement's own code. Without a
  pair (a node outside paired statements, or none were paired), the whole
  module's positions are computed once.
  """

  def __init__(self, module):
    self._module = module
    self._open = []  # (statement, its _Line)
    self._positions = {}  # statement or module -> PositionProvider's map

  def enter(self, statement, twin):
    self._open.append((statement, twin))

  def leave(self, statement):
    if self._open and self._open[-1][0] is statement:
      self._open.pop()

  def line(self, node):
    if not self._open:
      if self._module not in self._positions:
        self._positions[self._module] = _positions_in(self._module)
      return self._positions[self._module][node].start.line
    statement, twin = self._open[-1]
    if statement not in self._positions:
      # The statement alone, as the module would write it.
      self._positions[statement] = _positions_in(self._module.with_changes(
          header=(), body=[statement], footer=()))
    positions = self._positions[statement]
    return (twin.lineno + positions[node].start.line -
            positions[statement].start.line)


def _positions_in(module):
  return metadata.MetadataWrapper(module, unsafe_skip_copy=True).resolve(
      metadata.PositionProvider)
