"""Runs Object Detection API test modules with unittest; prints JSON.

    python -m contrib_compat.run tests/conformance/od_api_driver.py LIB MODULE...

LIB is the directory holding `object_detection` (unpacked from PyPI at test
time; nothing of it is in this repository). Two shims for what the API's
2019 test environment had beside it, neither TensorFlow: `mock` (the
Python 2 backport) is unittest.mock, and research/slim's `nets` package is
tf_slim's `nets` (inception, resnet, vgg; not MobileNet, which tf_slim
does not ship). Prints {"run": n, "failures": [ids], "errors": [ids],
"skipped": n} as the last line.
"""
import importlib
import json
import pkgutil
import sys
import unittest
import unittest.mock


def _shims():
  sys.modules.setdefault('mock', unittest.mock)
  try:
    import tf_slim.nets as nets  # pylint: disable=g-import-not-at-top
  except ImportError:
    return
  sys.modules.setdefault('nets', nets)
  for info in pkgutil.iter_modules(nets.__path__):
    if not info.name.endswith('_test'):
      module = importlib.import_module('tf_slim.nets.' + info.name)
      sys.modules.setdefault('nets.' + info.name, module)


def main(argv):
  sys.path.insert(0, argv[1])
  _shims()
  suite = unittest.defaultTestLoader.loadTestsFromNames(argv[2:])
  result = unittest.TextTestRunner(verbosity=1).run(suite)
  print(json.dumps({'run': result.testsRun,
                    'failures': sorted(t.id() for t, _ in result.failures),
                    'errors': sorted(t.id() for t, _ in result.errors),
                    'skipped': len(result.skipped)}))
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
