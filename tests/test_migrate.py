"""Tests for contrib-compat-migrate (contrib_compat/migrate/)."""
import difflib
import importlib.util
import io
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys

import hypothesis
from hypothesis import strategies as st
import pytest
import tf_slim

import contrib_compat
import contrib_compat.slim
from contrib_compat import migrate
from contrib_compat import replacements
from contrib_compat import slim_repair
from contrib_compat.migrate import files
from contrib_compat.migrate import lookup
from contrib_compat.migrate import references
from contrib_compat.migrate import rewrite
from contrib_compat.migrate import tables

REPO = pathlib.Path(__file__).resolve().parent.parent
DATA = REPO / 'tests' / 'data' / 'migrate'
LEGACY = REPO / 'tests' / 'legacy_scripts'

TF_IN = 'import tensorflow as tf\n'
TF_OUT = 'import tensorflow.compat.v1 as tf\ntf.disable_v2_behavior()\n'
CC = 'import contrib_compat\n'
CC_SLIM = 'import contrib_compat.slim\n'
REPAIR = 'import contrib_compat\ncontrib_compat.repair_tf_slim()\n'
LOOKUP = lookup.Lookup()


def run(*paths, write=False, strict=False):
  """(exit status, stdout, stderr) of one in-process run."""
  out, err = io.StringIO(), io.StringIO()
  code = migrate.migrate([str(p) for p in paths], write=write, strict=strict,
                         stdout=out, stderr=err)
  return code, out.getvalue(), err.getvalue()


def rewritten(source):
  """A .py source (str) after the rewrite."""
  return rewrite.rewrite_sources([source.encode()]).outputs[0].decode()


def bind(source):
  """Runs a rewritten snippet (minus the TF1 switch) and returns its names.

  disable_v2_behavior() would change the whole test process, so the header
  lines the switch adds are left out and `tf` is given as compat.v1.
  """
  import tensorflow.compat.v1 as tf
  code = source.replace(TF_OUT, '')
  assert 'disable_v2_behavior' not in code and 'tensorflow' not in code
  namespace = {'tf': tf}
  repaired = slim_repair.is_repaired()
  try:
    exec(compile(code, '<migrated>', 'exec'), namespace)
  finally:
    if not repaired:  # the snippet's repair_tf_slim() must not outlive it
      slim_repair.undo_tf_slim_repair()
  return namespace


