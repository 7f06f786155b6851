"""Tests for contrib_compat.run: TF1 scripts run unchanged.

The runner disables TF 2 behaviour for the whole process, so every test runs
it in a subprocess, as users do.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO

LEGACY = REPO / 'tests' / 'legacy_scripts'


def _run(args, cwd, timeout=300):
  env = dict(os.environ)
  # The package comes from the checkout, wherever the test runs from.
  env['PYTHONPATH'] = os.pathsep.join(
      [str(REPO)] + [p for p in [env.get('PYTHONPATH')] if p])
  return subprocess.run([sys.executable, '-m', 'contrib_compat.run'] + args,
                        cwd=str(cwd), env=env, capture_output=True, text=True,
                        timeout=timeout, check=False)


def _write(path, source):
  path.write_text(textwrap.dedent(source))
  return path


_PROBE = """
    import json
    import sys

    import tensorflow as tf
    import tensorflow.compat.v1 as v1
    import tensorflow.contrib.slim as slim
    from tensorflow import contrib
    from tensorflow.contrib import layers
    from tensorflow.contrib.framework import arg_scope
    import tf_slim
    import contrib_compat as cc
    import helper  # beside the script: sys.path[0] is the script's directory

    images = tf.placeholder(tf.float32, [1, 4, 4, 3])
    facts = {
        'argv': sys.argv,
        'name': __name__,
        'path0': sys.path[0],
        'file': __file__,
        'eager': tf.executing_eagerly(),
        'session': tf.Session is v1.Session,
        'placeholder_op': images.op.type,
        'v1_contrib': v1.contrib is tf.contrib is contrib,
        'slim_is_contrib_slim': slim is tf.contrib.slim,
        'layers_sep': layers.separable_conv2d is cc.separable_conv2d,
        'slim_bn': slim.batch_norm is cc.batch_norm,
        'arg_scope': arg_scope is cc.arg_scope,
        'tf_slim_repaired': tf_slim.batch_norm is cc.batch_norm,
        'helper_sees_tf1': helper.sees_tf1(),
        'version': tf.__version__ == v1.VERSION,
        'compat_v2': hasattr(tf.compat.v2, 'function'),
    }
    print(json.dumps(facts))
    if __name__ == '__main__':
      sys.exit(int(sys.argv[1]))
    """

_HELPER = """
    import tensorflow as tf

    def sees_tf1():
      return hasattr(tf, 'Session') and hasattr(tf, 'contrib')
    """


@pytest.fixture(scope='module')
def probe(tmp_path_factory):
  """The probe script's facts, run as `run SCRIPT 3 --flag x` from elsewhere."""
  scripts = tmp_path_factory.mktemp('scripts')
  _write(scripts / 'helper.py', _HELPER)
  script = _write(scripts / 'probe.py', _PROBE)
  result = _run([str(script), '3', '--flag', 'x'],
                cwd=tmp_path_factory.mktemp('cwd'))
  lines = result.stdout.strip().splitlines()
  assert lines, result.stderr[-3000:]
  return result, json.loads(lines[-1]), script


def test_argv_name_path_and_file(probe):
  _, facts, script = probe
  assert facts['argv'] == [str(script), '3', '--flag', 'x']
  assert facts['name'] == '__main__'
  assert facts['path0'] == str(script.parent)
  assert facts['file'] == str(script)


def test_sys_exit_status_passes_through(probe):
  result, _, _ = probe
  assert result.returncode == 3, result.stderr[-3000:]


def test_tensorflow_is_the_tf1_api_with_contrib(probe):
  _, facts, _ = probe
  assert facts['eager'] is False
  assert facts['session'] is True
  assert facts['placeholder_op'] == 'Placeholder'
  assert facts['v1_contrib'] is True
  assert facts['slim_is_contrib_slim'] is True
  assert facts['layers_sep'] is True
  assert facts['slim_bn'] is True
  assert facts['arg_scope'] is True
  assert facts['version'] is True
  assert facts['compat_v2'] is True


def test_tf_slim_is_repaired(probe):
  _, facts, _ = probe
  assert facts['tf_slim_repaired'] is True


def test_helper_modules_see_tf1_too(probe):
  _, facts, _ = probe
  assert facts['helper_sees_tf1'] is True


def test_uncaught_exception_prints_traceback_and_exits_1(tmp_path):
  script = _write(tmp_path / 'boom.py', """
      def fail():
        raise ValueError('boom from the script')

      fail()
      """)
  result = _run([str(script)], cwd=tmp_path)
  assert result.returncode == 1
  lines = result.stderr.strip().splitlines()
  assert lines[-1] == 'ValueError: boom from the script'
  assert 'Traceback (most recent call last):' in result.stderr
  trace = result.stderr[result.stderr.rindex('Traceback'):]
  assert 'boom.py", line 5, in <module>' in trace
  assert 'boom.py", line 3, in fail' in trace
  # As under `python SCRIPT`: no runner or runpy frames.
  assert 'runpy' not in trace and 'contrib_compat' not in trace


def test_script_excepthook_is_honoured(tmp_path):
  script = _write(tmp_path / 'hook.py', """
      import sys

      def hook(exc_type, exc, tb):
        print('hooked %s' % exc_type.__name__)

      sys.excepthook = hook
      raise KeyError('x')
      """)
  result = _run([str(script)], cwd=tmp_path)
  assert result.returncode == 1
  assert result.stdout.strip() == 'hooked KeyError'


