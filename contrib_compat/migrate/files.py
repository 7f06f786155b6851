"""Files for `contrib-compat-migrate`: finding, notebook cells, safe writes.

Nothing here knows about TensorFlow; the rule is that a user file is either
left byte for byte as it was or replaced whole by a fully written, parsed
version (never truncated, never half written).
"""
import errno
import json
import os
import re
import stat
import tempfile

SUFFIXES = ('.py', '.ipynb')
# Directories never walked into: VCS metadata, caches, installed packages.
# Directories whose name starts with '.' (.git, .venv, .tox, ...) and
# virtual environments under any name (they hold pyvenv.cfg or conda-meta)
# are skipped as well.
SKIP_DIRS = frozenset(['__pycache__', 'node_modules', 'site-packages'])


def _is_venv(path):
  return (os.path.isfile(os.path.join(path, 'pyvenv.cfg')) or
          os.path.isdir(os.path.join(path, 'conda-meta')))


def find_files(paths):
  """Yields (path, error): the files to migrate under `paths`, in order.

  Directories are walked recursively for .py and .ipynb files; a file named
  on the command line is taken whatever its suffix. `error` is None, or a
  message for a path that does not exist, cannot be listed, is not a
  regular file (a FIFO would block the reader), or is a symbolic link found
  in a walked directory that points outside it (the file it names is not
  the user's to change; a link to a file inside is skipped, as that file is
  walked under its own name).

  Args:
    paths: files and directories, as given by the user.
  """
  seen = set()

  def once(path):
    key = os.path.realpath(path)
    if key in seen:
      return False
    seen.add(key)
    return True

  for path in paths:
    if os.path.isdir(path):
      errors = []
      tree = os.path.realpath(path)
      for root, dirs, names in os.walk(path, onerror=errors.append):
        dirs[:] = sorted(
            d for d in dirs if not (d.startswith('.') or d in SKIP_DIRS or
                                    _is_venv(os.path.join(root, d))))
        for name in sorted(names):
          full = os.path.join(root, name)
          if not name.endswith(SUFFIXES) or not os.path.isfile(full):
            continue
          if os.path.islink(full):
            target = os.path.realpath(full)
            if os.path.commonpath([tree, target]) != tree:
              yield full, ('symbolic link to %s, outside %s: left alone '
                           '(name that file to migrate it)' % (target, path))
            continue
          if once(full):
            yield full, None
      for error in errors:
        yield error.filename or path, 'cannot list: %s' % error.strerror
    elif os.path.exists(path):
      if not stat.S_ISREG(os.stat(path).st_mode):
        yield path, 'not a regular file: left alone'
      elif once(path):
        yield path, None
    else:
      yield path, 'no such file or directory'


def write_atomic(path, data, expected=None):
  """Replaces the file at `path` with `data` (bytes) in one step.

  The bytes go to a temporary file in the same directory, are flushed to
  disk, get the original's permission bits, and only then replace the
  original with os.replace, which is atomic on POSIX and Windows: a crash or
  error at any point leaves either the old file or the new one, never a
  mixture. Symbolic links are written through, not replaced. A file that
  replacing would change in another way is refused and left as it is: a
  read-only file, one with other hard links (they would keep the old
  text), one whose owner could not be kept.

  Args:
    path: the file to replace.
    data: its new content.
    expected: if given, the content the caller read: the file is only
      replaced while it still holds exactly that, so an edit made meanwhile
      (an editor saving, say) is never overwritten: on Linux the new file
      is swapped in (renameat2 RENAME_EXCHANGE) and what it displaced is
      compared, so an edit saved up to that instant is put back; elsewhere
      the check comes just before os.replace.

  Raises:
    OSError: the write failed; the original file is untouched and the
      temporary file removed.
  """
  real = os.path.realpath(path)
  directory, base = os.path.split(real)
  info = os.stat(real)
  if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
    raise OSError(errno.EACCES, 'read-only file (make it writable to '
                  'migrate it)')
  if info.st_nlink > 1:
    raise OSError(errno.EMLINK, 'the file has %d hard links, which would '
                  'keep the old text' % info.st_nlink)
  fd, tmp = tempfile.mkstemp(prefix='.%s.' % base, suffix='.migrate-tmp',
                             dir=directory)
  try:
    with os.fdopen(fd, 'wb') as f:
      f.write(data)
      f.flush()
      os.fsync(f.fileno())
    os.chmod(tmp, stat.S_IMODE(info.st_mode))
    if expected is not None and _read(real) != expected:
      raise OSError(errno.EAGAIN, _CHANGED)
    if hasattr(os, 'chown') and (os.stat(tmp).st_uid, os.stat(tmp).st_gid) != (
        info.st_uid, info.st_gid):
      try:
        os.chown(tmp, info.st_uid, info.st_gid)
      except OSError as e:
        # Only root may give a file away: the file would change owner.
        raise OSError(e.errno, 'its owner (uid %d, gid %d) could not be '
                      'kept' % (info.st_uid, info.st_gid)) from e
    if expected is None or not _exchange(tmp, real):
      os.replace(tmp, real)
      return
  except BaseException:
    try:
      os.unlink(tmp)
    except OSError:
      pass
    raise
  # `tmp` now names what `real` held at the very moment of the swap: an
  # edit saved after the check above is there, and goes back.
  if _read(tmp) == expected:
    os.unlink(tmp)
    return
  if not _exchange(tmp, real):
    raise OSError(errno.EAGAIN, 'the file changed while it was being '
                  'migrated and could not be put back: the edit is in %s'
                  % tmp)
  os.unlink(tmp)
  raise OSError(errno.EAGAIN, _CHANGED)


