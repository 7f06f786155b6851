"""`python -m benchmarks`: see benchmarks/run.py."""
import sys

from benchmarks import run

sys.exit(run.main())
