"""`contrib-compat-migrate PATH...`: rewrites tf.contrib uses for TF 2.

    contrib-compat-migrate src/             # dry run: diff + summary
    contrib-compat-migrate --write src/     # apply in place
    python -m contrib_compat.migrate ...    # the same

TF1 code reached separable_conv2d, batch_norm, slim and arg_scope through
`tf.contrib`, which TF 2 removed. This tool points those uses at
contrib_compat (and tf_slim), moves `import tensorflow as tf` to
`tf.compat.v1` in files that need TF1, and lists what it could not rewrite.
The mapping is in the project's migration_guide.md; `python -m
contrib_compat.moved` prints the tf.contrib names TF 2 kept elsewhere.

Output: the unified diff of every file that would change goes to stdout (so
`contrib-compat-migrate src > fix.patch` gives a clean patch); progress and
the summary (files scanned and changed, rewrites by kind, tf.contrib uses
left for a human with file:line, errors) go to stderr.

Safety: a file is written only after its rewritten text parses, through a
temporary file and an atomic rename that keeps its permissions; files that do
not parse are reported and left byte for byte; encodings and line endings
are kept; a second run changes nothing.

Exit status: 0 nothing left to do, 1 changes pending (dry run; with
--strict also uses left for a human), 2 errors (unparseable or unreadable).
"""
import argparse
import codecs
import collections
import concurrent.futures
import dataclasses
import difflib
import io
import multiprocessing
import os
import sys
import threading
import time
import tokenize

from contrib_compat import cli
from contrib_compat.migrate import cache as cache_module
from contrib_compat.migrate import files
from contrib_compat.migrate import results

EXIT_CLEAN = 0
EXIT_PENDING = 1
EXIT_ERROR = 2
# Without a terminal on stderr (CI logs), progress is shown only for runs of
# at least this many files, one line per tenth.
PROGRESS_MIN_FILES = 100
_BAR_WIDTH = 30


@dataclasses.dataclass
class Summary:
  """What one run found and did."""
  scanned: int = 0
  changed: list = dataclasses.field(default_factory=list)
  counts: collections.Counter = dataclasses.field(
      default_factory=collections.Counter)
  notes: list = dataclasses.field(default_factory=list)  # (where, Note)
  errors: list = dataclasses.field(default_factory=list)  # (where, message)


class _Progress:
  """A plain-text progress bar on stderr: redrawn on a terminal, else lines."""

  def __init__(self, total, stream):
    self._stream = stream
    self._total = total
    self._tty = bool(getattr(stream, 'isatty', lambda: False)())
    self.enabled = total > 1 and (self._tty or total >= PROGRESS_MIN_FILES)
    self._last_tenth = 0
    self._drawn = False

  def update(self, done):
    if not self.enabled:
      return
    if self._tty:
      filled = _BAR_WIDTH * done // self._total
      self._stream.write('\r[%s%s] %d/%d files' % (
          '#' * filled, '.' * (_BAR_WIDTH - filled), done, self._total))
      self._drawn = done < self._total
      if not self._drawn:
        self._stream.write('\n')
    elif done * 10 // self._total > self._last_tenth:
      self._last_tenth = done * 10 // self._total
      self._stream.write('contrib-compat-migrate: %d/%d files\n'
                         % (done, self._total))
    self._stream.flush()

  def clear(self):
    """Erases a half-drawn bar so that other output starts on a clean line."""
    if self._drawn:
      self._stream.write('\r' + ' ' * (_BAR_WIDTH + 30) + '\r')
      self._drawn = False


def _diff(old, new, name):
  """Unified diff text of two sources, marking a missing final newline."""
  lines = []
  name = name.lstrip('/')  # a/, b/ prefixes as git writes them
  for line in difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                   'a/' + name, 'b/' + name):
    lines.append(line)
    if not line.endswith('\n'):
      lines.append('\n\\ No newline at end of file\n')
  return ''.join(lines)


