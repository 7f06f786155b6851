"""Tests for contrib_compat/migrate/tf_api.py: TF's API read from its files.

The reader must never contradict the imported TensorFlow: every answer other
than UNKNOWN is checked against `getattr` on `tf` / `tf.compat.v1`, for every
name the generated files bind and every name `dir()` shows.
"""
import subprocess
import sys
import textwrap
import types

import pytest
import tensorflow as tf

from contrib_compat.migrate import tf_api
from tests.conftest import REPO

_ROOTS = {'v2': tf, 'v1': tf.compat.v1}
_SKIPPED_ROOTS = ('keras', 'estimator', 'lite')  # lazily loaded packages


def _resolves(obj, dotted):
  for part in dotted.split('.'):
    try:
      obj = getattr(obj, part)
    except Exception:
      return False
  return True


@pytest.fixture(scope='module')
def api():
  return tf_api.Api()


def _contradictions(api, api_name, names):
  wrong = []
  for dotted in names:
    answer = api.has(api_name, dotted)
    if answer != tf_api.UNKNOWN and answer != _resolves(_ROOTS[api_name],
                                                        dotted):
      wrong.append(dotted)
  return wrong


def _public(dotted):
  parts = dotted.split('.')
  return parts[0] not in _SKIPPED_ROOTS and not parts[-1].startswith('_')


@pytest.mark.parametrize('api_name', ['v2', 'v1'])
def test_every_name_the_files_bind_agrees_with_tensorflow(api, api_name):
  names = [n for n in api.names(api_name, depth=6) if _public(n)]
  assert len(names) > 3000
  assert _contradictions(api, api_name, names) == []


def _dir_names(root, prefix='', depth=3):
  """Dotted names `dir()` shows under `root`'s generated namespaces."""
  for name in dir(root):
    if name.startswith('_') or (not prefix and name in _SKIPPED_ROOTS):
      continue
    yield prefix + name
    try:
      value = getattr(root, name)
      module_name = getattr(value, '__name__', '')
    except Exception:
      continue
    if (depth > 1 and isinstance(value, types.ModuleType) and
        module_name.startswith('tensorflow._api')):
      yield from _dir_names(value, prefix + name + '.', depth - 1)


@pytest.mark.parametrize('api_name', ['v2', 'v1'])
def test_every_name_dir_shows_agrees_and_few_are_unknown(api, api_name):
  names = [n for n in _dir_names(_ROOTS[api_name]) if n.split('.')[0] !=
           'compat']
  absent = ['contrib', 'contrib.slim', 'no_such_name', 'nn.no_such_name',
            'train.no_such_name']
  assert _contradictions(api, api_name, names + absent) == []
  unknown = [n for n in names if api.has(api_name, n) == tf_api.UNKNOWN]
  assert len(unknown) <= len(names) // 100, unknown


@pytest.mark.parametrize('api_name, dotted, expected', [
    ('v2', 'contrib', False), ('v1', 'contrib', False),
    ('v2', 'Session', False), ('v1', 'Session', True),
    ('v2', 'placeholder', False), ('v1', 'placeholder', True),
    ('v1', 'train.Saver', True), ('v2', 'zeros', True),
    ('v1', 'app.flags', True),  # set by tf.compat.v1's file at import
    # A Keras lazy loader, set likewise (under a condition on TF 2.13/2.14:
    # unknown there, so TensorFlow is asked).
    ('v2', 'compat.v1.layers', (True, tf_api.UNKNOWN)),
    ('v1', 'GraphKeys.VARIABLES', tf_api.UNKNOWN),  # a class's attribute
    ('v1', 'nn.rnn_cell.LSTMCell', tf_api.UNKNOWN),  # Keras', replaced
])
def test_common_answers(api, api_name, dotted, expected):
  accepted = expected if isinstance(expected, tuple) else (expected,)
  assert api.has(api_name, dotted) in accepted


