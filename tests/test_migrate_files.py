"""contrib-compat-migrate never changes what is not the user's to change.

Each case was a bug report (issue 23): a symlink out of the tree written
through, a read-only file or one with hard links replaced, a FIFO blocking
the run, `| head` ending in a traceback, a non-UTF-8 file name crashing the
diff, a damaged cache entry crashing the run.
"""
import io
import json
import os
import subprocess
import sys

import pytest

from contrib_compat import migrate
from contrib_compat.migrate import cache as cache_module
from contrib_compat.migrate import files
from contrib_compat.migrate import lookup
from tests.conftest import REPO

SOURCE = b'import tensorflow as tf\nnet = tf.contrib.layers.batch_norm(x)\n'


def _run(paths, write=False, cache=False):
  out, err = io.StringIO(), io.StringIO()
  status = migrate.migrate([str(p) for p in paths], write=write, stdout=out,
                           stderr=err, jobs=1, cache=cache)
  return status, out.getvalue(), err.getvalue()


def test_symlink_out_of_the_tree_is_left_alone(tmp_path):
  outside = tmp_path / 'outside.py'
  outside.write_bytes(SOURCE)
  tree = tmp_path / 'tree'
  tree.mkdir()
  (tree / 'own.py').write_bytes(SOURCE)
  (tree / 'link.py').symlink_to(outside)
  status, _, err = _run([tree], write=True)
  assert status == migrate.EXIT_ERROR
  assert 'symbolic link to %s, outside' % outside in err
  assert outside.read_bytes() == SOURCE
  assert (tree / 'own.py').read_bytes() != SOURCE


def test_symlink_inside_the_tree_is_migrated_once_by_its_own_name(tmp_path):
  (tmp_path / 'real.py').write_bytes(SOURCE)
  (tmp_path / 'alias.py').symlink_to(tmp_path / 'real.py')
  assert [p for p, _ in files.find_files([str(tmp_path)])] == [
      str(tmp_path / 'real.py')]


@pytest.mark.parametrize('why, prepare', [
    ('read-only file', lambda p: p.chmod(0o444)),
    ('2 hard links', lambda p: os.link(p, p.parent / 'other_name.txt')),
])
def test_files_replacing_would_change_otherwise_are_refused(tmp_path, why,
                                                            prepare):
  path = tmp_path / 'model.py'
  path.write_bytes(SOURCE)
  prepare(path)
  status, _, err = _run([path], write=True)
  assert status == migrate.EXIT_ERROR
  assert 'cannot write, left untouched' in err and why in err
  assert path.read_bytes() == SOURCE


def test_a_fifo_named_on_the_command_line_does_not_block(tmp_path):
  fifo = tmp_path / 'x.py'
  os.mkfifo(fifo)
  status, _, err = _run([fifo])
  assert status == migrate.EXIT_ERROR
  assert 'not a regular file' in err


def test_output_into_a_closed_pipe_ends_quietly(tmp_path):
  for i in range(30):
    (tmp_path / ('m%02d.py' % i)).write_bytes(SOURCE)
  command = '%s -m contrib_compat.migrate --no-cache %s | head -1' % (
      sys.executable, tmp_path)
  result = subprocess.run(['bash', '-o', 'pipefail', '-c', command], cwd=REPO,
                          capture_output=True, text=True, check=False,
                          timeout=300)
  assert 'Traceback' not in result.stderr, result.stderr
  assert result.returncode == 141
  assert result.stdout.startswith('--- a/')


def test_a_file_name_that_is_not_utf8_is_written_as_its_bytes(tmp_path):
  name = os.fsdecode(b'caf\xe9.py')
  (tmp_path / name).write_bytes(SOURCE)
  command = [sys.executable, '-m', 'contrib_compat.migrate', '--no-cache',
             str(tmp_path)]
  result = subprocess.run(command, cwd=REPO, capture_output=True, check=False,
                          timeout=300,
                          env=dict(os.environ, PYTHONIOENCODING='utf-8'))
  assert result.returncode == migrate.EXIT_PENDING, result.stderr
  assert b'caf\xe9.py' in result.stdout
  assert b'Traceback' not in result.stderr


@pytest.mark.parametrize('entry', [
    [], {'counts': [], 'notes': [], 'cells': None},
    {'counts': {'x': 'many'}, 'notes': [], 'cells': None},
    {'counts': {}, 'notes': [[1, 2]], 'cells': None},
    {'counts': {}, 'notes': [], 'cells': 'all'},
])
def test_a_cache_entry_of_another_shape_is_a_miss(tmp_path, entry):
  cache = cache_module.Cache(str(tmp_path / 'cache'))
  data = b'x = 1\n'
  cache.put('f.py', data, {}, [], None)
  with open(cache._path('f.py', data), 'w') as f:
    json.dump(entry, f)
  assert cache.get('f.py', data) is None


def test_stored_answers_of_the_wrong_type_are_asked_again():
  # Keys no question of a real run asks: the answers memo is per process.
  api, provides, exists = ('_api_of\0StoredNameA', '_provides\0m\0b',
                           '_module_exists\0stored_module')
  stored = lookup.Lookup({api: 3, provides: 'yes', exists: True})
  answers = stored._answers
  assert api not in answers and provides not in answers
  assert answers[exists] is True
  # The valid one is used as it was stored: not asked again.
  assert stored.module_exists('stored_module') is True
  assert stored.learned() == {}


def _children(pid):
  found = []
  for entry in os.listdir('/proc'):
    if entry.isdigit():
      try:
        with open('/proc/%s/stat' % entry) as f:
          fields = f.read().rsplit(')', 1)[1].split()
      except OSError:
        continue
      if int(fields[1]) == pid:
        found.append(int(entry))
  return found


@pytest.mark.skipif(not os.path.isdir('/proc'), reason='needs /proc')
def test_workers_end_when_the_parent_is_killed(tmp_path):
  import signal
  import time
  # Each file has 400 uses, so the pool works for ~15 s on two cores: with
  # one use per file the whole run ended (0.7 s) before the workers were seen.
  busy = SOURCE + b''.join(b'net%d = tf.contrib.layers.batch_norm(x)\n' % i
                           for i in range(400))
  for i in range(120):
    (tmp_path / ('m%03d.py' % i)).write_bytes(busy)
  parent = subprocess.Popen(
      [sys.executable, '-m', 'contrib_compat.migrate', '--no-cache', '-j', '2',
       str(tmp_path)], cwd=REPO, stdout=subprocess.DEVNULL,
      stderr=subprocess.DEVNULL)
  try:
    deadline = time.time() + 120
    workers = []
    while len(workers) < 2 and time.time() < deadline:
      assert parent.poll() is None, 'the run ended before its workers were seen'
      time.sleep(0.2)
      workers = _children(parent.pid)
    assert len(workers) >= 2, 'the pool never started'
  finally:
    parent.send_signal(signal.SIGKILL)
    parent.wait()
  deadline = time.time() + 30
  while time.time() < deadline and any(os.path.exists('/proc/%d' % w)
                                       for w in workers):
    time.sleep(0.2)
  alive = [w for w in workers if os.path.exists('/proc/%d' % w)]
  for w in alive:
    os.kill(w, signal.SIGKILL)
  assert not alive, 'workers outlived their parent'