def test_sys_exit_with_a_message(tmp_path):
  # (A plain end and sys.exit(n) are covered by the probe and the legacy
  # scripts; each case here costs a TensorFlow start-up.)
  script = _write(tmp_path / 'exits.py', """
      import sys
      sys.exit('fatal: bad input')
      """)
  result = _run([str(script)], cwd=tmp_path)
  assert result.returncode == 1
  assert result.stderr.strip().splitlines()[-1] == 'fatal: bad input'


@pytest.mark.parametrize('args,status', [([], 2), (['--help'], 0),
                                         (['no_such_script.py'], 2)])
def test_usage(tmp_path, args, status):
  result = _run(args, cwd=tmp_path)
  assert result.returncode == status
  usage = 'usage: python -m contrib_compat.run [-v] SCRIPT [ARGS...]'
  # --help answers on stdout, errors on stderr, as python's own do.
  assert usage in (result.stdout if status == 0 else result.stderr)
  if args and args[0].endswith('.py'):
    assert 'no_such_script.py' in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize('script,extra', [
    ('mobilenet_v1_train.py', ['--steps', '2']),
    ('mobilenet_v2_train.py', ['--steps', '2', '--depth_multiplier', '0.5']),
    ('tf_slim_inception_train.py', []),
    ('resnet_contrib_paths_train.py', []),
])
def test_legacy_scripts_run_unchanged(tmp_path, script, extra):
  out = tmp_path / 'out'
  out.mkdir()
  result = _run([str(LEGACY / script), str(out)] + extra, cwd=tmp_path,
                timeout=600)
  assert result.returncode == 0, result.stderr[-5000:]
  last = result.stdout.strip().splitlines()[-1]
  assert last.startswith('OK '), result.stdout[-2000:]
  assert float(last.split()[1]) > 0
  assert any(p.name.endswith('.index') for p in out.iterdir())


def test_legacy_scripts_fail_without_the_runner(tmp_path):
  # Proof that the runner is what makes them work: plain python cannot even
  # import them (no tf.contrib on TF 2).
  result = subprocess.run(
      [sys.executable, str(LEGACY / 'mobilenet_v1_train.py'), str(tmp_path)],
      cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
      check=False)
  assert result.returncode == 1
  assert "has no attribute 'contrib'" in result.stderr


def test_runner_module_has_no_import_side_effects():
  # `import contrib_compat.run` must not disable TF 2 behaviour; only main().
  code = ('import contrib_compat.run, tensorflow as tf; '
          'print(tf.executing_eagerly(), hasattr(tf, "contrib"))')
  result = subprocess.run([sys.executable, '-c', code], cwd=str(REPO),
                          capture_output=True, text=True, timeout=300,
                          check=False)
  assert result.stdout.strip().splitlines()[-1] == 'True False', (
      result.stderr[-3000:])



def test_a_directory_runs_its_main_as_python_does(tmp_path):
  package = tmp_path / 'app'
  package.mkdir()
  _write(package / '__main__.py', """\
      import sys
      import tensorflow as tf
      print(sys.path[0] == sys.argv[0], hasattr(tf, 'contrib'))
      """)
  result = _run([str(package)], cwd=tmp_path)
  assert result.returncode == 0, result.stderr
  assert result.stdout.split() == ['True', 'True']


def test_a_directory_without_main_is_refused_in_pythons_words(tmp_path):
  result = _run([str(tmp_path)], cwd=tmp_path)
  plain = subprocess.run([sys.executable, str(tmp_path)], capture_output=True,
                         text=True, check=False, cwd=str(tmp_path))
  assert result.returncode == plain.returncode == 1
  assert "can't find '__main__' module in" in result.stderr
  assert 'no such file' not in result.stderr


def test_argv0_stays_as_written(tmp_path):
  (tmp_path / 'sub').mkdir()
  _write(tmp_path / 'sub' / 'script.py', """\
      import os, sys
      print(sys.argv[0], os.path.isabs(__file__))
      """)
  ours = _run(['sub/script.py', 'x'], cwd=tmp_path)
  plain = subprocess.run([sys.executable, 'sub/script.py', 'x'],
                         capture_output=True, text=True, check=False,
                         cwd=str(tmp_path))
  assert ours.returncode == 0, ours.stderr
  assert ours.stdout == plain.stdout == 'sub/script.py True\n'


def test_spawned_pool_workers_see_tf1(tmp_path):
  """A spawn-based Pool's workers import the script again: TF 1 there too."""
  script = _write(tmp_path / 'pool.py', """\
      import multiprocessing
      import tensorflow as tf

      def work(i):
        graph = tf.Graph()
        with graph.as_default():
          x = tf.placeholder(tf.float32, [])
          with tf.Session() as sess:
            return float(sess.run(x * 2, {x: i}))

      if __name__ == '__main__':
        with multiprocessing.get_context('spawn').Pool(2) as pool:
          print(sorted(pool.map(work, [1.0, 2.0])))
      """)
  result = _run([str(script)], cwd=tmp_path, timeout=240)
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip() == '[2.0, 4.0]'


def test_a_syntax_error_shows_only_the_scripts_line(tmp_path):
  script = tmp_path / 'broken.py'
  script.write_text('x = (\n')
  ours = _run([str(script)], cwd=tmp_path)
  plain = subprocess.run([sys.executable, str(script)], capture_output=True,
                         text=True, check=False, cwd=str(tmp_path))
  assert ours.returncode == plain.returncode == 1
  assert 'Traceback' not in ours.stderr
  assert ours.stderr.endswith(plain.stderr)
