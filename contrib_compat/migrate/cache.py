"""What migration found in files it left unchanged, remembered by content.

A second run over a migrated tree reads every file again but parses none it
has already seen unchanged: each such file's outcome (its rewrite counts and
the notes of uses left for a hand edit) is stored under a key made of the
file's bytes and a fingerprint of everything else the outcome depends on
(this package's version and sources, the installed TensorFlow's and
tf_slim's versions). Files that change are not stored: they are written, and
their new bytes are looked up next time. Like black's cache, it is only an
optimization: a missing, unreadable or corrupt entry is a miss, and a cache
directory that cannot be written is ignored.

Under the same fingerprint it keeps what the installed packages answered the
rewriter (does TF 2 have `tf.x.y`, does contrib_compat.slim have `z`: see
lookup.Lookup.learned): asking means importing TensorFlow, seconds per
process, and a run whose every question was answered before imports nothing.

Location: $CONTRIB_COMPAT_CACHE_DIR, else $XDG_CACHE_HOME/contrib-compat,
else ~/.cache/contrib-compat; entries live in its `migrate/` folder.
"""
import collections
import hashlib
import importlib.metadata
import json
import os
import pathlib
import tempfile

import contrib_compat

_PACKAGE = pathlib.Path(contrib_compat.__file__).resolve().parent
# The sources a file's outcome depends on: the rewriter and its tables, and
# the modules whose names it checks before pointing a use at them.
_SOURCES = sorted(_PACKAGE.rglob('*.py'))
# The installed distributions whose names the rewriter checks.
_DISTRIBUTIONS = (('tensorflow', 'tensorflow-cpu', 'tf-nightly'), ('tf-slim',))


def directory():
  root = os.environ.get('CONTRIB_COMPAT_CACHE_DIR')
  if not root:
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    root = os.path.join(base, 'contrib-compat')
  return os.path.join(root, 'migrate')


def _version(names):
  for dist in names:
    try:
      return dist + '==' + importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
      continue
  return 'no ' + names[0]


def fingerprint():
  """What, besides a file's bytes, decides its outcome."""
  digest = hashlib.sha256()
  digest.update(contrib_compat.__version__.encode())
  for names in _DISTRIBUTIONS:
    digest.update(_version(names).encode() + b'\0')
  for path in _SOURCES:
    digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b'\0')
    digest.update(path.read_bytes())
  return digest.hexdigest()


class Cache(object):
  """Outcomes of unchanged files, keyed by content and `fingerprint()`."""

  def __init__(self, root=None):
    self._root = root or directory()
    self._fingerprint = fingerprint().encode()

  def _path(self, path, data):
    digest = hashlib.sha256(self._fingerprint)
    # The name matters for notebooks (cells) and messages only through the
    # outcome's kind, so .py and .ipynb files with equal bytes stay apart.
    digest.update(os.path.splitext(path)[1].encode() + b'\0')
    digest.update(data)
    key = digest.hexdigest()
    return os.path.join(self._root, key[:2], key + '.json')

  def get(self, path, data):
    """(counts, notes, cells) stored for `data`, or None.

    notes are (module, line, name, advice) tuples; cells as _rewrite_file
    returns them (None for a .py file).
    """
    try:
      with open(self._path(path, data), encoding='utf-8') as f:
        entry = json.load(f)
    except (OSError, ValueError):
      return None
    # Valid JSON of another shape (a damaged or foreign file) is a miss,
    # not a crash, nor a report built from it.
    if not _valid_entry(entry):
      return None
    return (collections.Counter(entry['counts']),
            [tuple(note) for note in entry['notes']], entry['cells'])

  def put(self, path, data, counts, notes, cells):
    """Stores an unchanged file's outcome; silently gives up on I/O errors."""
    _write(self._path(path, data), json.dumps({
        'counts': dict(counts), 'notes': [list(n) for n in notes],
        'cells': cells}))

  def _answers_path(self):
    return os.path.join(self._root, 'answers-%s.json'
                        % self._fingerprint.decode()[:32])

  def answers(self):
    """{question: answer} the installed packages gave earlier runs, or {}."""
    try:
      with open(self._answers_path(), encoding='utf-8') as f:
        answers = json.load(f)
    except (OSError, ValueError):
      return {}
    # lookup.Lookup checks each answer's shape.
    return answers if isinstance(answers, dict) else {}

  def add_answers(self, learned):
    """Adds `learned` to the stored answers (a concurrent run's may be lost:
    it is only a cache)."""
    if learned:
      _write(self._answers_path(), json.dumps(dict(self.answers(), **learned),
                                              sort_keys=True))


def _valid_entry(entry):
  """Whether `entry` has the shape `put` writes."""
  if not isinstance(entry, dict):
    return False
  counts, notes, cells = (entry.get('counts'), entry.get('notes'),
                          entry.get('cells', False))
  return (isinstance(counts, dict) and
          all(isinstance(k, str) and type(v) is int for k, v in counts.items())
          and isinstance(notes, list) and
          all(isinstance(n, list) and len(n) == 4 and type(n[0]) is int and
              type(n[1]) is int and all(isinstance(x, str) for x in n[2:])
              for n in notes) and
          (cells is None or (isinstance(cells, list) and
                             all(type(c) is int for c in cells))))


def _write(target, text):
  """Writes `text` to `target` atomically; silently gives up on I/O errors."""
  try:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix='.tmp')
    try:
      with os.fdopen(fd, 'w', encoding='utf-8') as f:
        f.write(text)
      os.replace(tmp, target)
    except BaseException:
      os.unlink(tmp)
      raise
  except OSError:
    pass