def _source_text(data):
  """A .py file's bytes as text, decoded as Python would (cookie, BOM)."""
  encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
  return data.decode(encoding)


def _rewrite_file(path, data, rewrite, lookup):
  """Rewrites one file's bytes.

  Returns:
    A results.FileRewrite.

  Raises:
    ValueError: a notebook that is not JSON / not UTF-8.
    results.SourceError: the file (or a notebook cell) does not parse.
  """
  if not path.endswith('.ipynb'):
    result = rewrite.rewrite_sources([data], lookup)
    new = result.outputs[0]
    diffs = ([(path, _source_text(data), _source_text(new))]
             if new != data else [])
    return results.FileRewrite(new, diffs, result, None)
  bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b''
  notebook = files.Notebook(data[len(bom):].decode('utf-8'))
  try:
    result = rewrite.rewrite_sources([source for _, source in notebook.cells],
                                     lookup)
  except results.SourceError as e:
    e.where = '%s (cell %d)' % (path, notebook.cells[e.module][0])
    raise
  new = bom + notebook.replaced(result.outputs).encode('utf-8')
  # The diff is of the notebook file itself, so that `git apply` / `patch`
  # take the dry run's output as they take a .py file's.
  diffs = ([(path, data.decode('utf-8'), new.decode('utf-8'))]
           if new != data else [])
  return results.FileRewrite(new, diffs, result,
                             [n for n, _ in notebook.cells])


def migrate(paths, write=False, strict=False, stdout=None, stderr=None,
            jobs=None, cache=True):
  """Migrates the .py / .ipynb files under `paths`; returns the exit status.

  Args:
    paths: files and directories (walked recursively, skipping VCS
      directories, virtual environments and __pycache__).
    write: apply the rewrites in place (default: dry run, diffs only).
    strict: a tf.contrib use that needs a hand edit makes the status 1.
    stdout: where diffs go (default sys.stdout).
    stderr: where progress and the summary go (default sys.stderr).
    jobs: processes rewriting files (default: one per CPU).
    cache: remember the outcome of files left unchanged, by content, so that
      the next run does not parse them again (see migrate/cache.py); False
      for none, or a `cache.Cache`.

  Returns:
    0 nothing left to do, 1 changes pending, 2 errors.
  """
  stdout = stdout or sys.stdout
  stderr = stderr or sys.stderr
  try:
    # libcst is an extra; only the rewriting needs it.
    from contrib_compat.migrate import rewrite  # noqa: F401
  except ImportError as e:
    stderr.write('contrib-compat-migrate needs libcst (%s): pip install '
                 'libcst\n' % e)
    return EXIT_ERROR
  summary = Summary()
  targets = list(files.find_files(paths))
  progress = _Progress(len(targets), stderr)
  readable = [path for path, error in targets if error is None]
  summary.scanned = len(readable)
  summary.errors.extend((path, error) for path, error in targets
                        if error is not None)
  if cache is True:
    cache = cache_module.Cache()
  answers = cache.answers() if cache else {}
  _start_lookup(answers)
  learned = {}
  for done, outcome in enumerate(
      _outcomes(readable, jobs, cache or None, answers, learned), 1):
    _apply(outcome, write, summary, stdout, progress)
    progress.update(done)
  progress.clear()
  if cache:
    cache.add_answers(learned)
  _print_summary(summary, write, stderr)
  if summary.errors:
    return EXIT_ERROR
  if (summary.changed and not write) or (strict and summary.notes):
    return EXIT_PENDING
  return EXIT_CLEAN


