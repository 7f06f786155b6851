"""The command-line tools as a newcomer meets them: --version, --help, quiet.

Each tool runs in a subprocess from the checkout, as a user runs it; the
TensorFlow start-up lines only a C++ runtime prints (oneDNN,
cpu_feature_guard) must not reach stderr unless asked for.
"""
import os
import subprocess
import sys

import pytest

import contrib_compat
from contrib_compat import cli
from tests.conftest import REPO
from tests.conftest import TF113_FIXTURE

TOOLS = {
    'migrate': [sys.executable, '-m', 'contrib_compat.migrate'],
    'ckpt': [sys.executable, '-m', 'contrib_compat.ckpt'],
    'run': [sys.executable, '-m', 'contrib_compat.run'],
}
# What TensorFlow's C++ runtime prints when it loads on a CPU like this one.
TF_NOISE = ('cpu_feature_guard', 'oneDNN', 'absl::InitializeLog')


def _tool(name, *args, env=None, stdin=None, shell_pipe=None):
  environment = {k: v for k, v in os.environ.items()
                 if k != 'TF_CPP_MIN_LOG_LEVEL'}
  # oneDNN on, as on most cloud CPUs: its notice is printed before absl
  # logging starts, the line TF_CPP_MIN_LOG_LEVEL cannot hide.
  environment['TF_ENABLE_ONEDNN_OPTS'] = '1'
  environment.update(env or {})
  return subprocess.run(TOOLS[name] + [str(a) for a in args], cwd=REPO,
                        env=environment, capture_output=True, text=True,
                        check=False, timeout=300, input=stdin)


@pytest.mark.parametrize('name', sorted(TOOLS))
def test_version(name):
  result = _tool(name, '--version')
  assert result.returncode == 0, result.stderr
  assert result.stdout.split()[-1] == contrib_compat.__version__
  assert result.stderr == ''


@pytest.mark.parametrize('name', sorted(TOOLS))
def test_help_prints_usage_and_nothing_on_stderr(name):
  result = _tool(name, '--help')
  assert result.returncode == 0
  assert 'usage:' in result.stdout
  assert result.stderr == ''


def test_library_import_loads_no_tensorflow_and_sets_no_logging():
  code = ('import os, sys, contrib_compat; '
          'print("tensorflow" in sys.modules, '
          '"TF_CPP_MIN_LOG_LEVEL" in os.environ)')
  result = subprocess.run([sys.executable, '-c', code], cwd=REPO, text=True,
                          capture_output=True, check=True,
                          env={k: v for k, v in os.environ.items()
                               if k != 'TF_CPP_MIN_LOG_LEVEL'})
  assert result.stdout.split() == ['False', 'False']


def test_tensorflow_prints_the_onednn_notice_that_the_tools_hide():
  """The probe the quiet tests rely on: without hiding, the notice is there
  even with TF_CPP_MIN_LOG_LEVEL=2 (if not, those tests could not fail)."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', TF_ENABLE_ONEDNN_OPTS='1')
  loud = subprocess.run([sys.executable, '-c', 'import tensorflow'],
                        capture_output=True, text=True, env=env, check=False)
  assert 'oneDNN custom operations are on' in loud.stderr


def test_tools_loading_tensorflow_are_quiet_unless_asked():
  quiet = _tool('ckpt', 'inspect', TF113_FIXTURE / 'model.ckpt')
  assert quiet.returncode == 0, quiet.stderr
  assert quiet.stderr == ''
  # -v, or the user's own setting, lets TensorFlow speak.
  for args, env in ((['-v'], None), ([], {'TF_CPP_MIN_LOG_LEVEL': '0'})):
    loud = _tool('ckpt', 'inspect', *args, TF113_FIXTURE / 'model.ckpt',
                 env=env)
    assert loud.returncode == 0
    assert 'oneDNN custom operations are on' in loud.stderr


def test_runner_hides_start_up_notices_unless_v(tmp_path):
  script = tmp_path / 'script.py'
  script.write_text('import sys\nimport tensorflow as tf\n'
                    'sys.stderr.write("mine\\n")\n')
  quiet = _tool('run', script)
  assert (quiet.returncode, quiet.stderr) == (0, 'mine\n')
  loud = _tool('run', '-v', script)
  assert loud.returncode == 0
  assert 'oneDNN custom operations are on' in loud.stderr
  assert loud.stderr.endswith('mine\n')


def test_hiding_keeps_everything_but_start_up_lines(tmp_path):
  """Python's own warnings and errors printed while TensorFlow loads stay."""
  code = '\n'.join([
      'import builtins, sys',
      'from contrib_compat import cli',
      'sys.stderr.write("before\\n")',
      'real = builtins.__import__',
      'def noisy(name, *args, **kwargs):',
      '  # Says something once, as a Python warning during the import would.',
      '  if name == "tensorflow" and "tensorflow" not in sys.modules:',
      '    builtins.__import__ = real',
      '    sys.stderr.write("E: kept\\n")',
      '  return real(name, *args, **kwargs)',
      'builtins.__import__ = noisy',
      'tf = cli.import_tensorflow(2)',
      'print(tf.__name__)'])
  env = {k: v for k, v in os.environ.items() if k != 'TF_CPP_MIN_LOG_LEVEL'}
  env['TF_ENABLE_ONEDNN_OPTS'] = '1'
  result = subprocess.run([sys.executable, '-c', code], cwd=REPO, env=env,
                          capture_output=True, text=True, check=False)
  assert result.stdout == 'tensorflow\n', result.stderr
  assert result.stderr == 'before\nE: kept\n'


