"""Tests for contrib_compat.ckpt (`contrib-compat-ckpt`)."""
import io
import json
import glob
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import contrib_compat as cc
from contrib_compat import ckpt
from contrib_compat import ckpt_io
from tests.conftest import REPO

FIXTURE_DEPTHWISE = 'depthwise'
SSD = 'contrib_compat.models.ssd_mobilenet_v2_depthwise'


# Model functions for `--model tests.test_ckpt:<name>`.
def small_model(inputs):
  net = cc.separable_conv2d(inputs, 8, [3, 3], scope='sep')
  return cc.separable_conv2d(net, None, [3, 3], depth_multiplier=2,
                             scope='dw')


def small_model_plus_layer(inputs):
  return cc.separable_conv2d(small_model(inputs), 4, [1, 1], scope='extra')


def small_model_first_layer(inputs):
  return cc.separable_conv2d(inputs, 8, [3, 3], scope='sep')


def small_model_wider(inputs):
  net = cc.separable_conv2d(inputs, 16, [3, 3], scope='sep')
  return cc.separable_conv2d(net, None, [3, 3], depth_multiplier=2,
                             scope='dw')


def small_model_partitioned(inputs):
  # A TF1 Saver stores each partitioned variable whole, under its own name.
  with tf.variable_scope('', partitioner=tf.fixed_size_partitioner(2)):
    return small_model(inputs)


def small_model_partitioned_wider(inputs):
  with tf.variable_scope('', partitioner=tf.fixed_size_partitioner(2)):
    return small_model_wider(inputs)


def run(*argv):
  """Runs the CLI in process; returns (exit status, stdout text)."""
  out = io.StringIO()
  status = ckpt.main([str(a) for a in argv], out=out)
  return status, out.getvalue()


def run_json(*argv):
  status, text = run(*argv, '--json')
  return status, json.loads(text)


def save(model_fn, prefix, shape=(1, 8, 8, 3)):
  """Saves an initialized `model_fn` graph; returns {name: value}."""
  with tf.Graph().as_default():
    model_fn(tf.placeholder(tf.float32, shape))
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      tf.train.Saver().save(sess, str(prefix), write_meta_graph=False)
      return {v.op.name: sess.run(v) for v in tf.global_variables()}


def diff_small(prefix, model='small_model', *extra):
  return run_json('diff', prefix, '--model', 'tests.test_ckpt:' + model,
                  '--input-shape', '1,8,8,3', *extra)


@pytest.fixture
def small_ckpt(tmp_path):
  prefix = tmp_path / 'small' / 'model.ckpt'
  values = save(small_model, prefix)
  return prefix, values


# ---------------------------------------------------------------- inspect


def test_inspect_fixture_lists_every_variable_by_layer(tf113_fixture):
  status, text = run('inspect', tf113_fixture / 'model.ckpt')
  assert status == 0
  assert '(index only, no data file)' in text
  assert text.rstrip().endswith('345 variables in 141 layers, 4,094,857 '
                                'parameters')
  block = text.split('\nFeatureExtractor/MobilenetV2/expanded_conv_3/'
                     'depthwise  (1 variable, 1,296 parameters)\n')[1]
  assert block.split('\n')[0].split() == ['depthwise_weights', '[3,', '3,',
                                          '144,', '1]', 'float32']


def test_inspect_json_fixture(tf113_fixture):
  status, result = run_json('inspect', tf113_fixture / 'model.ckpt.index')
  assert status == 0
  assert result['num_variables'] == 345 and not result['has_data']
  variables = {v['name']: (v['shape'], v['dtype'])
               for layer in result['layers'] for v in layer['variables']}
  assert len(variables) == 345
  assert variables['global_step'] == ([], 'int64')
  assert variables['FeatureExtractor/MobilenetV2/layer_19_2_Conv2d_2_3x3_s2_'
                   '512_depthwise/depthwise_weights'] == ([3, 3, 256, 1],
                                                          'float32')
  depthwise = [n for n in variables if n.endswith('/depthwise_weights')]
  assert len(depthwise) == 21
  for layer in result['layers']:
    assert all(ckpt.layer_of(v['name']) == layer['layer']
               for v in layer['variables'])


