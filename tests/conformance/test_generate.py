"""The one golden generator: its registry, its --check, and installing.

The registry must account for every committed golden and reference file
(one family each); `--check` must name a file that differs, is missing, or
is no longer made; installing must leave exactly what the producer made.
A fake family (a producer run by this Python) exercises the mechanism; the
real families are checked live where their stack is installed.
"""
import os
import subprocess
import sys

import pytest

from tests.conformance import generate
from tests.conftest import REPO
from tests.helpers import tf1

_REFERENCE_FILES = ('tests/conformance/golden', 'tests/data/tf1.15-reference',
                    'tests/data/tf1.15-quantize-mobilenet-v1')


def test_every_golden_has_exactly_one_family():
  for folder in _REFERENCE_FILES:
    for root, _, names in os.walk(REPO / folder):
      for name in names:
        relpath = os.path.relpath(os.path.join(root, name), REPO)
        if name == 'SOURCE.md' or '__pycache__' in relpath:
          continue
        owners = [f.name for f in generate.FAMILIES if f.owns(relpath)]
        assert len(owners) == 1, (relpath, owners)


def test_every_family_owns_committed_files_and_its_producer_exists():
  for family in generate.FAMILIES:
    assert generate.committed(family), family.name
    assert (REPO / 'tests' / 'conformance' / family.producer).is_file()
    assert family.stack in generate.STACKS


_PRODUCER = '''
import os, sys
out = sys.argv[sys.argv.index('--out') + 1]
os.makedirs(os.path.join(out, 'golden'))
for name, text in (('same.json', 'same'), ('new.json', 'new'),
                   ('changed.json', 'now')):
  with open(os.path.join(out, 'golden', name), 'w') as f:
    f.write(text)
'''


@pytest.fixture
def fake(tmp_path, monkeypatch):
  """A repository with golden/{same,changed,gone}.json and a family."""
  repo = tmp_path / 'repo'
  (repo / 'golden').mkdir(parents=True)
  for name, text in (('same.json', 'same'), ('changed.json', 'then'),
                     ('gone.json', 'gone')):
    (repo / 'golden' / name).write_text(text)
  (tmp_path / 'producer.py').write_text(_PRODUCER)
  monkeypatch.setattr(generate, 'REPO', str(repo))
  monkeypatch.setattr(generate, 'HERE', str(tmp_path))
  monkeypatch.setitem(generate.STACKS, 'here', lambda: sys.executable)
  family = generate.Family('fake', 'here', 'producer.py', ('golden/*.json',))
  monkeypatch.setattr(generate, 'FAMILIES', (family,))
  monkeypatch.setattr(generate, 'BY_NAME', {'fake': family})
  return repo


def test_check_names_what_differs_is_missing_or_gone(fake, capsys):
  before = {p.name: p.read_text() for p in (fake / 'golden').iterdir()}
  assert generate.main(['--check']) == 1
  out = capsys.readouterr().out
  assert 'differs: golden/changed.json' in out
  assert 'missing: golden/new.json' in out
  assert 'no longer made: golden/gone.json' in out
  assert 'same.json' not in out
  assert {p.name: p.read_text() for p in (fake / 'golden').iterdir()} == (
      before)


def test_writing_leaves_what_was_made_then_check_passes(fake, capsys):
  assert generate.main([]) == 0
  assert {p.name: p.read_text() for p in (fake / 'golden').iterdir()} == {
      'same.json': 'same', 'new.json': 'new', 'changed.json': 'now'}
  assert generate.main(['--check']) == 0
  assert 'all as committed' in capsys.readouterr().out


def test_a_failing_producer_or_missing_stack_writes_nothing(
    fake, tmp_path, monkeypatch, capsys):
  (tmp_path / 'producer.py').write_text('import sys; sys.exit(3)')
  assert generate.main([]) == 2
  assert 'exited 3' in capsys.readouterr().err
  assert (fake / 'golden' / 'changed.json').read_text() == 'then'
  monkeypatch.setitem(generate.STACKS, 'here', lambda: '/no/python')
  assert generate.main(['--check']) == 2
  assert 'needs the here stack' in capsys.readouterr().err


def test_unknown_family_is_one_line_and_exit_2():
  run = subprocess.run(
      [sys.executable, 'tests/conformance/generate.py', 'nope'], cwd=REPO,
      capture_output=True, text=True, check=False)
  assert run.returncode == 2
  assert 'unknown families' in run.stderr


@pytest.mark.slow
def test_tf1_image_golden_is_what_tf1_makes_now():
  env = dict(os.environ, CONTRIB_COMPAT_TF1_PYTHON=tf1.python())
  run = subprocess.run(
      [sys.executable, 'tests/conformance/generate.py', 'tf1_image',
       '--check'], cwd=REPO, env=env, capture_output=True, text=True,
      check=False, timeout=600)
  assert run.returncode == 0, run.stdout + run.stderr
