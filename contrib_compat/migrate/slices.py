"""Large files: libcst parses only the statements a migration can change.

libcst's parser costs about 12 s and 900 MB per MB of source, Python's
own `ast` a tenth of that; a 4 MB file with one `tf.contrib` use took
minutes. Yet the passes change only imports, statements naming `contrib`
(or a name bound to tf.contrib.framework) and `disable_v2_behavior()`
calls. So for a large .py file the module is cut into top-level chunks (a
statement with the comments and blank lines before it), and libcst gets a
stand-in module: every chunk that may change as it is, every other
function or class as a `pass` placeholder, each chunk after a marker
comment (a run of such definitions is one placeholder). The
placeholders keep what the import passes read from statement positions
(where the leading imports end); the markers say where each chunk's
rewritten text is. The
output is the original file with each kept chunk replaced by its
rewritten text (and what the passes inserted after a chunk, after it).

Anything unexpected (a marker lost or repeated, a placeholder changed)
gives None, and the caller parses the whole file instead.
"""
import ast
import re

# Below this size the whole file is parsed (it is fast enough, and small
# files are what the tests exercise most).
MIN_BYTES = 64 * 1024
_MARKER = b'#@contrib-compat-migrate-chunk %d\n'
_MARKER_PREFIX = b'\n#@contrib-compat-migrate-chunk '
_PLACEHOLDER = b'pass\n'
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# What a skipped definition must not contain: what the passes rewrite.
_CHANGING = re.compile(rb'\bcontrib\b|\bimport\b|\bdisable_v2_behavior\b')
_BOUND_TO_FRAMEWORK = re.compile(rb'\bframework\b')


class Sliced(object):
  """A large module as libcst is given it, and how to put it back."""

  def __init__(self, source, tree, chunks, footer):
    self.source = source  # bytes for libcst
    self.tree = tree  # its ast twin (original line numbers)
    self._chunks = chunks  # [(original bytes, kept?)]
    self._footer = footer  # bytes after the last statement

  def splice(self, rewritten):
    """The whole file from libcst's output `rewritten`; None if it cannot
    be put back (the caller then parses the whole file)."""
    # One pass over the output (a 4 MB file has tens of thousands of
    # chunks): each marker once, in order, and no other.
    if rewritten.count(_MARKER_PREFIX) != len(self._chunks) - 1:
      return None
    segments, at = [], 0
    for i in range(1, len(self._chunks)):
      marker = b'\n' + _MARKER % i
      found = rewritten.find(marker, at)
      if found < 0:
        return None
      segments.append(rewritten[at:found + 1])
      at = found + len(marker)
    segments.append(rewritten[at:])
    out = []
    for (original, kept), segment in zip(self._chunks, segments):
      if kept:
        out.append(segment)
      elif segment.startswith(_PLACEHOLDER):
        out.append(original + segment[len(_PLACEHOLDER):])
      else:
        return None
    return b''.join(out) + self._footer


def slice_module(source, tree):
  """A Sliced stand-in for `source` (bytes) and its ast `tree`, or None when
  the file is small, or has carriage returns or no final newline (kept
  whole, for byte-exact output)."""
  if (not isinstance(source, bytes) or len(source) < MIN_BYTES or
      b'\r' in source or not source.endswith(b'\n') or not tree.body):
    return None
  lines = source.splitlines(keepends=True)
  groups = _chunk_statements(tree.body)
  framework = _framework_names(lines, groups)
  chunks, twins, parts = [], [], []
  start = 0
  for i, (statements, first, end) in enumerate(groups):
    text = b''.join(lines[start:end])
    kept = i == 0 or not _skippable(statements, b''.join(lines[first:end]),
                                    framework)
    start = end
    if not kept and chunks and not chunks[-1][1]:
      # A run of skipped definitions is one placeholder: no pass counts
      # statements past the first that is not an import.
      chunks[-1][0].append(text)
      continue
    if chunks:
      parts.append(_MARKER % len(chunks))
    chunks.append(([text], kept))
    if kept:
      parts.append(text)
      twins.extend(statements)
    else:
      parts.append(_PLACEHOLDER)
      twins.append(ast.Pass(lineno=statements[0].lineno, col_offset=0,
                            end_lineno=statements[0].lineno,
                            end_col_offset=4))
  footer = b''.join(lines[start:])
  return Sliced(b''.join(parts), ast.Module(body=twins, type_ignores=[]),
                [(b''.join(texts), kept) for texts, kept in chunks], footer)


def _chunk_statements(body):
  """[(statements, first line index, end line index)]: top-level statements
  grouped where they share a line (`a; b`)."""
  groups = []
  for statement in body:
    first = min([statement.lineno] + [
        d.lineno for d in getattr(statement, 'decorator_list', [])]) - 1
    if groups and first < groups[-1][2]:
      statements, begin, _ = groups[-1]
      groups[-1] = (statements + [statement], begin,
                    max(groups[-1][2], statement.end_lineno))
    else:
      groups.append(([statement], first, statement.end_lineno))
  return groups


def _framework_names(lines, groups):
  """Names bound at top level by statements naming tf.contrib.framework (a
  superset: every name such a statement binds)."""
  names = set()
  for statements, first, end in groups:
    text = b''.join(lines[first:end])
    if b'contrib' not in text or not _BOUND_TO_FRAMEWORK.search(text):
      continue
    for node in (n for s in statements for n in ast.walk(s)):
      if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        names.add(node.id)
      elif isinstance(node, ast.alias):
        names.add((node.asname or node.name).split('.')[0])
  return names


def _skippable(statements, text, framework):
  """A definition the passes would leave as it is."""
  if len(statements) != 1 or not isinstance(statements[0], _DEFINITIONS):
    return False
  if _CHANGING.search(text):
    return False
  return not any(re.search(rb'\b%s\b' % re.escape(name.encode()), text)
                 for name in framework)