def test_without_tensorflows_files_everything_is_unknown(tmp_path):
  api = tf_api.Api(str(tmp_path))
  assert api.has('v2', 'zeros') == tf_api.UNKNOWN
  assert api.has('v1', 'Session') == tf_api.UNKNOWN
  assert api.importable('tensorflow.nn') == tf_api.UNKNOWN


def _package(tmp_path, init, **namespaces):
  root = tmp_path / 'tensorflow'
  root.mkdir()
  (root / '__init__.py').write_text(textwrap.dedent(init))
  for path, text in namespaces.items():
    directory = root.joinpath('_api', 'v2', *path.split('__'))
    directory.mkdir(parents=True)
    (directory / '__init__.py').write_text(textwrap.dedent(text))
  return tf_api.Api(str(root))


def test_conditional_deleted_and_set_names(tmp_path):
  api = _package(tmp_path, '''
      from tensorflow._api.v2 import nn
      from tensorflow.python.ops.array_ops import zeros
      from tensorflow.python.ops.array_ops import ones
      if _flag:
        from tensorflow.python.ops.array_ops import maybe
      try:
        from tensorflow.python.ops.array_ops import tried
      except ImportError:
        pass
      del ones
      setattr(_current_module, "keras", _Lazy())
      _current_module.nn.later = 1
      ''', nn='''
      from tensorflow.python.ops.nn_ops import relu
      ''')
  assert api.has('v2', 'zeros') is True
  assert api.has('v2', 'ones') is False
  assert api.has('v2', 'maybe') == tf_api.UNKNOWN
  assert api.has('v2', 'tried') == tf_api.UNKNOWN
  assert api.has('v2', 'keras') is True
  assert api.has('v2', 'keras.layers') == tf_api.UNKNOWN
  assert api.has('v2', 'nn.relu') is True
  assert api.has('v2', 'nn.later') is True
  assert api.has('v2', 'nn.gone') is False
  assert api.has('v2', 'zeros.attribute') == tf_api.UNKNOWN
  assert api.importable('tensorflow.nn') is True
  assert api.importable('tensorflow.other') == tf_api.UNKNOWN
  assert api.has('v1', 'zeros') == tf_api.UNKNOWN  # no compat/v1 file


def test_relative_imports_as_tf_2_13_wrote_them(tmp_path):
  api = _package(tmp_path, '''
      from ._api.v2 import nn
      from ._api.v2 import compat
      ''', nn='''
      from tensorflow.python.ops.nn_ops import relu
      ''', compat='''
      from . import v1
      ''', compat__v1='''
      from tensorflow.python.client.session import Session
      from .. import v1 as also_v1
      ''')
  assert api.has('v2', 'nn.relu') is True
  assert api.has('v2', 'compat.v1.Session') is True
  assert api.has('v1', 'Session') is True
  assert api.has('v1', 'also_v1.Session') is True
  assert api.has('v2', 'compat.v1.nothing') is False


def test_a_file_with_one_use_migrates_without_importing_tensorflow(tmp_path):
  source = tmp_path / 'model.py'
  source.write_text('import tensorflow as tf\nslim = tf.contrib.slim\n'
                    'net = slim.conv2d(tf.zeros([1, 4, 4, 3]), 4, [3, 3])\n')
  probe = ('import sys, runpy\n'
           'sys.argv = ["contrib-compat-migrate", "--no-cache", %r]\n'
           'try:\n'
           '  runpy.run_module("contrib_compat.migrate", run_name="__main__")\n'
           'except SystemExit:\n'
           '  pass\n'
           'print("tensorflow" in sys.modules)\n' % str(source))
  result = subprocess.run([sys.executable, '-c', probe], cwd=REPO,
                          capture_output=True, text=True, check=False,
                          timeout=300)
  assert result.stdout.strip().splitlines()[-1] == 'False', result.stderr
  assert 'from contrib_compat import slim' in result.stdout
