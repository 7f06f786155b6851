"""Runs Object Detection API test modules with unittest; prints JSON.

    python -m contrib_compat.run tests/conformance/od_api_driver.py LIB MODULE...

LIB is the directory holding `object_detection` and research/slim's `nets`
(both unpacked from PyPI at test time; nothing of them is in this
repository). `mock`, the Python 2 backport the API's 2019 tests import, is
served as unittest.mock. Prints, as the last line,
{"run": n, "skipped": n, "failed": {test id: last line of its traceback}}.
The same command with TF 1.15's python instead of `contrib_compat.run`
runs them on real TF1.
"""
import json
import sys
import unittest
import unittest.mock


def _last_line(traceback_text):
  lines = [line for line in traceback_text.strip().splitlines() if line]
  return lines[-1] if lines else ''


def main(argv):
  sys.path.insert(0, argv[1])
  sys.modules.setdefault('mock', unittest.mock)
  suite = unittest.defaultTestLoader.loadTestsFromNames(argv[2:])
  result = unittest.TextTestRunner(verbosity=1).run(suite)
  failed = {test.id(): _last_line(text)
            for test, text in result.failures + result.errors}
  print(json.dumps({'run': result.testsRun, 'skipped': len(result.skipped),
                    'failed': failed}, sort_keys=True))
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