def _outcomes(paths, jobs, cache, answers, learned):
  """_rewrite_path's outcome for each of `paths`, in order.

  Files whose bytes `cache` knows come from it; the others are rewritten
  (see _rewrite_all), and those left unchanged are remembered. What the
  installed packages answered the rewriter that `answers` lacked is added to
  `learned`.
  """
  if cache is None:
    yield from _rewrite_all(paths, jobs, answers, learned)
    return
  known = {}
  for path in paths:
    try:
      with open(path, 'rb') as f:
        data = f.read()
    except OSError:
      continue  # _rewrite_path reports it
    hit = cache.get(path, data)
    if hit is not None:
      counts, notes, cells = hit
      result = results.Result(outputs=None, counts=counts,
                              notes=[results.Note(*note) for note in notes])
      known[path] = results.FileOutcome(
          path, data, results.FileRewrite(data, [], result, cells))
  rewritten = iter(_rewrite_all([p for p in paths if p not in known], jobs,
                                answers, learned))
  for path in paths:
    if path in known:
      yield known.pop(path)
      continue
    outcome = next(rewritten)
    if outcome.unchanged:
      done = outcome.rewrite
      cache.put(path, outcome.data, done.result.counts,
                [dataclasses.astuple(note) for note in done.result.notes],
                done.cells)
    yield outcome


def _rewrite_all(paths, jobs, answers, learned):
  """The rewrite of each file, in the order of `paths`.

  Files are independent, so several processes share them; the results come
  back in order, so the diffs, notes and summary read the same whatever the
  number of processes. One process when TensorFlow is already loaded here
  (forking a process with TensorFlow's threads running is unsafe) or when
  the files are too few to repay starting more. Each process starts knowing
  `answers`; what it learns besides is added to `learned`.
  """
  if jobs is None:
    jobs = os.cpu_count() or 1
  if jobs < 2 or len(paths) < 4 * jobs or 'tensorflow' in sys.modules:
    results = map(_rewrite_learning, paths)
  else:
    context = multiprocessing.get_context(
        'fork' if 'fork' in multiprocessing.get_all_start_methods() else
        'spawn')
    executor = concurrent.futures.ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start_worker,
        initargs=(answers, os.getpid()))
    results = _closing(executor, executor.map(_rewrite_learning, paths,
                                              chunksize=4))
  for outcome, new in results:
    learned.update(new)
    yield outcome


# This process's Lookup (lookup.py): what the installed packages answered
# the rewrite, started from the cache's answers; one per worker process.
_process = {'lookup': None}


def _start_lookup(answers):
  from contrib_compat.migrate import lookup
  _process['lookup'] = lookup.Lookup(answers)


def _start_worker(answers, parent):
  _start_lookup(answers)
  threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent, poll_s=0.5):
  """Ends this worker once `parent` is gone: a parent killed by SIGKILL or
  SIGTERM shuts no pool down, and its workers waited for work forever."""
  while os.getppid() == parent:
    time.sleep(poll_s)
  os._exit(1)


def _rewrite_learning(path):
  """(_rewrite_path(path), answers the rewrite learned)."""
  lookup = _process['lookup']
  return _rewrite_path(path, lookup), lookup.learned()


def _closing(executor, results):
  with executor:
    yield from results


def _rewrite_path(path, lookup):
  """Reads and rewrites one file; never raises for the file.

  Returns:
    A results.FileOutcome.
  """
  from contrib_compat.migrate import rewrite

  def failed(data, where, message):
    return results.FileOutcome(path, data, errors=[(where, message)])

  try:
    with open(path, 'rb') as f:
      data = f.read()
  except OSError as e:
    return failed(None, path, 'cannot read: %s' % (e.strerror or e))
  try:
    return results.FileOutcome(path, data,
                               _rewrite_file(path, data, rewrite, lookup))
  except results.SourceError as e:
    return failed(data, getattr(e, 'where', path),
                  'does not parse, left untouched: %s' % e)
  except (ValueError, UnicodeDecodeError) as e:
    return failed(data, path, 'not a readable notebook, left untouched: %s'
                  % e)
  except Exception as e:
    # A bug of ours must cost this file its rewrite, never its content.
    return failed(data, path, 'internal error, left untouched: %r' % e)