# (input, expected output, {name: object it must be bound to}).
CASES = [
    (TF_IN + 'f = tf.contrib.layers.separable_conv2d\n',
     TF_OUT + CC + 'f = contrib_compat.separable_conv2d\n',
     {'f': contrib_compat.separable_conv2d}),
    (TF_IN + 'f = tf.contrib.layers.separable_convolution2d\n',
     TF_OUT + CC + 'f = contrib_compat.separable_convolution2d\n',
     {'f': contrib_compat.separable_convolution2d}),
    (TF_IN + 'f = tf.contrib.layers.batch_norm\n',
     TF_OUT + CC + 'f = contrib_compat.batch_norm\n',
     {'f': contrib_compat.batch_norm}),
    (TF_IN + 'f = tf.contrib.layers.conv2d\n',
     TF_OUT + CC + 'f = contrib_compat.layers.conv2d\n',
     {'f': tf_slim.conv2d}),
    (TF_IN + 'slim = tf.contrib.slim\n',
     TF_OUT + 'from contrib_compat import slim\n',
     {'slim': contrib_compat.slim}),
    (TF_IN + 'sl = tf.contrib.slim\n',
     TF_OUT + 'from contrib_compat import slim as sl\n',
     {'sl': contrib_compat.slim}),
    (TF_IN + 'f = tf.contrib.slim.conv2d\n',
     TF_OUT + CC_SLIM + 'f = contrib_compat.slim.conv2d\n',
     {'f': tf_slim.conv2d}),
    ('import tensorflow.contrib.slim as slim\n',
     'from contrib_compat import slim\n', {'slim': contrib_compat.slim}),
    ('from tensorflow.contrib import slim\n',
     'from contrib_compat import slim\n', {'slim': contrib_compat.slim}),
    ('from tensorflow.contrib import layers\n',
     'from contrib_compat import layers\n', {'layers': contrib_compat.layers}),
    ('from tensorflow.contrib import layers as contrib_layers, slim\n',
     'from contrib_compat import layers as contrib_layers, slim\n',
     {'contrib_layers': contrib_compat.layers, 'slim': contrib_compat.slim}),
    ('from tensorflow.contrib.layers import separable_conv2d\n',
     'from contrib_compat import separable_conv2d\n',
     {'separable_conv2d': contrib_compat.separable_conv2d}),
    ('from tensorflow.contrib.layers import batch_norm, conv2d\n',
     'from contrib_compat.layers import batch_norm, conv2d\n',
     {'batch_norm': contrib_compat.batch_norm, 'conv2d': tf_slim.conv2d}),
    ('from tensorflow.contrib.slim import conv2d\n',
     'from contrib_compat.slim import conv2d\n', {'conv2d': tf_slim.conv2d}),
    (TF_IN + 'f = tf.contrib.framework.arg_scope\n'
     'g = tf.contrib.framework.add_arg_scope\n',
     TF_OUT + CC + 'f = contrib_compat.arg_scope\n'
     'g = contrib_compat.add_arg_scope\n',
     {'f': contrib_compat.arg_scope, 'g': contrib_compat.add_arg_scope}),
    ('from tensorflow.contrib.framework import arg_scope, add_arg_scope\n',
     'from contrib_compat import arg_scope, add_arg_scope\n',
     {'arg_scope': contrib_compat.arg_scope,
      'add_arg_scope': contrib_compat.add_arg_scope}),
    (TF_IN + 'f = tf.contrib.framework.get_variables\n'
     'g = tf.contrib.framework.assign_from_checkpoint_fn\n',
     TF_OUT + CC_SLIM + 'f = contrib_compat.slim.get_variables\n'
     'g = contrib_compat.slim.assign_from_checkpoint_fn\n',
     {'f': tf_slim.get_variables, 'g': tf_slim.assign_from_checkpoint_fn}),
    ('from tensorflow.contrib.framework import arg_scope, get_model_variables\n',
     'from contrib_compat.slim import arg_scope, get_model_variables\n',
     {'arg_scope': contrib_compat.arg_scope,
      'get_model_variables': tf_slim.get_model_variables}),
    ('from tensorflow.contrib import framework\n',
     'from contrib_compat import slim as framework\n',
     {'framework': contrib_compat.slim}),
    ('import tensorflow.contrib.framework as contrib_framework\n',
     'from contrib_compat import slim as contrib_framework\n',
     {'contrib_framework': contrib_compat.slim}),
    # tf_slim's nets call tf_slim's batch_norm, broken since TF 2.13: a file
    # importing them gets the repair.
    ('from tensorflow.contrib.slim.nets import resnet_utils\n',
     'from tf_slim.nets import resnet_utils\n' + REPAIR,
     {'resnet_utils': importlib.import_module('tf_slim.nets.resnet_utils')}),
    ('import tensorflow.contrib.slim.nets as nets\n',
     'import tf_slim.nets as nets\n' + REPAIR,
     {'nets': importlib.import_module('tf_slim.nets')}),
    (TF_IN + 'f = tf.contrib.slim.nets.vgg.vgg_16\n',
     TF_OUT + CC_SLIM + 'contrib_compat.repair_tf_slim()\n'
     'f = contrib_compat.slim.nets.vgg.vgg_16\n',
     {'f': importlib.import_module('tf_slim.nets.vgg').vgg_16}),
    # contrib's implementation modules, imported directly by much TF1 code.
    ('from tensorflow.contrib.layers.python.layers import layers as lib\n',
     'from contrib_compat import layers as lib\n',
     {'lib': contrib_compat.layers}),
    ('import tensorflow.contrib.layers.python.layers.layers as lib\n',
     'from contrib_compat import layers as lib\n',
     {'lib': contrib_compat.layers}),
    ('from tensorflow.contrib.layers.python.layers.layers import batch_norm\n',
     'from contrib_compat import batch_norm\n',
     {'batch_norm': contrib_compat.batch_norm}),
    ('from tensorflow.contrib.layers.python.layers import initializers\n',
     'from tf_slim.layers import initializers\n' + REPAIR,
     {'initializers': importlib.import_module('tf_slim.layers.initializers')}),
    ('from tensorflow.contrib.framework.python.ops import arg_scope\n',
     'from contrib_compat import arg_scope\n',
     {'arg_scope': contrib_compat.arg_scope}),
    ('from tensorflow.contrib.framework.python.ops import arg_scope, '
     'arg_scoped_arguments\n',
     'from contrib_compat.slim import arg_scope, arg_scoped_arguments\n',
     {'arg_scope': contrib_compat.arg_scope,
      'arg_scoped_arguments': tf_slim.arg_scoped_arguments}),
    ('from tensorflow.contrib.framework.python.ops.arg_scope import '
     'add_arg_scope\n',
     'from tf_slim.ops.arg_scope import add_arg_scope\n' + REPAIR,
     {'add_arg_scope': contrib_compat.add_arg_scope}),
    ('from tensorflow.contrib.slim.python.slim.nets import resnet_v1\n',
     'from tf_slim.nets import resnet_v1\n' + REPAIR,
     {'resnet_v1': importlib.import_module('tf_slim.nets.resnet_v1')}),
    ('import tensorflow.contrib.slim.python.slim.nets.vgg as vgg\n',
     'import tf_slim.nets.vgg as vgg\n' + REPAIR,
     {'vgg': importlib.import_module('tf_slim.nets.vgg')}),
    # tf.contrib.training: NASNet's configs build HParams.
    ('from tensorflow.contrib import training as contrib_training\n',
     'from contrib_compat import training as contrib_training\n',
     {'contrib_training': contrib_compat.training}),
    (TF_IN + 'h = tf.contrib.training.HParams\n'
     't = tf.contrib.training.create_train_op\n',
     TF_OUT + CC + 'h = contrib_compat.training.HParams\n'
     't = contrib_compat.training.create_train_op\n',
     {'h': contrib_compat.training.HParams,
      't': importlib.import_module(
          'tf_slim.training.training').create_train_op}),
    ('from tensorflow.contrib.training import HParams\n',
     'from contrib_compat.training import HParams\n',
     {'HParams': contrib_compat.training.HParams}),
    ('import tensorflow.contrib.training.python.training.hparam as hparam\n',
     'from contrib_compat import training as hparam\n',
     {'hparam': contrib_compat.training}),
    # Names that now live in two modules: one import each, in name order.
    ('from tensorflow.contrib.framework.python.ops import (variables,\n'
     '    add_arg_scope)\n',
     'from contrib_compat import add_arg_scope\n'
     'from tf_slim.ops import variables\n' + REPAIR,
     {'add_arg_scope': contrib_compat.add_arg_scope,
      'variables': importlib.import_module('tf_slim.ops.variables')}),
]


