"""migrate/cache.py: files left unchanged are not parsed again, same output."""
import io
import os
import subprocess
import sys

import pytest

from contrib_compat import migrate
from contrib_compat.migrate import cache
from contrib_compat.migrate import rewrite

# Left unchanged, with a use that needs a hand edit (a note to remember).
HAND_EDIT = b'''import tensorflow.compat.v1 as tf

tf.contrib.distributions.Normal(0., 1.)
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

  def counting(sources, lookup=None):
    seen.append(sources)
    return real(sources, lookup)

  monkeypatch.setattr(rewrite, 'rewrite_sources', counting)
  return seen


def test_second_run_parses_only_what_changed_and_reports_the_same(tree,
                                                                  parses):
  first = _run([tree])
  assert len(parses) == 3
  assert 'distributions' in first[2]  # the hand edit is reported
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


# Asks the installed packages: TF 2's and tf.compat.v1's names (tf.Session),
# where tf.contrib.layers.conv2d lives now.
ASKS = b'''import tensorflow as tf
net = tf.contrib.layers.conv2d(images, 8, 3)
sess = tf.Session()
'''
_MIGRATE_AND_SAY_IF_TF_LOADED = '''
import sys
from contrib_compat import migrate
status = migrate.main(sys.argv[1:])
print('tensorflow loaded:', 'tensorflow' in sys.modules)
'''


def _migrate_in_new_process(*args):
  done = subprocess.run(
      [sys.executable, '-c', _MIGRATE_AND_SAY_IF_TF_LOADED] + list(args),
      capture_output=True, text=True, check=True, timeout=300)
  *diff, loaded = done.stdout.splitlines()
  return loaded, '\n'.join(diff) + done.stderr


@pytest.mark.parametrize('jobs', ['1', '2'])
def test_a_run_asked_nothing_new_imports_no_tensorflow(tmp_path, jobs):
  first = tmp_path / 'first'
  first.mkdir()
  # Enough files for two processes: they ask, the first run stores it all.
  for i in range(8):
    (first / ('%d.py' % i)).write_bytes(b'#%d\n' % i + ASKS)
  loaded, _ = _migrate_in_new_process(str(first), '--jobs', jobs)
  assert loaded == 'tensorflow loaded: %s' % (jobs == '1')  # it had to ask
  # New bytes (no outcome remembered), the same questions.
  second = tmp_path / 'second.py'
  second.write_bytes(b'# another file\n' + ASKS)
  loaded, report = _migrate_in_new_process(str(second), '--jobs', '1')
  assert loaded == 'tensorflow loaded: False'
  assert '+import tensorflow.compat.v1 as tf' in report  # for tf.Session
  _, uncached = _migrate_in_new_process(str(second), '--jobs', '1',
                                        '--no-cache')
  assert report == uncached


def test_stored_answers_are_what_the_rewrite_relies_on(tmp_path):
  (tmp_path / 'a.py').write_bytes(ASKS)
  assert _run([tmp_path])[0] == migrate.EXIT_PENDING
  stored = cache.Cache().answers()
  assert stored['_api_of\0Session'] == 'v1'
  # A run reads them back: a (made up) answer that TF1 lacked tf.Session
  # and that contrib_compat.layers lacked conv2d changes what it does.
  stored['_api_of\0Session'] = 'v2'
  for module in ('contrib_compat.layers', 'contrib_compat.slim'):
    stored['_provides\0%s\0conv2d' % module] = False
  cache.Cache().add_answers(stored)
  (tmp_path / 'a.py').write_bytes(b'#\n' + ASKS)  # not a remembered outcome
  status, _, report = _run([tmp_path])
  assert 'tf.contrib.layers.conv2d' in report
  assert 'tf.Session: not in tf.compat.v1' in report


def test_corrupt_answers_are_ignored(tmp_path):
  (tmp_path / 'a.py').write_bytes(ASKS)
  expected = _run([tmp_path], cache=False)
  store = cache.Cache()
  store.add_answers({'x': 1})
  with open(store._answers_path(), 'w') as f:
    f.write('[not a dict')
  assert _run([tmp_path]) == expected
  assert cache.Cache().answers()['_api_of\0Session'] == 'v1'


@pytest.mark.parametrize('distribution', ['tensorflow', 'tf-slim'])
def test_another_tensorflow_or_tf_slim_is_another_fingerprint(distribution,
                                                              monkeypatch):
  before = cache.fingerprint()
  real = cache.importlib.metadata.version
  monkeypatch.setattr(cache.importlib.metadata, 'version', lambda name: (
      '0.0.1' if name == distribution else real(name)))
  assert cache.fingerprint() != before


def test_every_package_source_is_in_the_fingerprint():
  # The rewrite checks contrib_compat.slim, .layers, ... have a name before
  # pointing a use at it: their sources decide outcomes too.
  sources = {p.relative_to(cache._PACKAGE).as_posix() for p in cache._SOURCES}
  assert {'slim.py', 'layers.py', 'training.py', 'migrate/rewrite.py',
          'migrate/tables.py', 'migrate/references.py', 'moved.py',
          'replacements.py'} <= sources
