"""migrate/statements.py: passes visit the statements they need, same lines."""
import ast
import pathlib

import pytest

# rewrite imports libcst (and its metadata) quietly: first.
from contrib_compat.migrate import references
from contrib_compat.migrate import rewrite
from contrib_compat.migrate import statements

cst = statements.cst
metadata = statements.metadata

REPO = pathlib.Path(__file__).resolve().parent.parent

# What line counting could get wrong: decorators, `;` lines, continuation
# lines, comments and blank lines owned by the next statement, nested
# classes, one-line bodies, async code, strings over several lines.
TRICKY = '''"""Doc."""
# leading comment

import os; import sys


@decorator(
    1)
@other.attr
class Outer(Base,
            metaclass=Meta):  # trailing
  """Class doc."""

  x = 1; y = (2 +
              3)

  # comment before a method
  @staticmethod
  def method(a, b=tf.zeros([
      1])):
    value = a.b.c \\
        .d(f"{a.e}")
    if value:
      return [tf.x for tf in value]
    return lambda: a.b

  class Inner: pass

  async def run(self):
    async with self.lock as lock:
      await lock.wait(); self.done = True

def one_line(): return tf.ones.shape
text = """several
lines""" + tf.a
'''


class _LinesChecker(cst.CSTVisitor):
  """Compares Lines.line with PositionProvider's line for every node."""

  def __init__(self, module, tree):
    super().__init__()
    self.pairs = statements.pair(module, tree)
    self.lines = statements.Lines(module)
    self.full = metadata.MetadataWrapper(
        module, unsafe_skip_copy=True).resolve(metadata.PositionProvider)
    self.checked = 0
    self.wrong = []

  def on_visit(self, node):
    if node in self.pairs:
      self.lines.enter(node, self.pairs[node])
    if node in self.full and not isinstance(node, cst.Module):
      self.checked += 1
      if self.lines.line(node) != self.full[node].start.line:
        self.wrong.append((type(node).__name__, self.lines.line(node),
                           self.full[node].start.line))
    return True

  def on_leave(self, original_node):
    self.lines.leave(original_node)


def _corpus():
  yield 'tricky', TRICKY
  yield 'tricky, CRLF', TRICKY.replace('\n', '\r\n')
  yield 'tricky, tabs', TRICKY.replace('  ', '\t')
  for path in sorted((REPO / 'contrib_compat' / 'migrate').glob('*.py')):
    yield path.name, path.read_text()


@pytest.mark.parametrize('name,source', list(_corpus()),
                         ids=[name for name, _ in _corpus()])
def test_lines_are_libcst_positions(name, source):
  module = cst.parse_module(source)
  checker = _LinesChecker(module, ast.parse(source))
  assert checker.pairs, name
  module.visit(checker)
  assert checker.checked > 20
  assert not checker.wrong


def test_pairs_reach_into_class_and_function_bodies():
  module = cst.parse_module(TRICKY)
  pairs = statements.pair(module, ast.parse(TRICKY))
  outer = module.body[2]
  method = outer.body.body[2]
  assert isinstance(method, cst.FunctionDef)
  assert pairs[method].lineno == 19  # `def`, after its decorator
  # A `;` line stands for all its statements.
  assert [type(s).__name__ for s in pairs[module.body[1]].statements] == [
      'Import', 'Import']
  if_statement = method.body.body[1]
  assert if_statement in pairs
  # Inside `if`: not paired (the `if` stands for it).
  assert if_statement.body.body[0] not in pairs


def test_trees_that_disagree_pair_nothing_and_lines_stay_right():
  source = 'import tensorflow as tf\n\nx = tf.contrib.a\n'
  module = cst.parse_module(source)
  assert statements.pair(module, ast.parse('x = 1\n')) == {}
  # As many statements, of other kinds.
  assert statements.pair(module, ast.parse('del x\n\nx = 1\n')) == {}
  assert statements.pair(cst.parse_module('if x:\n  pass\n'),
                         ast.parse('while x:\n  pass\n')) == {}
  # Same kinds, ast's `async` spelled as libcst's, `del` as `Delete`.
  for same in ('async def f():\n  pass\n', 'del x\n'):
    assert statements.pair(cst.parse_module(same), ast.parse(same))
  checker = _LinesChecker(module, ast.parse('x = 1\n'))
  module.visit(checker)
  assert checker.checked and not checker.wrong