@pytest.mark.parametrize('source,expected,names', CASES,
                         ids=[c[1].splitlines()[-1] for c in CASES])
def test_each_rewrite_kind_gives_the_expected_code_and_objects(
    source, expected, names):
  assert rewritten(source) == expected
  namespace = bind(expected)
  for name, obj in names.items():
    assert namespace[name] is obj, name


def test_repair_is_added_once_after_an_existing_import():
  source = ('import contrib_compat\n'
            'from tensorflow.contrib.slim.nets import vgg\n'
            'from tensorflow.contrib.slim.nets import resnet_v1\n')
  assert rewritten(source) == (
      'import contrib_compat\ncontrib_compat.repair_tf_slim()\n'
      'from tf_slim.nets import vgg\nfrom tf_slim.nets import resnet_v1\n')
  # A file that already repairs (or was migrated before) gets no second call.
  again = 'import contrib_compat as cc\ncc.repair_tf_slim()\n' + source[22:]
  assert rewritten(again) == (
      'import contrib_compat as cc\ncc.repair_tf_slim()\n'
      'from tf_slim.nets import vgg\nfrom tf_slim.nets import resnet_v1\n')


def test_an_import_to_split_with_a_comment_is_reported():
  source = ('from tensorflow.contrib.framework.python.ops import (\n'
            '    add_arg_scope,  # decorator\n    variables)\n')
  result = rewrite.rewrite_sources([source.encode()])
  assert result.outputs == [source.encode()]
  [note] = result.notes
  assert note.name == 'tf.contrib.framework.python.ops'
  assert note.advice == ('split this import: add_arg_scope from '
                         'contrib_compat; variables from tf_slim.ops')


def test_contrib_training_names_we_lack_are_reported():
  source = (TF_IN + 'b = tf.contrib.training.bucket_by_sequence_length\n'
            'from tensorflow.contrib.training.python.training import hparam\n')
  result = rewrite.rewrite_sources([source.encode()])
  assert [(n.name, n.advice) for n in result.notes] == [
      ('tf.contrib.training.bucket_by_sequence_length',
       'use ' + replacements.REPLACEMENTS['training']),
      ('tf.contrib.training.python.training.hparam',
       'use from contrib_compat import training as hparam')]


def test_contrib_layers_names_tf_slim_keeps_elsewhere_resolve():
  # contrib.layers re-exported tf_slim's regularizers; whichever module the
  # tool picks must really have it.
  out = rewritten(TF_IN + 'r = tf.contrib.layers.l2_regularizer\n')
  assert 'r = contrib_compat.' in out
  assert bind(out)['r'] is tf_slim.l2_regularizer


def test_framework_names_the_tool_maps_to_slim_exist_in_tf_slim():
  missing = [n for n in tables.FRAMEWORK_IN_TF_SLIM
             if not hasattr(contrib_compat.slim, n)]
  assert not missing


def test_golden_file_keeps_formatting_and_comments():
  source = (DATA / 'slim_model.py').read_bytes()
  result = rewrite.rewrite_sources([source])
  assert result.outputs[0] == (DATA / 'slim_model.migrated.py').read_bytes()
  assert result.counts == {
      tables.KIND_SEPARABLE: 3, tables.KIND_ARG_SCOPE: 2,
      tables.KIND_SLIM: 2, tables.KIND_BATCH_NORM: 1,
      tables.KIND_FRAMEWORK: 1, tables.KIND_COMPAT_V1: 1,
      tables.KIND_IMPORT: 1}
  assert [(n.line, n.name) for n in result.notes] == [
      (30, 'tf.contrib.rnn.LSTMBlockCell')]


def test_second_run_changes_nothing():
  sources = [(DATA / 'slim_model.py').read_bytes()] + [
      p.read_bytes() for p in sorted(LEGACY.glob('*.py'))]
  for source in sources:
    once = rewrite.rewrite_sources([source])
    twice = rewrite.rewrite_sources(once.outputs)
    assert twice.outputs == once.outputs
    assert not twice.counts


def test_unaliased_contrib_import_keeps_binding_tensorflow():
  assert rewritten('import tensorflow.contrib.slim\n'
                   'x = tensorflow.contrib.slim.conv2d\n') == (
                       'import tensorflow\nimport contrib_compat.slim\n'
                       'x = contrib_compat.slim.conv2d\n')
  # With `tensorflow` bound, module names in imports are still whole names.
  assert rewritten('import tensorflow\nfrom tensorflow.contrib import slim\n'
                  ) == 'import tensorflow\nfrom contrib_compat import slim\n'