def test_inspect_missing_checkpoint_is_a_usage_error(tmp_path, capsys):
  status, _ = run('inspect', tmp_path / 'nothing.ckpt')
  assert status == 2
  assert 'no checkpoint index' in capsys.readouterr().err


def test_inspect_directory_uses_latest_checkpoint(small_ckpt):
  prefix, values = small_ckpt
  status, result = run_json('inspect', prefix.parent)
  assert status == 0 and result['has_data']
  assert result['num_variables'] == len(values) == 5


# ---------------------------------------------------------------- diff


def test_diff_clean(small_ckpt):
  status, result = diff_small(small_ckpt[0])
  assert status == 0
  assert result['matched'] == 5 and result['problems'] == 0


def test_diff_text_output_clean(small_ckpt):
  status, text = run('diff', small_ckpt[0], '--model',
                     'tests.test_ckpt:small_model', '--input-shape', '1,8,8,3')
  assert status == 0
  assert '5 matched, 0 missing, 0 unexpected, 0 mismatched' in text


def test_diff_missing(small_ckpt):
  status, result = diff_small(small_ckpt[0], 'small_model_plus_layer')
  assert status == 1
  assert [m['name'] for m in result['missing']] == [
      'extra/biases', 'extra/depthwise_weights', 'extra/pointwise_weights']
  assert not result['unexpected'] and not result['mismatched']


def test_diff_unexpected(small_ckpt):
  status, result = diff_small(small_ckpt[0], 'small_model_first_layer')
  assert status == 1
  assert [m['name'] for m in result['unexpected']] == [
      'dw/biases', 'dw/depthwise_weights']
  assert not result['missing']


def test_diff_shape_mismatch(small_ckpt):
  status, result = diff_small(small_ckpt[0], 'small_model_wider')
  assert status == 1
  mismatched = {m['name']: m for m in result['mismatched']}
  assert sorted(mismatched) == ['dw/biases', 'dw/depthwise_weights',
                                'sep/biases', 'sep/pointwise_weights']
  assert mismatched['sep/pointwise_weights']['checkpoint']['shape'] == [
      1, 1, 3, 8]
  assert mismatched['sep/pointwise_weights']['model']['shape'] == [1, 1, 3, 16]


def test_diff_dtype_mismatch(small_ckpt):
  status, result = diff_small(small_ckpt[0], 'small_model',
                              '--input-dtype', 'float64')
  assert status == 1 and len(result['mismatched']) == 5
  assert {(m['checkpoint']['dtype'], m['model']['dtype'])
          for m in result['mismatched']} == {('float32', 'float64')}


def test_diff_text_lists_problems(small_ckpt):
  status, text = run('diff', small_ckpt[0], '--model',
                     'tests.test_ckpt:small_model_wider', '--input-shape',
                     '1,8,8,3')
  assert status == 1
  assert ('  sep/pointwise_weights  checkpoint [1, 1, 3, 8] float32  model '
          '[1, 1, 3, 16] float32') in text


def test_diff_scope_filter_limits_both_sides(small_ckpt):
  status, result = diff_small(small_ckpt[0], 'small_model_wider',
                              '--scope-filter', '/depthwise_weights$')
  assert status == 1  # dw/depthwise_weights depends on sep's width.
  status, result = diff_small(small_ckpt[0], 'small_model_plus_layer',
                              '--scope-filter', '^(sep|dw)/')
  assert status == 0 and result['matched'] == 5
  assert result['compared_model'] == 5


def test_diff_compares_partitioned_variables_whole(small_ckpt, tmp_path):
  prefix = tmp_path / 'partitioned' / 'model.ckpt'
  save(small_model_partitioned, prefix)
  stored = dict(tf.train.list_variables(str(prefix)))
  assert stored['sep/pointwise_weights'] == [1, 1, 3, 8]  # whole, no parts
  for checkpoint in (prefix, small_ckpt[0]):  # either model's checkpoint
    status, result = diff_small(checkpoint, 'small_model_partitioned')
    assert status == 0 and result['matched'] == 5, result
  status, result = diff_small(prefix, 'small_model_partitioned_wider')
  assert status == 1
  assert 'sep/pointwise_weights' in {m['name'] for m in result['mismatched']}


