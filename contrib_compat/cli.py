"""What the command-line tools share: `--version`, `-v`, a quiet TensorFlow.

TensorFlow's C++ runtime prints start-up lines (oneDNN, cpu_feature_guard)
on stderr when it loads; for a tool's user they are noise. The tools import
TensorFlow only once their arguments are parsed (so `--help` and
`--version` never load it), and before that `quiet_tensorflow` sets
`TF_CPP_MIN_LOG_LEVEL=2` unless the user set it or passed `-v`. Importing
the library itself changes no logging.
"""
import argparse
import os

from contrib_compat import __version__


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
