"""The package reaches TensorFlow through its public API only.

The design rule, checked on the source: no `tensorflow.python` import, no
`tf.compat.v1.layers` (Keras' legacy layers), Keras (`keras`, `tf_keras`)
imported only inside keras_export.py's functions (lazily, never at import
time), and the two private tf.Operation methods tf.contrib.quantize's
rewrite needs used in contrib_compat/quantize/_graph_edit.py alone.
"""
import ast

from tests.conftest import REPO

PACKAGE = REPO / 'contrib_compat'
PRIVATE_OPERATION_METHODS = {'_update_input', '_set_attr'}
PRIVATE_CALLS_HOME = 'quantize/_graph_edit.py'
KERAS_HOME = 'keras_export.py'


def _dotted(node):
  """'a.b.c' for an Attribute chain on a Name, else None."""
  parts = []
  while isinstance(node, ast.Attribute):
    parts.append(node.attr)
    node = node.value
  if not isinstance(node, ast.Name):
    return None
  return '.'.join([node.id] + parts[::-1])


def _offences(source, where):
  """What `source` (the package's file `where`) does against the rule."""
  tree = ast.parse(source)
  inside_functions = set()
  for node in ast.walk(tree):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
      inside_functions.update(id(n) for n in ast.walk(node))
  for node in ast.walk(tree):
    names = []
    if isinstance(node, ast.Import):
      names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom):
      names = [node.module or '']
    for name in names:
      if name.startswith('tensorflow.python'):
        yield '%s:%d imports %s' % (where, node.lineno, name)
      if name.split('.')[0] in ('keras', 'tf_keras') and (
          where != KERAS_HOME or id(node) not in inside_functions):
        yield '%s:%d imports %s' % (where, node.lineno, name)
    if isinstance(node, ast.Attribute):
      dotted = _dotted(node) or ''
      if dotted.endswith('compat.v1.layers') or dotted in ('tf.layers',):
        yield '%s:%d uses %s' % (where, node.lineno, dotted)
      if (node.attr in PRIVATE_OPERATION_METHODS and
          where != PRIVATE_CALLS_HOME):
        yield '%s:%d calls %s' % (where, node.lineno, node.attr)


def test_only_public_tensorflow():
  offences = [o for path in sorted(PACKAGE.rglob('*.py'))
              for o in _offences(path.read_text(),
                                 str(path.relative_to(PACKAGE)))]
  assert not offences


def test_the_checker_sees_what_it_forbids():
  bad = ('from tensorflow.python.ops import nn\n'
         'import tensorflow.compat.v1 as tf\n'
         'import keras\n'
         'tf.compat.v1.layers.Dense\nop._update_input(0, t)\n')
  assert len(list(_offences(bad, 'quantize/fold.py'))) == 4
  assert len(list(_offences(bad, PRIVATE_CALLS_HOME))) == 3
  lazy = 'def to_keras():\n  import keras\n'
  assert list(_offences(lazy, KERAS_HOME)) == []
  assert len(list(_offences(lazy, 'slim.py'))) == 1


def test_keras_export_names_no_tf_keras_attribute():
  source = (PACKAGE / KERAS_HOME).read_text()
  assert 'tf.keras' not in source and 'tf2.keras' not in source