def test_diff_model_from_file_path(small_ckpt, tmp_path):
  path = tmp_path / 'my_model.py'
  path.write_text('from tests.test_ckpt import small_model as build\n')
  status, result = run_json('diff', small_ckpt[0], '--model',
                            '%s:build' % path, '--input-shape', '1,8,8,3')
  assert status == 0 and result['matched'] == 5


@pytest.mark.parametrize('argv, message', [
    (['--model', 'tests.test_ckpt', '--input-shape', '1,8,8,3'],
     'expected MODULE:FUNCTION'),
    (['--model', 'no_such_module_xyz:f', '--input-shape', '1,8,8,3'],
     'importing no_such_module_xyz failed'),
    (['--model', 'tests.test_ckpt:nope', '--input-shape', '1,8,8,3'],
     "has no function 'nope'"),
    (['--model', 'tests.test_ckpt:small_model', '--input-shape', '1,8,x,3'],
     '--input-shape'),
    (['--model', 'tests.test_ckpt:small_model', '--input-shape', '1,8,8'],
     'building the model failed'),
    (['--model', 'tests.test_ckpt:small_model', '--input-shape', '1,8,8,3',
      '--rename', '(=x'], 'not a valid regular expression'),
    (['--model', 'tests.test_ckpt:small_model', '--input-shape', '1,8,8,3',
      '--rename', 'weights'], 'expected OLD=NEW'),
    (['--model', 'tests.test_ckpt:small_model', '--input-shape', '1,8,8,3',
      '--rename', r'(sep|dw)/=\2'], 'NEW is not a valid replacement'),
    (['--model', 'tests.test_ckpt:small_model', '--input-shape', '1,8,8,3',
      '--rename', '^(sep|dw)/=x/'], 'maps both'),
    (['--model', 'tests.test_ckpt:small_model', '--input-shape', '1,8,8,3',
      '--scope-filter', '['], '--scope-filter'),
])
def test_diff_usage_errors_name_the_argument(small_ckpt, capsys, argv,
                                             message):
  status, out = run('diff', small_ckpt[0], *argv)
  assert status == 2 and not out
  assert message in capsys.readouterr().err


# ------------------------------------------------- fixture: TF 1.13 SSD


def test_fixture_depthwise_layers_match(tf113_fixture):
  status, result = run_json(
      'diff', tf113_fixture / 'model.ckpt', '--model',
      SSD + ':depthwise_layers', '--input-shape', '1,16,16,3',
      '--scope-filter', FIXTURE_DEPTHWISE)
  assert status == 0, result
  assert result['compared_checkpoint'] == 21 * 5  # weights + 4 BatchNorm.
  assert result['matched'] == 105 and result['problems'] == 0


def test_fixture_whole_model_matches_every_variable(tf113_fixture):
  # The whole SSD graph (feature extractor, box predictors, global_step).
  status, result = run_json(
      'diff', tf113_fixture / 'model.ckpt', '--model', SSD + ':ssd_model',
      '--input-shape', '1,64,64,3')
  assert status == 0, result
  assert result['matched'] == 345


def test_fixture_diff_reports_a_wrong_depthwise_rebuild(tf113_fixture,
                                                        tmp_path):
  # A rebuild with depth_multiplier=2 must not pass: proves the check bites.
  path = tmp_path / 'wrong.py'
  path.write_text(
      'import contrib_compat as cc\n'
      'from contrib_compat.models import ssd_mobilenet_v2_depthwise as m\n'
      'def build(inputs):\n'
      '  with cc.arg_scope([cc.separable_conv2d], depth_multiplier=2):\n'
      '    return m.depthwise_layers(inputs)\n')
  status, result = run_json(
      'diff', tf113_fixture / 'model.ckpt', '--model', '%s:build' % path,
      '--input-shape', '1,16,16,3', '--scope-filter', 'depthwise_weights')
  assert status == 1
  assert len(result['mismatched']) == 21


def test_write_converted_needs_the_data_file(tf113_fixture, tmp_path, capsys):
  status, _ = run('diff', tf113_fixture / 'model.ckpt', '--model',
                  SSD + ':depthwise_layers', '--input-shape', '1,16,16,3',
                  '--scope-filter', FIXTURE_DEPTHWISE, '--write-converted',
                  tmp_path / 'out')
  assert status == 2
  assert 'data file' in capsys.readouterr().err
  assert not os.listdir(tmp_path)


