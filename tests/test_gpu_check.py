"""tools/gpu_check: runs everywhere; without a GPU it says what it skipped."""
import os
import subprocess

import pytest
import tensorflow as tf

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def test_gpu_check_runs_and_reports_each_part():
  result = subprocess.run([str(REPO / 'tools' / 'gpu_check')], cwd=REPO,
                          capture_output=True, text=True, timeout=600,
                          check=False, env=dict(os.environ))
  assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
  summary = result.stdout.split('== summary\n')[1].splitlines()
  assert len(summary) == 2, summary
  if tf.config.list_physical_devices('GPU'):
    assert summary[0].startswith('GPU-only tests: '), summary
    assert 'FAILED' not in result.stdout
  else:
    assert summary == [
        'GPU-only tests: skipped (no GPU visible to TensorFlow)',
        'step benchmark on /gpu:0: skipped (no GPU); its plumbing ran on '
        'the CPU']
    # The plumbing really ran: both dtypes, training and inference.
    for row in ('| training NHWC float32 |', '| inference NHWC float16 |'):
      assert row in result.stdout, result.stdout
