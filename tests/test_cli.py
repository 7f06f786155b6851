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


def test_tools_loading_tensorflow_are_quiet_unless_asked():
  quiet = _tool('ckpt', 'inspect', TF113_FIXTURE / 'model.ckpt')
  assert quiet.returncode == 0, quiet.stderr
  assert not any(n in quiet.stderr for n in TF_NOISE), quiet.stderr
  # -v, or the user's own setting, lets TensorFlow speak.
  for args, env in ((['-v'], None), ([], {'TF_CPP_MIN_LOG_LEVEL': '0'})):
    loud = _tool('ckpt', 'inspect', *args, TF113_FIXTURE / 'model.ckpt',
                 env=env)
    assert loud.returncode == 0
    assert any(n in loud.stderr for n in TF_NOISE) or not any(
        n in _tf_noise_probe() for n in TF_NOISE)


def _tf_noise_probe():
  """What `import tensorflow` prints here with logging fully on."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='0')
  return subprocess.run([sys.executable, '-c', 'import tensorflow'],
                        capture_output=True, text=True, env=env,
                        check=False).stderr


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