def test_convert_errors_name_its_own_arguments(tf113_fixture, tmp_path,
                                              capsys):
  # `convert` has no --write-converted option; its errors say OUT.
  status, _ = run('convert', tf113_fixture / 'model.ckpt', tmp_path / 'out')
  assert status == 2
  err = capsys.readouterr().err
  assert err.startswith('contrib-compat-ckpt convert: error: convert OUT '
                        'needs the checkpoint data file(s)')
  assert '--write-converted' not in err


# ------------------------------------------- rename + write-converted


def save_keras_named(prefix):
  """A checkpoint of `small_model` as Keras names its weights."""
  keras_names = {'sep/depthwise_kernel': [3, 3, 3, 1],
                 'sep/pointwise_kernel': [1, 1, 3, 8], 'sep/bias': [8],
                 'dw/depthwise_kernel': [3, 3, 8, 2], 'dw/bias': [16]}
  rng = np.random.RandomState(0)
  values = {n: rng.standard_normal(s).astype(np.float32)
            for n, s in keras_names.items()}
  with tf.Graph().as_default():
    variables = [tf.get_variable(n, initializer=v) for n, v in values.items()]
    with tf.Session() as sess:
      sess.run(tf.variables_initializer(variables))
      tf.train.Saver().save(sess, str(prefix), write_meta_graph=False)
  return values


RENAMES = ['--rename', 'depthwise_kernel=depthwise_weights',
           '--rename', 'pointwise_kernel=pointwise_weights',
           '--rename', '/bias$=/biases']


def restored_outputs(prefix, inputs):
  """Restores `prefix` into `small_model` built here; returns outputs, vars."""
  with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, inputs.shape)
    y = small_model(x)
    with tf.Session() as sess:
      tf.train.Saver().restore(sess, str(prefix))
      return sess.run(y, {x: inputs}), {v.op.name: sess.run(v)
                                        for v in tf.global_variables()}


def test_rename_and_write_converted_round_trip(tmp_path):
  source = tmp_path / 'keras' / 'model.ckpt'
  values = save_keras_named(source)
  status, result = run_json('diff', source, '--model',
                            'tests.test_ckpt:small_model', '--input-shape',
                            '1,8,8,3')
  assert status == 1 and len(result['unexpected']) == 5
  out = tmp_path / 'converted' / 'model.ckpt'
  status, result = run_json('diff', source, '--model',
                            'tests.test_ckpt:small_model', '--input-shape',
                            '1,8,8,3', *RENAMES, '--write-converted', out)
  assert status == 0, result
  assert result['renamed'] == 5
  assert sorted(os.path.basename(p) for p in result['written']) == [
      'model.ckpt.data-00000-of-00001', 'model.ckpt.index']
  # No temporary directory is left behind.
  assert sorted(os.listdir(out.parent)) == ['model.ckpt.data-00000-of-00001',
                                            'model.ckpt.index']
  inputs = np.random.RandomState(1).standard_normal([2, 8, 8, 3]).astype(
      np.float32)
  outputs, restored = restored_outputs(out, inputs)
  expected_names = {'sep/depthwise_weights': 'sep/depthwise_kernel',
                    'sep/pointwise_weights': 'sep/pointwise_kernel',
                    'sep/biases': 'sep/bias',
                    'dw/depthwise_weights': 'dw/depthwise_kernel',
                    'dw/biases': 'dw/bias'}
  assert sorted(restored) == sorted(expected_names)
  for new, old in expected_names.items():
    assert restored[new].tobytes() == values[old].tobytes()
  # The restored graph computes what the Keras-named weights define.
  with tf.Graph().as_default():
    net = tf.nn.separable_conv2d(inputs, values['sep/depthwise_kernel'],
                                 values['sep/pointwise_kernel'], [1, 1, 1, 1],
                                 'SAME')
    net = tf.nn.relu(tf.nn.bias_add(net, values['sep/bias']))
    net = tf.nn.depthwise_conv2d(net, values['dw/depthwise_kernel'],
                                 [1, 1, 1, 1], 'SAME')
    net = tf.nn.relu(tf.nn.bias_add(net, values['dw/bias']))
    with tf.Session() as sess:
      np.testing.assert_allclose(outputs, sess.run(net), rtol=1e-5,
                                 atol=1e-5)


