"""The README's Quickstart is what CI runs, so its install steps are tested."""
import re

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
