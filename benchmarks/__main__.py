"""`python -m benchmarks`: see benchmarks/run.py; `... migrate`: migrate.py."""
import sys

if sys.argv[1:2] == ['migrate']:
  from benchmarks import migrate  # pylint: disable=g-import-not-at-top
  sys.exit(migrate.main(sys.argv[2:]))

from benchmarks import run  # pylint: disable=g-import-not-at-top,wrong-import-position

sys.exit(run.main())