def test_write_converted_never_clobbers_silently(tmp_path, capsys):
  source = tmp_path / 'keras' / 'model.ckpt'
  save_keras_named(source)
  out = tmp_path / 'out' / 'model.ckpt'
  assert run('convert', source, out, *RENAMES)[0] == 0
  before = {p: (out.parent / p).read_bytes() for p in os.listdir(out.parent)}
  other = tmp_path / 'other' / 'model.ckpt'
  save(small_model_first_layer, other)
  status, _ = run('convert', other, out)
  assert status == 2
  assert 'pass --force' in capsys.readouterr().err
  assert {p: (out.parent / p).read_bytes()
          for p in os.listdir(out.parent)} == before
  status, text = run('convert', other, out, '--force')
  assert status == 0 and '3 variables, 0 renamed' in text
  reader = tf.train.load_checkpoint(str(out))
  assert sorted(reader.get_variable_to_shape_map()) == [
      'sep/biases', 'sep/depthwise_weights', 'sep/pointwise_weights']


def test_write_converted_refused_when_diff_not_clean(tmp_path):
  source = tmp_path / 'keras' / 'model.ckpt'
  save_keras_named(source)
  out = tmp_path / 'out' / 'model.ckpt'
  status, result = run_json('diff', source, '--model',
                            'tests.test_ckpt:small_model', '--input-shape',
                            '1,8,8,3', '--write-converted', out)
  assert status == 1 and result['not_written'] and not result['written']
  assert not out.parent.exists() or not os.listdir(out.parent)


def test_write_converted_many_shards_is_bit_exact(small_ckpt, tmp_path):
  prefix, values = small_ckpt
  out = tmp_path / 'sharded' / 'model.ckpt'
  mapping = {n: 'renamed/' + n for n in values}
  written = ckpt.write_converted(str(prefix), mapping, str(out),
                                 shard_bytes=1)
  assert len(written) == len(values) + 1  # One data file per shard + index.
  reader = tf.train.load_checkpoint(str(out))
  for name, value in values.items():
    assert reader.get_tensor('renamed/' + name).tobytes() == value.tobytes()


def test_write_converted_shards_hold_shard_bytes_or_one_tensor(
    small_ckpt, tmp_path, monkeypatch):
  """Memory follows the shard size and the largest tensor, never the total."""
  prefix, values = small_ckpt
  sizes = sorted(v.nbytes for v in values.values())
  shard_bytes = sizes[-1] // 2  # the largest tensor cannot share a shard
  calls = []
  raw_ops = ckpt_io.tensorflow().raw_ops
  real = raw_ops.SaveV2

  def recording(**kwargs):
    calls.append([np.asarray(t).nbytes for t in kwargs['tensors']])
    return real(**kwargs)

  monkeypatch.setattr(raw_ops, 'SaveV2', recording)
  ckpt.write_converted(str(prefix), {n: n + '_new' for n in values},
                       str(tmp_path / 'out' / 'model.ckpt'),
                       shard_bytes=shard_bytes)
  assert sorted(n for call in calls for n in call) == sizes
  assert len(calls) > 1
  for call in calls:
    assert sum(call) <= shard_bytes or len(call) == 1, (call, shard_bytes)


