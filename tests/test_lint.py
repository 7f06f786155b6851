"""ruff, configured in pyproject.toml, finds nothing in the repository.

Its rules: pyflakes, syntax errors, bugbear, and at most 8 parameters per
helper (docs/CONTRIBUTING.md). `pip install -e ".[test]"` installs it.
"""
import subprocess
import sys

from tests.conftest import REPO


def test_ruff_finds_nothing():
  result = subprocess.run(
      [sys.executable, '-m', 'ruff', 'check', '--output-format', 'concise',
       '.'], cwd=REPO, capture_output=True, text=True, check=False,
      timeout=300)
  assert 'No module named ruff' not in result.stderr, (
      'ruff is missing: pip install -e ".[test]"')
  assert result.returncode == 0, result.stdout + result.stderr
