"""The README's Quickstart is what CI runs, so its install steps are tested."""
import os
import re
import subprocess
import sys

from tests.conftest import REPO


def _quickstart_shell_blocks():
  readme = (REPO / 'README.md').read_text()
  quickstart = readme.split('## Quickstart', 1)[1].split('\n## ', 1)[0]
  return re.findall(r'```sh\n(.*?)```', quickstart, flags=re.S)


def test_quickstart_has_demo_then_test_command():
  blocks = _quickstart_shell_blocks()
  assert len(blocks) >= 2
  assert 'contrib_compat.demo' in blocks[0]
  assert 'pytest' in blocks[1]


def test_ci_runs_the_readme_test_command():
  test_command = _quickstart_shell_blocks()[1].strip()
  ci_lines = [line.strip() for line in
              (REPO / '.ci' / 'run').read_text().splitlines()]
  assert test_command in ci_lines


def test_ckpt_worked_example_runs_from_a_clone():
  """The README's contrib-compat-ckpt example, run as written at the root.

  Its `# ` lines are the output it documents; the fixture it reads lives in
  tests/data, so a fresh clone has it.
  """
  readme = (REPO / 'README.md').read_text()
  block = next(b for b in re.findall(r'```sh\n(.*?)```', readme, flags=re.S)
               if 'contrib-compat-ckpt inspect' in b)
  # The fixture path is the repository's own, which every clone has.
  assert 'CKPT=tests/data/' in block
  script = '\n'.join(line.split('  #', 1)[0] for line in block.splitlines()
                     if not line.startswith('#'))
  expected = [line[2:] for line in block.splitlines()
              if line.startswith('# ') and line[2:].strip()]
  # The console scripts sit beside this interpreter; a user whose venv is
  # not activated has them there too, not on PATH.
  path = os.pathsep.join([os.path.dirname(sys.executable),
                          os.environ.get('PATH', '')])
  result = subprocess.run(['bash', '-euo', 'pipefail', '-c', script],
                          cwd=REPO, capture_output=True, text=True,
                          check=False, timeout=300,
                          env=dict(os.environ, PATH=path))
  assert result.returncode == 0, result.stderr
  lines = [line.rstrip() for line in result.stdout.splitlines()]
  for line in expected:
    assert line.rstrip() in lines