def test_console_entry_point_runs_as_module(tf113_fixture):
  proc = subprocess.run(
      [sys.executable, '-m', 'contrib_compat.ckpt', 'inspect', '--json',
       str(tf113_fixture / 'model.ckpt')],
      capture_output=True, text=True, check=False,
      cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  assert proc.returncode == 0, proc.stderr
  assert json.loads(proc.stdout)['num_variables'] == 345


# ------------------------------------------------- convert never loses data


def _bytes_of(directory):
  return {p: (directory / p).read_bytes() for p in sorted(os.listdir(directory))}


def test_convert_refuses_the_source_through_a_symlinked_directory(
    small_ckpt, tmp_path, capsys):
  prefix, _ = small_ckpt
  alias = tmp_path / 'alias'
  alias.symlink_to(prefix.parent, target_is_directory=True)
  before = _bytes_of(prefix.parent)
  status, _ = run('convert', prefix, alias / 'model.ckpt', '--rename',
                  'sep=SEP', '--force')
  assert status == 2
  assert 'is the source checkpoint itself' in capsys.readouterr().err
  assert _bytes_of(prefix.parent) == before


def test_convert_into_an_existing_directory_is_refused(small_ckpt, tmp_path,
                                                       capsys):
  prefix, _ = small_ckpt
  target = tmp_path / 'existing_dir'
  target.mkdir()
  status, _ = run('convert', prefix, target)
  assert status == 2
  assert 'is a directory' in capsys.readouterr().err
  assert not (tmp_path / 'existing_dir.index').exists()
  assert os.listdir(target) == []


def test_force_keeps_the_old_checkpoint_whole_when_the_swap_fails(
    small_ckpt, tmp_path, monkeypatch):
  """A failure while the new files move in puts the old checkpoint back."""
  prefix, values = small_ckpt
  out = tmp_path / 'out' / 'model.ckpt'
  ckpt.write_converted(str(prefix), {n: 'old/' + n for n in values}, str(out))
  before = _bytes_of(out.parent)
  real_replace = os.replace
  moved = []

  def failing_replace(src, dst):
    # The new index is the last file to move: fail there once, as a full
    # disk or a kill would between the data files and the index.
    if (not moved and str(dst).endswith('.index') and
        '.ckpt-convert-' in str(src)):
      moved.append(dst)
      raise OSError(28, 'No space left on device')
    return real_replace(src, dst)

  monkeypatch.setattr(os, 'replace', failing_replace)
  with pytest.raises(ckpt.CkptError, match='No space left'):
    ckpt.write_converted(str(prefix), {n: 'new/' + n for n in values},
                         str(out), force=True)
  monkeypatch.setattr(os, 'replace', real_replace)
  assert moved
  assert _bytes_of(out.parent) == before
  reader = tf.train.load_checkpoint(str(out))
  assert sorted(reader.get_variable_to_shape_map()) == sorted(
      'old/' + n for n in values)


def test_failed_convert_leaves_no_directory_behind(small_ckpt, tmp_path):
  prefix, _ = small_ckpt
  data = glob.glob(str(prefix) + '.data-*')[0]
  with open(data, 'r+b') as f:
    f.truncate(8)  # A truncated download.
  out = tmp_path / 'new' / 'deeper' / 'model.ckpt'
  status, _ = run('convert', prefix, out)
  assert status == 2
  assert not (tmp_path / 'new').exists()


def test_unwritable_out_is_one_line_and_exit_2(small_ckpt, tmp_path, capsys,
                                               monkeypatch):
  prefix, _ = small_ckpt
  # A read-only directory, as a non-root user meets it (root writes anyway).
  def refuse(*args, **kwargs):
    raise PermissionError(13, 'Permission denied')
  monkeypatch.setattr(ckpt_io.tempfile, 'mkdtemp', refuse)
  status, _ = run('convert', prefix, tmp_path / 'locked' / 'model.ckpt')
  assert status == 2
  err = capsys.readouterr().err
  assert 'cannot be written: Permission denied' in err
  assert len(err.splitlines()) == 1
  assert not (tmp_path / 'locked').exists()


def test_unknown_input_dtype_is_a_usage_error(small_ckpt, capsys):
  prefix, _ = small_ckpt
  status, _ = run('diff', prefix, '--model', 'tests.test_ckpt:small_model',
                  '--input-shape', '1,8,8,3', '--input-dtype', 'floaty')
  assert status == 2
  assert "--input-dtype 'floaty' is not a TensorFlow dtype" in (
      capsys.readouterr().err)


def test_v1_format_checkpoints_are_read_and_converted(tmp_path):
  """TF1 Savers wrote one-file V1 checkpoints before the index format."""
  prefix = tmp_path / 'v1' / 'model.ckpt'
  prefix.parent.mkdir()
  with tf.Graph().as_default():
    small_model(tf.placeholder(tf.float32, (1, 8, 8, 3)))
    saver = tf.train.Saver(write_version=tf.train.SaverDef.V1)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      saver.save(sess, str(prefix), write_meta_graph=False)
      values = {v.op.name: sess.run(v) for v in tf.global_variables()}
  assert not (tmp_path / 'v1' / 'model.ckpt.index').exists()
  status, text = run('inspect', prefix)
  assert status == 0 and 'no data file' not in text
  out = tmp_path / 'v2' / 'model.ckpt'
  assert run('convert', prefix, out)[0] == 0
  reader = tf.train.load_checkpoint(str(out))
  for name, value in values.items():
    assert reader.get_tensor(name).tobytes() == value.tobytes()


_SIGTERM_MIDWAY = '''
import os, signal, sys
from contrib_compat import ckpt
from contrib_compat import ckpt_io
real_verify = ckpt_io._verify
def verify_then_get_killed(*args):
  real_verify(*args)
  os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` would, mid-convert
ckpt_io._verify = verify_then_get_killed
sys.exit(ckpt.main(sys.argv[1:]))
'''


def test_sigterm_mid_convert_cleans_up_and_keeps_the_old_checkpoint(
    small_ckpt, tmp_path):
  prefix, values = small_ckpt
  out = tmp_path / 'out' / 'model.ckpt'
  ckpt.write_converted(str(prefix), {n: 'old/' + n for n in values}, str(out))
  before = _bytes_of(out.parent)
  result = subprocess.run(
      [sys.executable, '-c', _SIGTERM_MIDWAY, 'convert', str(prefix),
       str(out), '--rename', 'sep=new', '--force'],
      cwd=REPO, capture_output=True, text=True, check=False, timeout=300)
  assert result.returncode == 143, result.stderr
  assert _bytes_of(out.parent) == before  # no staging directory either


def _dead_pid():
  """The pid of a process that has exited (and been reaped)."""
  child = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                         capture_output=True, text=True, check=True)
  return int(child.stdout)