def _apply(outcome, write, summary, stdout, progress):
  """Records one file's rewrite into `summary`; writes or prints its diff."""
  path, data, done = outcome.path, outcome.data, outcome.rewrite
  if done is None:
    summary.errors.extend(outcome.errors)
    return
  new, diffs, result, cells = done.new, done.diffs, done.result, done.cells
  for note in result.notes:
    where = ('%s:%d' % (path, note.line) if cells is None else
             '%s:%d (cell %d)' % (path, note.line, cells[note.module]))
    summary.notes.append((where, note))
  summary.counts.update(result.counts)
  if new == data:
    return
  summary.changed.append(path)
  if write:
    try:
      files.write_atomic(path, new, expected=data)
    except OSError as e:
      summary.changed.pop()
      summary.errors.append((path, 'cannot write, left untouched: %s'
                             % (e.strerror or e)))
    return
  progress.clear()
  for name, old, new_text in diffs:
    _write(stdout, _diff(old, new_text, name))
  stdout.flush()


def _write(stream, text):
  """Writes `text`; a file name that is not valid UTF-8 (kept by Python as
  surrogate escapes) goes out as the bytes it was, not as an error."""
  try:
    stream.write(text)
  except UnicodeEncodeError:
    stream.flush()
    stream.buffer.write(text.encode(getattr(stream, 'encoding', None) or
                                    'utf-8', 'surrogateescape'))
    stream.buffer.flush()


def _print_summary(summary, write, stream):

  def p(text=''):
    _write(stream, text + '\n')
  p('contrib-compat-migrate: %d file%s scanned, %d %s, %d error%s' % (
      summary.scanned, '' if summary.scanned == 1 else 's',
      len(summary.changed), 'changed' if write else 'to change',
      len(summary.errors), '' if len(summary.errors) == 1 else 's'))
  if summary.counts:
    p('rewrites by kind:')
    for kind, n in sorted(summary.counts.items()):
      p('  %-30s %d' % (kind, n))
  if summary.notes:
    p('could not rewrite (%d), edit by hand:' % len(summary.notes))
    for where, note in summary.notes:
      p('  %s: %s: %s' % (where, note.name, note.advice))
  if summary.errors:
    p('errors (files left untouched):')
    for where, message in summary.errors:
      p('  %s: %s' % (where, message))
  if summary.changed and not write:
    p('dry run: nothing written; run again with --write to apply.')
  elif not summary.changed and not summary.errors:
    p('nothing rewritten; the uses above need a hand edit.' if summary.notes
      else 'nothing to do.')


def main(argv=None):
  """Console entry point; returns the exit status."""
  parser = argparse.ArgumentParser(
      prog='contrib-compat-migrate',
      description='Rewrites tf.contrib uses (slim, layers.separable_conv2d, '
      'batch_norm, framework.arg_scope) to contrib_compat in .py files and '
      'notebook code cells. Dry run unless --write.')
  parser.add_argument('paths', nargs='+', metavar='PATH',
                      help='files or directories (walked recursively)')
  parser.add_argument('--write', action='store_true',
                      help='apply the changes in place (atomically)')
  parser.add_argument('--strict', action='store_true',
                      help='exit 1 while a tf.contrib use needs a hand edit')
  parser.add_argument('-j', '--jobs', type=int, metavar='N',
                      help='processes rewriting files (default: one per '
                           'CPU); the output is the same for any N')
  parser.add_argument('--no-cache', action='store_true',
                      help='parse every file, and remember nothing (by '
                      'default files left unchanged are remembered by '
                      'content in ~/.cache/contrib-compat, '
                      '$CONTRIB_COMPAT_CACHE_DIR)')
  cli.add_common_arguments(parser)
  args = parser.parse_args(argv)
  # The rewrite asks TensorFlow which names are TF1-only.
  cli.quiet_tensorflow(args.verbose)
  try:
    return migrate(args.paths, write=args.write, strict=args.strict,
                   jobs=args.jobs, cache=not args.no_cache)
  except BrokenPipeError:
    # `contrib-compat-migrate src | head`: the reader left; end quietly, as
    # `cat` would (not 1, which would say "changes pending").
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return cli.EXIT_SIGPIPE