def test_names_with_a_comment_inside_are_reported_not_rewritten():
  source = TF_IN + 'f = (tf.contrib  # why\n     .layers.conv2d)\n'
  result = rewrite.rewrite_sources([source.encode()])
  assert result.outputs[0].decode() == TF_OUT + source[len(TF_IN):]
  assert [(n.line, n.advice) for n in result.notes] == [
      (2, 'a comment inside the name; use contrib_compat.layers.conv2d')]


_LINES = [
    'import tensorflow as tf', 'import numpy as np', '', '# a comment',
    'slim = tf.contrib.slim  # slim', 'from tensorflow.contrib import layers',
    'from tensorflow.contrib.framework import arg_scope, get_variables',
    'import tensorflow.contrib.slim as slim',
    'x = tf.contrib.layers.separable_conv2d(a, 8, 3)  # sep',
    'y = tf.contrib.rnn.LSTMCell(3)  # rnn', 's = tf.Session()',
    'z = tf.nn.relu(a)', 'def f():\n  # inner\n  return tf.contrib.slim.conv2d',
    'n = tf.contrib.layers.batch_norm(z,\n    # args\n    scale=True)',
]


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(lines=st.lists(st.sampled_from(_LINES), max_size=8),
                  newline=st.sampled_from(['\n', '\r\n']))
def test_any_mix_parses_keeps_comments_and_newlines_and_is_idempotent(
    lines, newline):
  source = newline.join('\n'.join(lines).split('\n')) + newline
  once = rewrite.rewrite_sources([source.encode()])
  out = once.outputs[0].decode()
  compile(out, '<migrated>', 'exec')
  assert rewrite.rewrite_sources(once.outputs).outputs == once.outputs
  for line in source.splitlines():
    if '#' in line:
      assert line[line.index('#'):] in out
  if newline == '\r\n':
    assert out.count('\n') == out.count('\r\n')
  if 'import tensorflow as tf' in lines and 'contrib.rnn' not in source:
    assert 'contrib' not in out.replace('contrib_compat', '')


def test_tf1_switch_only_for_tf1_code():
  tf2 = TF_IN + 'y = tf.nn.relu(tf.constant(1.0))\n'
  assert rewritten(tf2) == tf2
  tf1 = TF_IN + 'x = tf.placeholder(tf.float32)\nsess = tf.Session()\n'
  assert rewritten(tf1) == TF_OUT + tf1[len(TF_IN):]
  on_v1 = 'import tensorflow.compat.v1 as tf\nsess = tf.Session()\n'
  assert rewritten(on_v1) == on_v1


def test_disable_v2_behavior_is_not_added_twice():
  source = TF_IN + 'tf.disable_v2_behavior()\nsess = tf.Session()\n'
  assert rewritten(source) == TF_OUT + 'sess = tf.Session()\n'


def test_tf2_only_names_block_the_switch_and_are_reported():
  source = TF_IN + 'sess = tf.Session()\nname = tf.get_current_name_scope()\n'
  result = rewrite.rewrite_sources([source.encode()])
  assert result.outputs[0] == source.encode()
  assert [(n.line, n.name) for n in result.notes] == [
      (3, 'tf.get_current_name_scope')]


def test_unrewritable_uses_are_reported_with_file_line_and_replacement(
    tmp_path):
  path = tmp_path / 'rnn.py'
  # contrib's own cell: no TF 2 home in any release (core cells have one).
  path.write_text(TF_IN + 'slim = tf.contrib.slim\n'
                  'cell = tf.contrib.rnn.LSTMBlockCell(4)\n'
                  'from tensorflow.contrib.framework import nest\n'
                  'flat = slim.flatten\n')
  code, _, err = run(path, write=True)
  assert code == 0
  assert '%s:3: tf.contrib.rnn.LSTMBlockCell: use tf.compat.v1.nn.rnn_cell' % (
      path) in err
  text = path.read_text()
  assert 'from contrib_compat import slim\n' in text
  assert 'tf.contrib.rnn.LSTMBlockCell(4)' in text
  # TF 2 has nest under another name: rewritten (test_moved.py has them all).
  assert 'from tensorflow import nest\n' in text
  # Nothing more the tool can do: 0, unless --strict asks for hand edits too.
  assert run(path)[0] == 0
  code, _, err = run(path, strict=True)
  assert code == 1
  # Not "nothing to do.": the exit status says hand edits are pending.
  assert 'nothing to do' not in err
  assert err.rstrip().endswith('nothing rewritten; the uses above need a '
                               'hand edit.')


def test_framework_alias_uses_outside_tf_slim_are_reported():
  result = rewrite.rewrite_sources([
      b'from tensorflow.contrib import framework as F\n'
      b'a = F.arg_scope\nb = F.nest.flatten\n'])
  assert result.outputs[0].startswith(b'from contrib_compat import slim as F')
  assert [(n.line, n.name) for n in result.notes] == [
      (3, 'tf.contrib.framework.nest.flatten')]