_CHANGED = 'the file changed while it was being migrated; run again'


def _read(path):
  with open(path, 'rb') as f:
    return f.read()


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a, b):
  """Swaps the files at paths `a` and `b` in one step (Linux renameat2
  RENAME_EXCHANGE); False where the system or file system cannot, and the
  caller replaces instead (an edit between its check and the replace is
  then lost: the window is the time os.replace takes)."""
  libc = _libc()
  if libc is None:
    return False
  if libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b),
                    _RENAME_EXCHANGE) == 0:
    return True
  return False


def _libc():
  """The C library with renameat2, or None."""
  global _LIBC
  if _LIBC is False:
    _LIBC = None
    try:
      import ctypes
      import ctypes.util
      libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
      libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                 ctypes.c_char_p, ctypes.c_uint]
      _LIBC = libc
    except (OSError, AttributeError, TypeError):
      pass
  return _LIBC


_LIBC = False


# --- notebooks -------------------------------------------------------------

_WS = re.compile(r'[ \t\n\r]*')
_DECODER = json.JSONDecoder()
# IPython lines that are not Python: `%magic`, `!shell`, `name?` / `?name`
# help. They become comments with this marker for parsing, and are restored
# after. `% (a, b)` and `!= x` continuation lines are Python and stay.
_MAGIC = re.compile(r'^([ \t]*)(%[A-Za-z_].*|!(?!=).*|\?\??[A-Za-z_][\w.]*'
                    r'[ \t]*|[A-Za-z_][\w.]*\?\??[ \t]*)$', re.M)
_MAGIC_MARK = '#contrib-compat-migrate-magic#'
_UNMASK = re.compile(r'^([ \t]*)' + re.escape(_MAGIC_MARK), re.M)


def _skip(text, i):
  return _WS.match(text, i).end()


def _members(text, i, close):
  """[(key or None, start, end)] of the JSON object/array opening at text[i].

  Spans are of the raw value text, so a value can be swapped without
  re-serialising (and so reformatting) anything around it.
  """
  out = []
  i = _skip(text, i + 1)
  if text[i] == close:
    return out, i + 1
  while True:
    key = None
    if close == '}':
      key, i = json.decoder.scanstring(text, i + 1)
      i = _skip(text, i)
      if text[i] != ':':
        raise ValueError('expected ":" at offset %d' % i)
      i = _skip(text, i + 1)
    _, end = _DECODER.raw_decode(text, i)
    out.append((key, i, end))
    i = _skip(text, end)
    if text[i] == ',':
      i = _skip(text, i + 1)
    elif text[i] == close:
      return out, i + 1
    else:
      raise ValueError('expected "," or %r at offset %d' % (close, i))


class Notebook:
  """The code cells of a notebook's JSON text, to be replaced in place.

  `cells` is a list of (number, source text), numbering all cells from 1 as
  Jupyter shows them, for the code cells that are
  Python (cells run by a cell magic such as %%bash are left out), with
  IPython magics masked as comments.
  """

  def __init__(self, text):
    json.loads(text)  # ValueError for anything that is not JSON.
    self.text = text
    top = _skip(text, 0)
    if text[top] != '{':
      raise ValueError('a notebook is a JSON object')
    members = dict((k, (a, b)) for k, a, b in _members(text, top, '}')[0])
    self._spans = []  # (start, end, was_list) per entry of self.cells
    self.cells = []
    if 'cells' not in members:
      return
    for n, (_, start, _) in enumerate(
        _members(text, members['cells'][0], ']')[0]):
      cell = dict((k, (a, b)) for k, a, b in _members(text, start, '}')[0])
      if 'source' not in cell or 'cell_type' not in cell or json.loads(
          text[slice(*cell['cell_type'])]) != 'code':
        continue
      a, b = cell['source']
      source = json.loads(text[a:b])
      was_list = isinstance(source, list)
      source = ''.join(source) if was_list else source
      if source.lstrip().startswith('%%') or _MAGIC_MARK in source:
        continue
      self._spans.append((a, b, was_list))
      masked = _MAGIC.sub(r'\1' + _MAGIC_MARK + r'\2', source)
      self.cells.append((n + 1, masked))

  def replaced(self, sources):
    """The notebook text with code cell i's source set to `sources[i]`."""
    ascii_only = '\\u' in self.text and all(ord(c) < 128 for c in self.text)
    out = []
    pos = 0
    for (a, b, was_list), (_, old), new in zip(self._spans, self.cells,
                                                sources):
      if new == old:
        continue
      new = _UNMASK.sub(r'\1', new)
      if was_list:
        raw = self.text[a:b]
        lead = raw[1:len(raw) - len(raw[1:].lstrip())]
        trail = raw[len(raw[:-1].rstrip()):-1]
        lines = [json.dumps(line, ensure_ascii=ascii_only)
                 for line in new.splitlines(True)]
        value = ('[' + lead + (',' + lead).join(lines) + trail + ']'
                 if lines else '[]')
      else:
        value = json.dumps(new, ensure_ascii=ascii_only)
      out.append(self.text[pos:a])
      out.append(value)
      pos = b
    out.append(self.text[pos:])
    return ''.join(out)

  @staticmethod
  def unmask(source):
    """A masked cell source as the user wrote it (for diffs)."""
    return _UNMASK.sub(r'\1', source)
