"""Writes generated tables into README.md between HTML-comment markers.

The README belongs to people; generators own only the text between a pair of
markers such as `<!-- perf:begin -->` / `<!-- perf:end -->`, so a rerun never
touches anything else.
"""
import os
import pathlib
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
README = REPO / 'README.md'


def markers(name):
  return '<!-- %s:begin -->' % name, '<!-- %s:end -->' % name


def replace_between_markers(text, name, body):
  """`text` with the part between the `name` markers replaced by `body`.

  Returns:
    The new text, or None when the markers are missing or out of order.
  """
  begin, end = markers(name)
  start = text.find(begin)
  stop = text.find(end, start + len(begin)) if start >= 0 else -1
  if start < 0 or stop < 0:
    return None
  return '%s\n%s\n%s' % (text[:start + len(begin)], body.strip('\n'),
                         text[stop:])


def write_atomically(path, text):
  """Writes `text` to `path` through a temporary file and a rename."""
  path = pathlib.Path(path)
  fd, tmp = tempfile.mkstemp(dir=path.parent, prefix='.' + path.name + '.')
  try:
    with os.fdopen(fd, 'w') as f:
      f.write(text)
    if path.exists():
      os.chmod(tmp, path.stat().st_mode & 0o777)
    os.replace(tmp, path)
  except BaseException:
    os.unlink(tmp)
    raise


def update_readme(name, body, fallback, readme=README):
  """Puts `body` between the `name` markers of `readme`, else into `fallback`.

  Returns:
    The path written.
  """
  readme = pathlib.Path(readme)
  new = None
  if readme.exists():
    new = replace_between_markers(readme.read_text(), name, body)
  if new is None:
    fallback = pathlib.Path(fallback)
    write_atomically(fallback, body.strip('\n') + '\n')
    return fallback
  write_atomically(readme, new)
  return readme


def publish(name, body, write_readme):
  """Prints a benchmark's tables; with write_readme, also into README.md.

  They go between the `perf-NAME` markers, or into benchmarks/NAME.md when
  the README lacks them.
  """
  print(body)
  if write_readme:
    update_readme('perf-' + name, body, REPO / 'benchmarks' / (name + '.md'))
