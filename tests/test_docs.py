"""The examples of README.md, migration_guide.md and docs/ run as written.

Each ```python block runs in a fresh interpreter in an empty directory
(unless its `# Needs TensorFlow >= X.Y` line asks for a newer release);
where a `print(...)` is followed by `# expected` comment lines, the printed
text must match them.
"""
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

PAGES = sorted((REPO / 'docs').glob('*.md')) + [REPO / 'README.md',
                                               REPO / 'migration_guide.md']


def _examples():
  for page in PAGES:
    for i, block in enumerate(re.findall(r'```python\n(.*?)```',
                                         page.read_text(), flags=re.S)):
      yield pytest.param(block, id='%s-%d' % (page.name, i))


def _expected(block):
  """What the block says it prints, one entry per commented print() call.

  The comment is on the print line or on the comment lines right below it.
  An entry is cut at `...` (the rest elided) and at the first `: ` (an
  explanation follows); one starting with `~` is approximate and skipped.
  """
  chunks, current = [], None
  for line in block.splitlines():
    code, _, comment = line.partition('  # ')
    stripped = line.strip()
    if code.strip().startswith('print('):
      current = [comment] if comment else []
      chunks.append(current)
    elif current is not None and stripped.startswith('#'):
      current.append(stripped[1:])
    else:
      current = None
  out = []
  for chunk in chunks:
    text = ' '.join(' '.join(chunk).split())
    if not text or text.startswith('~'):
      continue
    out.append(text.split('...')[0].split(': ')[0].strip())
  return out


def _too_old(block):
  """The TensorFlow an example says it needs, when older is installed."""
  need = re.search(r'^# Needs TensorFlow >= (\d+)\.(\d+)', block, re.M)
  if need is None:
    return None
  import tensorflow as tf
  have = tuple(int(v) for v in tf.__version__.split('.')[:2])
  wanted = (int(need.group(1)), int(need.group(2)))
  return '.'.join(need.groups()) if have < wanted else None


@pytest.mark.parametrize('block', list(_examples()))
def test_example_runs(block, tmp_path):
  needed = _too_old(block)
  if needed:
    pytest.skip('the example needs TensorFlow >= %s' % needed)
  result = subprocess.run([sys.executable, '-c', block], cwd=tmp_path,
                          capture_output=True, text=True, check=False,
                          timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  printed = ' '.join(result.stdout.split())
  position = 0
  for expected in _expected(block):
    found = printed.find(expected, position)
    assert found >= 0, (expected, printed[position:])
    position = found + len(expected)