def _inspected_chains(monkeypatch, source):
  """The code of every attribute the tf.contrib pass looked at."""
  seen = []
  real = references.dotted

  def recording(node):
    if isinstance(node, cst.Attribute):
      seen.append(cst.Module([]).code_for_node(node))
    return real(node)

  monkeypatch.setattr(references, 'dotted', recording)
  result = rewrite.rewrite_sources([source.encode()])
  return seen, result


NESTED = '''import tensorflow as tf
fw = tf.contrib.framework


def untouched(x):
  return tf.nn.relu(x) + other.attr


class Model(object):

  def plain(self):
    return self.value.attr

  @tf.contrib.framework.add_arg_scope
  def layer(self, x):
    x = tf.contrib.layers.batch_norm(x)
    return tf.contrib.distributions.Normal(
        x, 1.)

  def nested(self):
    return fw.nest.flatten(self)
'''


def test_contrib_pass_looks_only_at_statements_naming_contrib(monkeypatch):
  seen, result = _inspected_chains(monkeypatch, NESTED)
  assert 'tf.contrib.layers.batch_norm' in seen
  assert 'tf.contrib.framework.add_arg_scope' in seen
  # Bound to contrib.framework above: looked at although it has no contrib.
  assert 'fw.nest.flatten' in seen
  for skipped in ('tf.nn.relu', 'other.attr', 'self.value.attr'):
    assert skipped not in seen
  out = result.outputs[0].decode()
  assert '@contrib_compat.add_arg_scope\n' in out
  assert 'x = contrib_compat.batch_norm(x)\n' in out
  assert [(n.line, n.name) for n in result.notes] == [
      (17, 'tf.contrib.distributions.Normal'),
      (21, 'tf.contrib.framework.nest.flatten')]


def test_line_numbers_in_nested_code_match_the_whole_module(monkeypatch):
  # Every statement visited (none skipped) gives the same notes.
  _, skipping = _inspected_chains(monkeypatch, NESTED)
  monkeypatch.setattr(statements, 'pair', lambda module, tree: {})
  _, whole = _inspected_chains(monkeypatch, NESTED)
  assert whole.notes == skipping.notes
  assert whole.outputs == skipping.outputs


DEEP_IMPORTS = '''import os


class A:
  def f(self):
    if os:
      try:
        import tensorflow as tf
      except ImportError:
        with open(os.devnull):
          import tensorflow as tf
      finally:
        pass
    for _ in ():
      pass
    else:
      while False:
        pass
      else:
        import tensorflow as tf
    return tf.Session()
'''


def test_import_passes_reach_imports_at_any_depth():
  out = rewrite.rewrite_sources([DEEP_IMPORTS.encode()]).outputs[0].decode()
  # All three imports move, each followed by its own disable call.
  assert out.count('import tensorflow.compat.v1 as tf\n') == 3
  assert 'import tensorflow as tf' not in out
  for indent in (' ' * 8, ' ' * 10, ' ' * 8):
    assert ('%simport tensorflow.compat.v1 as tf\n%stf.disable_v2_behavior()'
            '\n' % (indent, indent)) in out


def test_a_nested_compat_v1_import_is_seen():
  source = ('import tensorflow as tf\nx = tf.contrib.slim\n'
            'def f():\n  import tensorflow.compat.v1 as tf1\n')
  out = rewrite.rewrite_sources([source.encode()]).outputs[0].decode()
  # A file already partly on tf.compat.v1 keeps its imports as they are.
  assert out.startswith('import tensorflow as tf\n')
