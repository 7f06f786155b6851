"""migrate/cache.py: files left unchanged are not parsed again, same output."""
import io
import os

import pytest

from contrib_compat import migrate
from contrib_compat.migrate import cache
from contrib_compat.migrate import rewrite

# Left unchanged, with a use that needs a hand edit (a note to remember).
HAND_EDIT = b'''import tensorflow.compat.v1 as tf

tf.contrib.quantize.create_training_graph()
'''
# Rewritten by migration.
TO_REWRITE = b'''import tensorflow as tf
slim = tf.contrib.slim
net = slim.separable_conv2d(images, 8, [3, 3])
'''


def _run(paths, **kwargs):
  out, err = io.StringIO(), io.StringIO()
  status = migrate.migrate([str(p) for p in paths], stdout=out, stderr=err,
                           jobs=1, **kwargs)
  return status, out.getvalue(), err.getvalue()


@pytest.fixture
def tree(tmp_path):
  (tmp_path / 'hand_edit.py').write_bytes(HAND_EDIT)
  (tmp_path / 'to_rewrite.py').write_bytes(TO_REWRITE)
  (tmp_path / 'plain.py').write_bytes(b'x = 1\n')
  return tmp_path


@pytest.fixture
def parses(monkeypatch):
  """The sources rewrite_sources is called for, in order."""
  seen = []
  real = rewrite.rewrite_sources

  def counting(sources):
    seen.append(sources)
    return real(sources)

  monkeypatch.setattr(rewrite, 'rewrite_sources', counting)
  return seen


def test_second_run_parses_only_what_changed_and_reports_the_same(tree,
                                                                  parses):
  first = _run([tree])
  assert len(parses) == 3
  assert 'quantize' in first[2]  # the hand edit is reported
  second = _run([tree])
  # Only the file with pending changes (a dry run leaves it as it was) is
  # parsed again; the report is the same, word for word.
  assert [s[0] for s in parses[3:]] == [TO_REWRITE]
  assert second == first


def test_written_files_are_remembered_from_the_run_after(tree, parses):
  _run([tree], write=True)
  again = _run([tree])
  assert len(parses) == 3 + 1  # the rewritten file, once, in its new form
  assert _run([tree]) == again
  assert len(parses) == 4
  assert 'nothing rewritten; the uses above need a hand edit.' in again[2]


def test_an_edited_file_is_parsed_again(tree, parses):
  _run([tree])
  (tree / 'plain.py').write_bytes(b'x = 2\n')
  _run([tree])
  assert sorted(s[0] for s in parses[3:]) == sorted([TO_REWRITE, b'x = 2\n'])


def test_another_package_or_tensorflow_version_misses(tree, parses,
                                                      monkeypatch):
  _run([tree])
  monkeypatch.setattr(cache, 'fingerprint', lambda: 'another version')
  _run([tree])
  assert len(parses) == 6


def test_no_cache_parses_everything_and_writes_nothing(tree, parses):
  root = cache.directory()
  _run([tree], cache=False)
  _run([tree], cache=False)
  assert len(parses) == 6
  assert not os.path.exists(root)


def test_corrupt_entry_is_a_miss(tree, parses):
  first = _run([tree])
  for folder, _, names in os.walk(cache.directory()):
    for name in names:
      with open(os.path.join(folder, name), 'w') as f:
        f.write('{not json')
  assert _run([tree]) == first
  assert len(parses) == 6


def test_unwritable_cache_directory_is_ignored(tree, parses, monkeypatch,
                                               tmp_path):
  blocker = tmp_path / 'a_file'
  blocker.write_text('')
  monkeypatch.setenv('CONTRIB_COMPAT_CACHE_DIR', str(blocker))
  first = _run([tree])
  assert first[0] == migrate.EXIT_PENDING
  assert _run([tree]) == first
  assert len(parses) == 6


def test_cli_no_cache_flag(tree, capsys, monkeypatch, tmp_path):
  monkeypatch.setenv('CONTRIB_COMPAT_CACHE_DIR', str(tmp_path / 'c'))
  migrate.main([str(tree / 'plain.py'), '--no-cache'])
  assert not (tmp_path / 'c').exists()
  migrate.main([str(tree / 'plain.py')])
  assert (tmp_path / 'c' / 'migrate').is_dir()
  capsys.readouterr()
