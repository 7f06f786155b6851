"""Real TF 1.15 in its own interpreter, for the live differential tests.

TF 1.15 needs Python 3.7; the interpreter is `$CONTRIB_COMPAT_TF1_PYTHON`,
else `/tmp/tf115/bin/python` (what `.ci/run` builds). Without one a test
that needs it skips and says how to get one.
"""
import json
import os
import subprocess

import pytest

from tests.conftest import REPO

DEFAULT_PYTHON = '/tmp/tf115/bin/python'
INSTALL = ('PYENV_VERSION=3.7.16 python3.7 -m venv /tmp/tf115 && '
           '/tmp/tf115/bin/pip install tensorflow-cpu==1.15.0 '
           '"numpy<1.19" "protobuf<3.21"')


def python():
  """The TF 1.15 interpreter, or skips the test."""
  path = os.environ.get('CONTRIB_COMPAT_TF1_PYTHON', DEFAULT_PYTHON)
  if not os.path.exists(path):
    pytest.skip('no TF 1.15 interpreter at %s (set CONTRIB_COMPAT_TF1_PYTHON,'
                ' or: %s)' % (path, INSTALL))
  return path


def environment():
  """This process's environment, less what importing TF 2 put there.

  TF 2's `import tensorflow` sets TF2_BEHAVIOR=1, which TF 1.15 honours
  (TF 2 control flow and behaviour in TF1): it would test another TF1.
  """
  env = {k: v for k, v in os.environ.items()
         if k != 'TF2_BEHAVIOR' and not k.startswith('TPU_ML_PLATFORM')}
  env.update(TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=str(REPO))
  return env


def describe(script, cases, *args):
  """Runs `tests/conformance/<script> --describe ARGS` under TF 1.15 with
  the JSON `cases` on stdin; its JSON answer."""
  result = subprocess.run(
      [python(), os.path.join('tests', 'conformance', script), '--describe']
      + list(args), input=json.dumps(cases), cwd=REPO, capture_output=True,
      text=True, check=False, timeout=1800, env=environment())
  assert result.returncode == 0, result.stderr[-3000:]
  return json.loads(result.stdout)