def test_dry_run_prints_a_diff_and_writes_nothing(tmp_path):
  path = tmp_path / 'model.py'
  shutil.copy(DATA / 'slim_model.py', path)
  before = path.read_bytes()
  code, out, err = run(path)
  assert code == 1
  assert path.read_bytes() == before
  assert out.startswith('--- a/%s\n+++ b/%s\n' % (
      str(path).lstrip('/'), str(path).lstrip('/')))
  assert '-slim = tf.contrib.slim  # the whole slim API\n' in out
  assert '+from contrib_compat import slim  # the whole slim API\n' in out
  assert '1 file scanned, 1 to change, 0 errors' in err
  assert '  %-30s %d\n' % (tables.KIND_SEPARABLE, 3) in err
  assert 'run again with --write' in err


def test_write_applies_the_diff_then_nothing_is_left(tmp_path):
  path = tmp_path / 'model.py'
  shutil.copy(DATA / 'slim_model.py', path)
  _, diff, _ = run(path)
  code, out, err = run(path, write=True)
  assert (code, out) == (0, '')
  assert '1 file scanned, 1 changed, 0 errors' in err
  assert path.read_bytes() == (DATA / 'slim_model.migrated.py').read_bytes()
  # The dry run's diff is exactly what --write did.
  name = str(path).lstrip('/')
  assert diff == ''.join(difflib.unified_diff(
      (DATA / 'slim_model.py').read_text().splitlines(True),
      path.read_text().splitlines(True), 'a/' + name, 'b/' + name))
  code, out, err = run(path)
  assert (code, out) == (0, '')
  # The file's tf.contrib.rnn cell is left for a hand edit, and said so.
  assert 'nothing rewritten; the uses above need a hand edit.' in err


def test_exit_status_for_clean_pending_and_errors(tmp_path):
  clean = tmp_path / 'clean.py'
  clean.write_text('import os\n')
  assert run(clean)[0] == migrate.EXIT_CLEAN
  pending = tmp_path / 'pending.py'
  pending.write_text('from tensorflow.contrib import slim\n')
  assert run(clean, pending)[0] == migrate.EXIT_PENDING
  code, _, err = run(pending, tmp_path / 'missing.py')
  assert code == migrate.EXIT_ERROR
  assert '%s: no such file or directory' % (tmp_path / 'missing.py') in err
  with pytest.raises(SystemExit) as e:
    migrate.main([])
  assert e.value.code == 2


def test_unreadable_file_is_an_error(tmp_path, monkeypatch):
  path = tmp_path / 'locked.py'
  path.write_text('from tensorflow.contrib import slim\n')

  def denied(name, *args, **kwargs):
    raise PermissionError(13, 'Permission denied', name)

  monkeypatch.setattr(migrate, 'open', denied, raising=False)
  code, _, err = run(path, write=True)
  assert code == 2
  assert '%s: cannot read: Permission denied' % path in err


def test_file_with_syntax_error_is_reported_and_left_byte_identical(
    tmp_path):
  bad = tmp_path / 'python2_print.py'
  shutil.copy(DATA / 'python2_print.py', bad)
  good = tmp_path / 'good.py'
  good.write_text('from tensorflow.contrib import slim\n')
  before = bad.read_bytes()
  code, _, err = run(tmp_path, write=True)
  assert code == 2
  assert bad.read_bytes() == before
  assert '%s: does not parse, left untouched: line 4' % bad in err
  # The other file was still migrated.
  assert good.read_text() == 'from contrib_compat import slim\n'


def test_crlf_line_endings_stay_crlf(tmp_path):
  path = tmp_path / 'crlf.py'
  path.write_bytes(b'import tensorflow as tf\r\n\r\n'
                   b'net = tf.contrib.layers.separable_conv2d(x, 8, 3)\r\n')
  assert run(path, write=True)[0] == 0
  data = path.read_bytes()
  assert data == (b'import tensorflow.compat.v1 as tf\r\n'
                  b'tf.disable_v2_behavior()\r\nimport contrib_compat\r\n\r\n'
                  b'net = contrib_compat.separable_conv2d(x, 8, 3)\r\n')


@pytest.mark.parametrize('header,encoding', [
    (b'# -*- coding: latin-1 -*-\n', 'latin-1'),
    (b'\xef\xbb\xbf', 'utf-8-sig'),
])
def test_source_encoding_is_kept(tmp_path, header, encoding):
  path = tmp_path / 'enc.py'
  body = "name = 'caf\u00e9'\nslim = tf.contrib.slim\n"
  path.write_bytes(header + TF_IN.encode() + body.encode(encoding.replace(
      '-sig', '')))
  code, out, _ = run(path)
  assert code == 1 and "+from contrib_compat import slim" in out
  run(path, write=True)
  expected = TF_OUT + body.replace('slim = tf.contrib.slim',
                                   'from contrib_compat import slim')
  assert path.read_bytes() == header + expected.encode(
      encoding.replace('-sig', ''))


