"""`python -m contrib_compat.run SCRIPT [ARGS...]`: a TF1 script, unchanged.

Runs SCRIPT as `python SCRIPT ARGS...` would (same `sys.argv`, `__name__ ==
'__main__'`, `sys.path[0]`, exit status and traceback), except that the
program sees TensorFlow 1:

  * `import tensorflow as tf` gives the TF1 API: `tf.compat.v1`, with TF 2
    behaviour disabled (graph mode, TF1 variables and control flow), plus
    `tf.contrib` (see `contrib_compat.install`). `tf.compat.v1` and
    `tf.compat.v2` stay TensorFlow's own, so `import tensorflow.compat.v1 as
    tf` keeps working too;
  * tf_slim is repaired (see `contrib_compat.repair_tf_slim`), so scripts
    already on `import tf_slim as slim` run again.

The TF1 view covers every module the program imports after start-up (its own
helper modules included), as in TF1 where there was only one `tensorflow`.

Processes the program starts with multiprocessing's `spawn` (or a Pool
using it) see TensorFlow 1 too. TensorFlow's C++ start-up notices (oneDNN,
cpu_feature_guard) are hidden while it loads; `-v` (before SCRIPT) shows
them. Nothing else of its logging
changes: the script sees TensorFlow's log lines as under `python SCRIPT`.
"""
import builtins
import importlib.machinery
import io
import logging
import multiprocessing.spawn
import os
import runpy
import sys
import types

from contrib_compat import cli

_USAGE = 'usage: python -m contrib_compat.run [-v] SCRIPT [ARGS...]\n'


class _Tf1Namespace(types.ModuleType):
  """`tensorflow` as TF1 programs saw it: `tf.compat.v1` plus `tf.contrib`.

  Names resolve on `tf.compat.v1` first (which carries `contrib` after
  `install()`), then on the real `tensorflow` for what v1 lacks (`compat`
  itself, `__internal__` for Keras' lazy import, ...). `__path__` is TF's, so
  `import tensorflow.<submodule>` still finds TensorFlow's files.
  """

  def __init__(self, real, v1):
    super().__init__('tensorflow', v1.__doc__)
    self.__path__ = list(getattr(real, '__path__', []))
    self.__file__ = getattr(real, '__file__', None)
    self.__version__ = real.__version__
    self.__spec__ = real.__spec__
    self.__loader__ = real.__loader__
    self._real = real
    self._v1 = v1

  def __getattr__(self, name):
    if name in ('compat', '__internal__'):
      return getattr(self._real, name)
    try:
      return getattr(self._v1, name)
    except AttributeError:
      return getattr(self._real, name)

  def __dir__(self):
    return sorted(set(dir(self._v1)) | {'compat', 'contrib'})


def _prepare_tensorflow(verbose=False):
  """Installs the TF1 view; returns the `tensorflow` module it replaced."""
  # INFO start-up notices hidden, and more if the user's
  # TF_CPP_MIN_LOG_LEVEL asks (it cannot reach them itself).
  real = cli.import_tensorflow(
      hide_below=0 if verbose else max(1, cli.min_log_level()))
  import tensorflow.compat.v1 as v1
  import contrib_compat
  # disable_v2_behavior() logs a deprecation warning about TF1 variables:
  # TF1 programs asked for exactly that, so it would only be noise.
  logger = logging.getLogger('tensorflow')
  level = logger.level
  logger.setLevel(logging.ERROR)
  try:
    v1.disable_v2_behavior()
  finally:
    logger.setLevel(level)
  # install() repairs tf_slim (importing it first, so tf_slim's own
  # `import tensorflow...` lines saw the real module).
  contrib_compat.install()
  sys.modules['tensorflow'] = _Tf1Namespace(real, v1)
  return real


def _spawned_child():
  """In a child started by multiprocessing's spawn: the same TF1 view."""
  _prepare_tensorflow()


def _spawn_children_under_the_runner():
  """Spawned children run `_spawned_child` before multiprocessing's own code.

  A spawned child is a fresh interpreter that imports the program's main
  module again; without this its `import tensorflow as tf` is TF 2's and the
  program's pool waits forever on workers that died.
  """
  original = multiprocessing.spawn.get_command_line
  if getattr(original, 'contrib_compat', False):
    return

  def get_command_line(**kwds):
    command = original(**kwds)
    at = command.index('-c') + 1
    command[at] = ('import contrib_compat.run; '
                   'contrib_compat.run._spawned_child(); ' + command[at])
    return command

  get_command_line.contrib_compat = True
  multiprocessing.spawn.get_command_line = get_command_line