def test_drop_noise_by_severity():
  text = ('WARNING: All log messages before absl::InitializeLog() is called '
          'are written to STDERR\n'
          'I0000 00:00:1796353238.414508    2414 port.cc:153] oneDNN custom\n'
          'I0000 00:00:1796353238.464192    2414 cpu_feature_guard.cc:227] '
          'optimized\n'
          'To enable the following instructions: AVX2 FMA, in other ...\n'
          'W0000 00:00:1796353238.4 2414 x.cc:1] a warning\n'
          'E0000 00:00:1796353238.4 2414 x.cc:2] an error\n'
          'Traceback (most recent call last):\n')
  assert cli._drop_noise(text, 1).splitlines() == [
      'W0000 00:00:1796353238.4 2414 x.cc:1] a warning',
      'E0000 00:00:1796353238.4 2414 x.cc:2] an error',
      'Traceback (most recent call last):']
  assert cli._drop_noise(text, 2).splitlines()[0].startswith('E0000')


# A machine without TensorFlow, as `import` sees it.
_NO_TENSORFLOW = '\n'.join([
    'import runpy, sys',
    'class Absent:',
    '  def find_spec(self, name, path=None, target=None):',
    '    if name.split(".")[0] == "tensorflow":',
    '      raise ModuleNotFoundError("No module named %r" % name, name=name)',
    'sys.meta_path.insert(0, Absent())',
    'sys.argv = sys.argv[1:]',
    'runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)'])


@pytest.mark.parametrize('module, args', [
    ('contrib_compat.ckpt', ['inspect', TF113_FIXTURE / 'model.ckpt']),
    ('contrib_compat.run', ['contrib_compat/demo.py']),
    ('contrib_compat.demo', []),
])
def test_without_tensorflow_one_line_names_the_install(module, args):
  result = subprocess.run(
      [sys.executable, '-c', _NO_TENSORFLOW, module] + [str(a) for a in args],
      cwd=REPO, capture_output=True, text=True, check=False, timeout=300)
  assert result.returncode == 2, result.stderr
  assert len(result.stderr.splitlines()) == 1, result.stderr
  assert 'TensorFlow is not installed' in result.stderr
  assert "pip install 'contrib-compat[cpu]'" in result.stderr


def test_ckpt_inspect_into_a_closed_pipe_ends_quietly():
  # `contrib-compat-ckpt inspect CKPT | head -1`
  command = '%s -m contrib_compat.ckpt inspect %s | head -1' % (
      sys.executable, TF113_FIXTURE / 'model.ckpt')
  result = subprocess.run(['bash', '-o', 'pipefail', '-c', command], cwd=REPO,
                          capture_output=True, text=True, check=False,
                          timeout=300)
  assert 'Traceback' not in result.stderr, result.stderr
  assert 'BrokenPipeError' not in result.stderr
  assert result.returncode in (0, 141)
  assert result.stdout.startswith('checkpoint ')
