"""What the command-line tools share: `--version`, `-v`, a quiet TensorFlow.

TensorFlow's C++ runtime prints start-up lines (oneDNN, cpu_feature_guard)
on stderr when it loads; for a tool's user they are noise. The tools import
TensorFlow only once their arguments are parsed (so `--help` and
`--version` never load it), and before that `quiet_tensorflow` sets
`TF_CPP_MIN_LOG_LEVEL=2` unless the user set it or passed `-v`.

`TF_CPP_MIN_LOG_LEVEL` alone is not enough: the oneDNN notice ("oneDNN
custom operations are on") is printed before absl logging starts, so no
setting hides it. `import_tensorflow` therefore imports TensorFlow with file
descriptor 2 sent to a temporary file and writes back what it caught, less
the log lines below the severity asked for. Everything else (a Python
warning, an error, a traceback) comes through. Importing the library itself
changes no logging.
"""
import argparse
import contextlib
import os
import re
import sys
import tempfile

from contrib_compat import __version__

# A glog-style line as TensorFlow's C++ runtime writes it:
# `I0000 00:00:1796353238.414508    2414 port.cc:153] oneDNN custom ...`.
_GLOG_LINE = re.compile(r'^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] ')
_SEVERITY = {'I': 0, 'W': 1, 'E': 2, 'F': 3}
# 128 + SIGPIPE: what a shell reports for a writer whose reader went away.
EXIT_SIGPIPE = 141
EXIT_ERROR = 2
# absl's own notice that logging has not started, and the second line of
# cpu_feature_guard's message: start-up noise at INFO level.
_INFO_NOISE = ('WARNING: All log messages before absl::InitializeLog() is '
               'called are written to STDERR',
               'To enable the following instructions:')


def report_missing_tensorflow(prog, error):
  """For a tool that cannot import TensorFlow: one line, then exit status 2.

  Call it in an `except ModuleNotFoundError as error` block; an error about
  another module is a real bug and is raised again, traceback and all.

  Returns:
    The exit status, 2, after writing the line naming the install command.
  """
  if getattr(error, 'name', None) != 'tensorflow':
    raise error
  sys.stderr.write("%s: TensorFlow is not installed: pip install "
                   "'contrib-compat[cpu]' (or tensorflow-cpu, or "
                   "tensorflow[and-cuda] for a GPU)\n" % prog)
  return EXIT_ERROR


def add_common_arguments(parser, subcommand=False):
  """Adds `--version` and `-v/--verbose` to an argparse parser.

  On a subcommand's parser `-v` is accepted too (`ckpt inspect -v X`)
  without resetting a `-v` given before the subcommand.
  """
  parser.add_argument('--version', action='version',
                      version='%(prog)s ' + __version__)
  parser.add_argument('-v', '--verbose', action='store_true',
                      default=argparse.SUPPRESS if subcommand else False,
                      help="show TensorFlow's own start-up log lines")


def quiet_tensorflow(verbose=False):
  """Hides TensorFlow's C++ start-up lines; call before importing it.

  The user's own `TF_CPP_MIN_LOG_LEVEL` wins, and so does `verbose`.
  """
  if not verbose:
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')


def min_log_level():
  """The `TF_CPP_MIN_LOG_LEVEL` in effect (0 when unset or unreadable)."""
  try:
    return int(os.environ.get('TF_CPP_MIN_LOG_LEVEL', '0'))
  except ValueError:
    return 0


def import_tensorflow(hide_below=None):
  """Imports and returns `tensorflow`, hiding its start-up lines.

  Args:
    hide_below: start-up lines of a lower severity (0 INFO, 1 WARNING,
      2 ERROR, 3 FATAL) are dropped; default `TF_CPP_MIN_LOG_LEVEL`, which
      is what that setting would have done had absl logging been running.
      0 hides nothing.

  Returns:
    The `tensorflow` module.

  Raises:
    ModuleNotFoundError: as `import tensorflow` does (see
      `report_missing_tensorflow` for what a tool then prints).
  """
  if 'tensorflow' in sys.modules:
    return sys.modules['tensorflow']
  hide_below = min_log_level() if hide_below is None else hide_below
  if hide_below <= 0:
    import tensorflow
  else:
    with _stderr_filtered(hide_below):
      import tensorflow
  return tensorflow


@contextlib.contextmanager
def _stderr_filtered(hide_below):
  """File descriptor 2 goes to a file; what it caught comes back filtered."""
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as caught:
    os.dup2(caught.fileno(), 2)
    try:
      yield
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      caught.seek(0)
      text = caught.read().decode('utf-8', 'replace')
      kept = _drop_noise(text, hide_below)
      if kept:
        sys.stderr.write(kept)
        sys.stderr.flush()


def _drop_noise(text, hide_below):
  """`text` without glog lines below `hide_below` and absl's INFO notices."""
  kept = []
  for line in text.splitlines(keepends=True):
    match = _GLOG_LINE.match(line)
    if match and _SEVERITY[match.group(1)] < hide_below:
      continue
    if line.startswith(_INFO_NOISE):
      continue
    kept.append(line)
  return ''.join(kept)