def test_notebook_code_cells_change_and_nothing_else(tmp_path):
  path = tmp_path / 'nb.ipynb'
  shutil.copy(DATA / 'notebook.ipynb', path)
  old_text = path.read_text(encoding='utf-8')
  code, out, err = run(path)
  assert code == 1
  assert '--- a/%s\n' % str(path).lstrip('/') in out
  # The dry run's diff is a patch that git applies to the notebook file.
  patched = tmp_path / 'patched'
  patched.mkdir()
  relative = path.relative_to(tmp_path)
  shutil.copy(path, patched / relative)
  patch = out.replace('a/%s' % str(path).lstrip('/'), 'a/%s' % relative)
  patch = patch.replace('b/%s' % str(path).lstrip('/'), 'b/%s' % relative)
  applied = subprocess.run(['git', 'apply', '-'], input=patch.encode('utf-8'),
                           cwd=patched, capture_output=True, check=False)
  assert applied.returncode == 0, applied.stderr
  code, _, err = run(path, write=True)
  assert code == 0, err
  new_text = path.read_text(encoding='utf-8')
  old, new = json.loads(old_text), json.loads(new_text)
  assert (patched / relative).read_text(encoding='utf-8') == new_text
  sources = [''.join(c['source']) for c in new['cells']]
  assert sources[1] == '%matplotlib inline\nimport numpy as np\n' + TF_OUT + CC
  assert sources[2].startswith('from contrib_compat import slim  # the slim')
  assert 'contrib_compat.separable_conv2d(net' in sources[2]
  assert sources[3] == ''.join(old['cells'][3]['source'])  # !pip and x?
  assert sources[4] == ''.join(old['cells'][4]['source'])  # %%bash: not Python
  for cell in old['cells'] + new['cells']:
    cell.pop('source') if cell['cell_type'] == 'code' else None
  assert old == new
  # Byte for byte, the only lines that differ are code cell source lines.
  changed = [line for line in difflib.ndiff(old_text.splitlines(),
                                            new_text.splitlines())
             if line[:1] in '+-']
  allowed = {json.dumps(line, ensure_ascii=False) for source in sources
             for line in source.splitlines(True)}
  allowed |= {json.dumps(line, ensure_ascii=False)
              for cell in json.loads(old_text)['cells']
              for line in cell['source']}
  assert changed and all(
      line[2:].strip().rstrip(',') in allowed for line in changed), changed
  assert run(path)[0] == 0


def test_compact_notebook_with_string_sources_keeps_its_style(tmp_path):
  path = tmp_path / 'compact.ipynb'
  cells = [{'cell_type': 'code', 'metadata': {}, 'outputs': [],
            'execution_count': None,
            'source': 'import tensorflow as tf\r\nslim = tf.contrib.slim'}]
  text = json.dumps({'cells': cells, 'metadata': {}, 'nbformat': 4,
                     'nbformat_minor': 2}, separators=(',', ':'))
  path.write_bytes(b'\xef\xbb\xbf' + text.encode())
  assert run(path, write=True)[0] == 0
  cells[0]['source'] = ('import tensorflow.compat.v1 as tf\r\n'
                        'tf.disable_v2_behavior()\r\n'
                        'from contrib_compat import slim')
  assert path.read_bytes() == b'\xef\xbb\xbf' + json.dumps(
      {'cells': cells, 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 2},
      separators=(',', ':')).encode()


def test_notebook_with_a_broken_cell_is_left_untouched(tmp_path):
  path = tmp_path / 'broken.ipynb'
  text = (DATA / 'notebook.ipynb').read_text(encoding='utf-8').replace(
      '"import numpy as np\\n"', '"print np\\n"')
  path.write_text(text, encoding='utf-8')
  code, _, err = run(path, write=True)
  assert code == 2
  assert '%s (cell 2): does not parse' % path in err
  assert path.read_text(encoding='utf-8') == text


def test_failed_write_leaves_the_original_and_no_temp_file(
    tmp_path, monkeypatch):
  path = tmp_path / 'model.py'
  shutil.copy(DATA / 'slim_model.py', path)
  before = path.read_bytes()

  def fail(*args):
    raise OSError(28, 'No space left on device')

  for name in ('fsync', 'replace'):
    with monkeypatch.context() as m:
      m.setattr(files.os, name, fail)
      # The swap unavailable (not Linux): the file goes in by os.replace.
      m.setattr(files, '_exchange', lambda *args: False)
      code, _, err = run(path, write=True)
    assert code == 2
    assert 'cannot write, left untouched: No space left on device' in err
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ['model.py']


def test_an_edit_made_during_the_run_is_not_overwritten(tmp_path):
  path = tmp_path / 'model.py'
  path.write_bytes(b'x = 1\n')
  with pytest.raises(OSError, match='changed while it was being migrated'):
    files.write_atomic(str(path), b'x = 2\n', expected=b'x = 0\n')
  assert path.read_bytes() == b'x = 1\n'
  assert os.listdir(tmp_path) == ['model.py']
  files.write_atomic(str(path), b'x = 2\n', expected=b'x = 1\n')
  assert path.read_bytes() == b'x = 2\n'