def _run_file(path):
  """Runs the file `path` as `__main__`, as `python PATH` does.

  runpy.run_path would also set `sys.argv[0]` to the absolute path; python
  leaves it as the user wrote it.
  """
  with io.open_code(path) as f:
    code = compile(f.read(), path, 'exec', dont_inherit=True)
  main = types.ModuleType('__main__')
  main.__dict__.update(
      __file__=path, __cached__=None, __package__=None, __spec__=None,
      __builtins__=builtins,
      __loader__=importlib.machinery.SourceFileLoader('__main__', path))
  sys.modules['__main__'] = main
  exec(code, main.__dict__)


def _unrunnable(script):
  """Why `python SCRIPT` would refuse `script`, in python's words, or None.

  A directory runs its `__main__.py`, as under python.
  """
  if os.path.isdir(script):
    if os.path.isfile(os.path.join(script, '__main__.py')):
      return None
    return "can't find '__main__' module in", 1
  if not os.path.isfile(script):
    return "can't open file (no such file):", 2
  return None


def _user_traceback(tb, script, exc):
  """`tb` without the runner's own frames: the script's first frame on.

  None for a SyntaxError in the script itself, which python reports
  without a traceback (the error carries the file and line).
  """
  start = tb
  while start is not None:
    filename = os.path.abspath(start.tb_frame.f_code.co_filename)
    if filename == script or filename.startswith(script + os.sep):
      return start
    start = start.tb_next
  if isinstance(exc, SyntaxError) and exc.filename and os.path.abspath(
      exc.filename).startswith(script):
    return None
  return tb


def main(argv=None):
  """Runs `argv[0]` (a script path) with `argv[1:]`; returns the exit status.

  Args:
    argv: `[-v]` SCRIPT and its arguments; `sys.argv[1:]` by default.

  Returns:
    0 when the script ends normally, 1 after an uncaught exception (its
    traceback printed through `sys.excepthook`, as Python does), 2 on a usage
    error. `sys.exit(n)` inside the script propagates as SystemExit, so the
    process exits with `n` exactly as under `python SCRIPT`.
  """
  argv = list(sys.argv[1:] if argv is None else argv)
  verbose = bool(argv) and argv[0] in ('-v', '--verbose')
  if verbose:
    argv = argv[1:]
  if not argv:
    sys.stderr.write(_USAGE)
    return 2
  if argv[0] in ('-h', '--help'):
    sys.stdout.write(_USAGE + __doc__.split('\n\n', 1)[1])
    return 0
  if argv[0] == '--version':
    from contrib_compat import __version__
    sys.stdout.write('contrib_compat.run %s\n' % __version__)
    return 0
  script = os.path.abspath(argv[0])
  problem = _unrunnable(script)
  if problem:
    # Python's words and exit status: 1 for a directory without
    # __main__.py, 2 for a missing file.
    message, status = problem
    sys.stderr.write('%s: %s %r\n%s' % (
        __spec__.name if __spec__ else 'run', message, argv[0], _USAGE))
    return status
  try:
    _prepare_tensorflow(verbose)
  except ModuleNotFoundError as e:
    return cli.report_missing_tensorflow('contrib_compat.run', e)
  _spawn_children_under_the_runner()
  sys.argv = argv
  # `python SCRIPT` puts the script's directory first on sys.path; `-m`
  # put the working directory there instead.
  # For a directory, python puts the directory itself there.
  first = script if os.path.isdir(script) else os.path.dirname(script)
  if sys.path:
    sys.path[0] = first
  else:
    sys.path.insert(0, first)
  try:
    if os.path.isdir(script):
      runpy.run_path(script, run_name='__main__')
    else:
      _run_file(script)
  except (SystemExit, KeyboardInterrupt):
    raise
  except BaseException:
    exc_type, exc, tb = sys.exc_info()
    tb = _user_traceback(tb, script, exc)
    # The default hook prints the exception's own __traceback__, not `tb`.
    sys.excepthook(exc_type, exc.with_traceback(tb), tb)
    return 1
  return 0


if __name__ == '__main__':
  sys.exit(main())
