"""What migration found in files it left unchanged, remembered by content.

A second run over a migrated tree reads every file again but parses none it
has already seen unchanged: each such file's outcome (its rewrite counts and
the notes of uses left for a hand edit) is stored under a key made of the
file's bytes and a fingerprint of everything else the outcome depends on
(this package's version and migration sources, the installed TensorFlow's
version). Files that change are not stored: they are written, and their new
bytes are looked up next time. Like black's cache, it is only an
optimization: a missing, unreadable or corrupt entry is a miss, and a cache
directory that cannot be written is ignored.

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
# The sources a file's outcome depends on: the rewriter and its tables.
_SOURCES = sorted((_PACKAGE / 'migrate').glob('*.py')) + [
    _PACKAGE / 'moved.py', _PACKAGE / 'replacements.py']


def directory():
  root = os.environ.get('CONTRIB_COMPAT_CACHE_DIR')
  if not root:
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(
        os.path.expanduser('~'), '.cache')
    root = os.path.join(base, 'contrib-compat')
  return os.path.join(root, 'migrate')


def _tensorflow_version():
  for dist in ('tensorflow', 'tensorflow-cpu', 'tf-nightly'):
    try:
      return dist + '==' + importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
      continue
  return 'no tensorflow'


def fingerprint():
  """What, besides a file's bytes, decides its outcome."""
  digest = hashlib.sha256()
  digest.update(contrib_compat.__version__.encode())
  digest.update(_tensorflow_version().encode())
  for path in _SOURCES:
    digest.update(path.name.encode())
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
      return (collections.Counter(entry['counts']),
              [tuple(note) for note in entry['notes']], entry['cells'])
    except (OSError, ValueError, KeyError, TypeError):
      return None

  def put(self, path, data, counts, notes, cells):
    """Stores an unchanged file's outcome; silently gives up on I/O errors."""
    target = self._path(path, data)
    entry = json.dumps({'counts': dict(counts), 'notes': [list(n) for n in
                                                           notes],
                        'cells': cells})
    try:
      os.makedirs(os.path.dirname(target), exist_ok=True)
      fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix='.tmp')
      try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
          f.write(entry)
        os.replace(tmp, target)
      except BaseException:
        os.unlink(tmp)
        raise
    except OSError:
      pass