def test_a_bug_in_the_rewrite_costs_the_rewrite_not_the_file(
    tmp_path, monkeypatch):
  path = tmp_path / 'model.py'
  shutil.copy(DATA / 'slim_model.py', path)

  def broken(sources, lookup=None):
    raise RuntimeError('bug')

  monkeypatch.setattr(rewrite, 'rewrite_sources', broken)
  code, _, err = run(path, write=True)
  assert code == 2
  assert "internal error, left untouched: RuntimeError('bug')" in err
  assert path.read_bytes() == (DATA / 'slim_model.py').read_bytes()


def test_write_keeps_permissions_and_writes_through_symlinks(tmp_path):
  real = tmp_path / 'real.py'
  real.write_text('from tensorflow.contrib import slim\n')
  real.chmod(0o751)
  link = tmp_path / 'link.py'
  link.symlink_to(real)
  assert run(link, write=True)[0] == 0
  assert link.is_symlink()
  assert real.read_text() == 'from contrib_compat import slim\n'
  assert stat.S_IMODE(real.stat().st_mode) == 0o751


def test_directories_are_walked_skipping_vcs_venvs_and_caches(tmp_path):
  contrib = 'from tensorflow.contrib import slim\n'
  for rel in ['a.py', 'pkg/b.py', 'pkg/nb.ipynb', 'pkg/notes.txt',
              '.git/c.py', '__pycache__/d.py', 'myenv/e.py',
              '.ipynb_checkpoints/f.py', 'node_modules/g.py']:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(contrib if rel.endswith('.py') else '{}')
  (tmp_path / 'myenv' / 'pyvenv.cfg').write_text('home = /usr/bin\n')
  found = [p for p, error in files.find_files([str(tmp_path)])]
  assert [os.path.relpath(p, tmp_path) for p in found] == [
      'a.py', os.path.join('pkg', 'b.py'), os.path.join('pkg', 'nb.ipynb')]
  # A file named on the command line is taken whatever its name.
  script = tmp_path / 'pkg' / 'notes.txt'
  script.write_text(contrib)
  assert run(script)[0] == 1


class _Tty(io.StringIO):

  def isatty(self):
    return True


def test_progress_is_shown_for_long_runs_and_on_terminals(
    tmp_path, monkeypatch):
  for i in range(4):
    (tmp_path / ('m%d.py' % i)).write_text('import os\n')
  assert 'files\n' not in run(tmp_path)[2]  # 4 files, no terminal: quiet
  monkeypatch.setattr(migrate, 'PROGRESS_MIN_FILES', 4)
  err = run(tmp_path)[2]
  assert err.startswith('contrib-compat-migrate: 1/4 files\n'
                        'contrib-compat-migrate: 2/4 files\n'
                        'contrib-compat-migrate: 3/4 files\n'
                        'contrib-compat-migrate: 4/4 files\n')
  monkeypatch.setattr(migrate, 'PROGRESS_MIN_FILES', 100)
  tty = _Tty()
  assert migrate.migrate([str(tmp_path)], stdout=io.StringIO(),
                         stderr=tty) == 0
  assert ('\r[%s%s] 2/4 files' % ('#' * 15, '.' * 15)) in tty.getvalue()
  assert ('\r[%s] 4/4 files\n' % ('#' * 30)) in tty.getvalue()


def test_package_imports_without_libcst(monkeypatch, tmp_path):
  # libcst is an extra: the package and the command line load without it,
  # and the tool then says what to install instead of failing on import.
  monkeypatch.setitem(sys.modules, 'libcst', None)
  monkeypatch.delitem(sys.modules, 'contrib_compat.migrate.rewrite')
  monkeypatch.delattr(migrate, 'rewrite')
  spec = importlib.util.spec_from_file_location(
      '_migrate_without_libcst', migrate.__file__)
  fresh = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(fresh)
  err = io.StringIO()
  assert fresh.migrate([str(tmp_path)], stderr=err) == 2
  assert 'contrib-compat-migrate needs libcst' in err.getvalue()
  # The package is on no index: the hint names what pip can install.
  assert err.getvalue().rstrip().endswith('pip install libcst')


