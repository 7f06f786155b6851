"""`python -m benchmarks`: see benchmarks/run.py; `... NAME`: NAME.py.

NAME is one of migrate, batch_norm, models, ckpt.
"""
import importlib
import sys

_SUBCOMMANDS = ('migrate', 'batch_norm', 'models', 'ckpt')

if sys.argv[1:2] and sys.argv[1] in _SUBCOMMANDS:
  module = importlib.import_module('benchmarks.' + sys.argv[1])
  sys.exit(module.main(sys.argv[2:]))

from benchmarks import run

sys.exit(run.main())