def test_staging_left_by_a_killed_convert_is_removed_next_time(
    small_ckpt, tmp_path, capsys):
  """SIGKILL cannot be caught: the next convert into the directory removes
  the dead convert's staging copy, and names (keeps) the checkpoint it had
  moved aside, byte for byte."""
  prefix, values = small_ckpt
  out_dir = tmp_path / 'out'
  out_dir.mkdir()
  host, pid = socket.gethostname(), _dead_pid()
  staging = out_dir / ('.ckpt-convert-%s-%d-abc123' % (host, pid))
  staging.mkdir()
  (staging / 'model.ckpt.data-00000-of-00001').write_bytes(b'x' * 1000)
  moved_aside = out_dir / ('.ckpt-convert-old-%s-%d-def456' % (host, pid))
  moved_aside.mkdir()
  (moved_aside / 'model.ckpt.index').write_bytes(b'the old index')
  alive = out_dir / ('.ckpt-convert-%s-%d-ghi789' % (host, os.getpid()))
  alive.mkdir()
  other_host = out_dir / ('.ckpt-convert-elsewhere-%d-jkl012' % pid)
  other_host.mkdir()
  status, _ = run('convert', prefix, out_dir / 'model.ckpt', '--rename',
                  'sep=new')
  assert status == 0
  assert not staging.exists()
  assert (moved_aside / 'model.ckpt.index').read_bytes() == b'the old index'
  assert str(moved_aside) in capsys.readouterr().err
  assert alive.exists() and other_host.exists()  # not ours to remove
  assert sorted(n for n, _ in tf.train.list_variables(
      str(out_dir / 'model.ckpt'))) == sorted(
          n.replace('sep', 'new') for n in values)


def test_compare_is_tf1_savers_rule():
  # Same name restores only with the same dtype and shape (None in the model
  # accepts any size); tf.train.Checkpoint's bookkeeping is not a variable.
  found = ckpt.compare(
      {'a': ([3], 'float32'), 'b': ([3], 'float32'), 'c': ([4], 'float32'),
       'd': ([2], 'float32'), '_CHECKPOINTABLE_OBJECT_GRAPH': ([], 'string')},
      {'a': ([3], 'float32'), 'b': ([3], 'float16'), 'c': ([None], 'float32'),
       'e': ([1], 'float32')})
  assert found['matched'] == 2
  assert [m['name'] for m in found['mismatched']] == ['b']
  assert [m['name'] for m in found['missing']] == ['e']
  assert [m['name'] for m in found['unexpected']] == ['d']