@pytest.mark.slow
def test_legacy_scripts_migrate_then_run_with_plain_python(tmp_path):
  scripts = sorted(LEGACY.glob('*.py'))
  tf1 = ('mobilenet_v1_train.py', 'mobilenet_v2_train.py',
         'resnet_contrib_paths_train.py')
  assert set(tf1) <= {p.name for p in scripts}
  work = tmp_path / 'scripts'
  work.mkdir()
  for script in scripts:
    shutil.copy(script, work)
  env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL='2')
  proc = subprocess.run(
      [sys.executable, '-m', 'contrib_compat.migrate', '--write', str(work)],
      cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
  assert proc.returncode == 0, proc.stderr
  assert 'could not rewrite' not in proc.stderr
  migrated = {p.name: p.read_text() for p in work.glob('*.py')}
  for name in tf1:
    assert 'tf.contrib' not in migrated[name]
    assert 'tensorflow.contrib' not in migrated[name]
  # Already on tf.compat.v1 and tf_slim, with no tf.contrib: untouched.
  assert migrated['tf_slim_inception_train.py'] == (
      LEGACY / 'tf_slim_inception_train.py').read_text()
  runs = {}
  for name in tf1:
    out_dir = tmp_path / name.replace('.py', '')
    out_dir.mkdir()
    runs[name] = subprocess.Popen(
        [sys.executable, str(work / name), str(out_dir)], cwd=tmp_path,
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
  for name, child in runs.items():
    output = child.communicate(timeout=600)[0]
    assert child.returncode == 0, output[-3000:]
    assert output.splitlines()[-1].startswith('OK '), output[-3000:]
    assert any(p.name.endswith('.index') for p in (
        tmp_path / name.replace('.py', '')).iterdir())
  code, out, err = run(work)
  assert (code, out) == (0, ''), err
  assert 'nothing to do.' in err


def _guide_rows(section):
  """[(first cell, second cell)] of the table under `section` in the guide."""
  text = (REPO / 'migration_guide.md').read_text()
  text = text[text.index(section):]
  rows = []
  for line in text.splitlines()[1:]:
    if not line.startswith('|'):
      if rows:
        break
      continue
    cells = [c.strip() for c in line.strip('|').split('|')]
    if not set(cells[0]) <= set('-') and cells[0] != 'TF1 use':
      rows.append((cells[0], cells[1]))
  return rows


def test_guide_mapping_table_is_what_the_tool_does():
  rows = _guide_rows('<!-- migrate-table:begin')
  assert len(rows) >= 10
  for use, becomes in rows:
    parts = use.strip('`').split('.')
    targets = [t.strip('`') for t in becomes.split(' or ')]
    assert references.contrib_target(LOOKUP, parts[2:])[0] in targets, use


def test_guide_statement_table_is_what_the_tool_does():
  rows = [(a.strip('`'), b.split('`')[1], 'the repair below' in b)
          for a, b in _guide_rows('Statements:')
          if a.count('`') == 2 and a.endswith('`') and 'contrib' in a]
  assert len(rows) >= 14
  for use, becomes, repair in rows:
    expected = becomes + '\n' + (REPAIR if repair else '')
    if 'tf.contrib' in use:
      assert rewritten(TF_IN + use + '\n') == TF_OUT + expected
    else:
      assert rewritten(use + '\n') == expected


def test_looking_up_deprecated_names_logs_nothing(monkeypatch, caplog):
  # tf.GraphKeys.VARIABLES logs a deprecation warning when touched: not
  # something to show in a migration report.
  del monkeypatch
  fresh = lookup.Lookup()
  with caplog.at_level('WARNING', logger='tensorflow'):
    assert fresh.api_of('GraphKeys.VARIABLES') == 'v1'
    assert fresh.tf_spelling('tf.GraphKeys.VARIABLES') == (
        'compat.v1.GraphKeys.VARIABLES')
  assert not caplog.records


@pytest.mark.parametrize('source, expected_line', [
    ('import numpy as np, tensorflow as tf\n',
     'import numpy as np; import tensorflow.compat.v1 as tf; '
     'tf.disable_v2_behavior()'),
    ('a = 1; import tensorflow as tf\n',
     'a = 1; import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()'),
    ('if True: import tensorflow as tf\n',
     'if True: import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()'),
])
def test_tensorflow_imports_sharing_a_line_move_to_compat_v1(source,
                                                              expected_line):
  """Left on TF 2 before, silently: the file then failed on tf.placeholder."""
  source += 'x = tf.placeholder(tf.float32)\n'
  result = rewrite.rewrite_sources([source])
  text = result.outputs[0]
  assert text.splitlines()[0] == expected_line
  assert result.counts[tables.KIND_COMPAT_V1] == 1 and not result.notes
  compile(text, '<migrated>', 'exec')  # (not run: it would disable TF 2 here)
  # A second run leaves it as it is.
  assert rewrite.rewrite_sources([text]).outputs[0] == text


@pytest.mark.parametrize('how', ['in_place', 'renamed_over'])
def test_an_edit_saved_between_the_check_and_the_swap_is_put_back(
    tmp_path, monkeypatch, how):
  """The window the check cannot see: an editor saves (writing in place, or
  renaming its own temporary file over it) just before the new file goes
  in. The swap displaces the edit, which is compared and swapped back."""
  if files._libc() is None:
    pytest.skip('no renameat2 here: the check is the only guard')
  path = tmp_path / 'model.py'
  path.write_bytes(b'x = 1\n')
  real_exchange = files._exchange
  calls = []

  def edit_then_exchange(a, b):
    if not calls:
      if how == 'in_place':
        path.write_bytes(b'x = 1  # edited\n')
      else:
        (tmp_path / 'editor.tmp').write_bytes(b'x = 1  # edited\n')
        os.replace(tmp_path / 'editor.tmp', path)
    calls.append((a, b))
    return real_exchange(a, b)

  monkeypatch.setattr(files, '_exchange', edit_then_exchange)
  with pytest.raises(OSError, match='changed while it was being migrated'):
    files.write_atomic(str(path), b'x = 2\n', expected=b'x = 1\n')
  assert path.read_bytes() == b'x = 1  # edited\n'
  assert os.listdir(tmp_path) == ['model.py']
  assert len(calls) == 2  # swapped in, then back
