"""tf-slim 1.1.0's own SeparableConv2dTest and BatchNormTest, run on our layers.

The test module is loaded at test time from the installed wheel
(`tf_slim/layers/layers_test.py`), never copied. It reaches the layers
through its module globals `layers_lib` (tf_slim.layers) and `_layers`
(tf_slim.layers.layers); the loaded copy gets proxies for both that return
`contrib_compat.separable_conv2d` / `separable_convolution2d` /
`batch_norm` and delegate every other name, so the real tf_slim modules are
left untouched.

Each unittest method becomes one pytest test, run inside a fresh graph (the
suite is TF1 graph-mode code; TF 2 executes eagerly by default).

tf-slim guards some methods with `test.is_gpu_available(cuda_only=True)` and
does nothing without a GPU; the loaded copy answers True there so that those
bodies really run (TF places the ops on the CPU when there is no GPU) instead
of passing vacuously.
"""
import importlib.util
import os
import unittest

import pytest
import tensorflow.compat.v1 as tf

tf_slim = pytest.importorskip('tf_slim')

from contrib_compat import normalization
from contrib_compat import separable

OURS = {
    'separable_conv2d': separable.separable_conv2d,
    'separable_convolution2d': separable.separable_convolution2d,
    'batch_norm': normalization.batch_norm,
}


class _Proxy:
  """Looks like `module`, except for the names in `overrides`."""

  def __init__(self, module, overrides):
    self._module = module
    self._overrides = overrides

  def __getattr__(self, name):
    if name in self._overrides:
      return self._overrides[name]
    return getattr(self._module, name)


def _load_suite():
  path = os.path.join(os.path.dirname(tf_slim.layers.__file__),
                      'layers_test.py')
  spec = importlib.util.spec_from_file_location('tf_slim_layers_test_copy',
                                                path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  # The wheel's module must still be tf-slim's: the proxies live on the copy.
  assert module.layers_lib is tf_slim.layers
  module.layers_lib = _Proxy(module.layers_lib, OURS)
  module._layers = _Proxy(module._layers, OURS)
  module.test = _Proxy(module.test,
                       {'is_gpu_available': lambda *args, **kwargs: True})
  # NumPy 2 removed `np.product`, which a few of the tests still call.
  module.np = _Proxy(module.np, {'product': module.np.prod})
  return module


SUITE = _load_suite()


def _methods(cls):
  """The test names unittest's loader finds, less TF's `test_session`.

  The loader also lists the `test_session` helper inherited from
  tf.test.TestCase, which TF's setUp skips as "Not a test."; the issue's
  counts (19 and 67) include it.
  """
  names = unittest.TestLoader().getTestCaseNames(cls)
  return [name for name in names if name != 'test_session']


# Tests that check something TF 2 no longer offers; strict, so that they are
# noticed when they start passing.
XFAIL = {}


def _params(cls):
  return [pytest.param(name, marks=pytest.mark.xfail(strict=True,
                                                     reason=XFAIL[name]))
          if name in XFAIL else name for name in _methods(cls)]


def _in_graph(cls):
  """`cls` with every test method run inside a fresh default graph.

  setUp resets the global default graph, so the graph is entered after it.
  """

  class InGraph(cls):

    def setUp(self):
      super().setUp()
      self._graph_context = tf.Graph().as_default()
      self._graph_context.__enter__()

    def tearDown(self):
      self._graph_context.__exit__(None, None, None)
      super().tearDown()

  InGraph.__name__ = cls.__name__
  return InGraph


def _run(cls, name):
  result = unittest.TestResult()
  _in_graph(cls)(name).run(result)
  problems = result.errors + result.failures
  if problems:
    pytest.fail('\n'.join(trace for _, trace in problems), pytrace=False)
  if result.skipped:
    pytest.skip(result.skipped[0][1])
  assert result.testsRun == 1 and result.wasSuccessful()


def test_suite_is_the_one_the_issue_counts():
  loader = unittest.TestLoader()
  assert len(loader.getTestCaseNames(SUITE.SeparableConv2dTest)) == 19
  assert len(loader.getTestCaseNames(SUITE.BatchNormTest)) == 67
  assert len(_methods(SUITE.SeparableConv2dTest)) == 18
  assert len(_methods(SUITE.BatchNormTest)) == 66


def test_proxies_leave_tf_slim_alone():
  assert tf_slim.layers.batch_norm is not normalization.batch_norm
  assert SUITE._layers.batch_norm is normalization.batch_norm
  assert SUITE.layers_lib.separable_conv2d is separable.separable_conv2d
  assert SUITE.layers_lib.conv2d is tf_slim.layers.conv2d


@pytest.mark.parametrize('name', _params(SUITE.SeparableConv2dTest))
def test_separable_conv2d(name):
  _run(SUITE.SeparableConv2dTest, name)


@pytest.mark.parametrize('name', _params(SUITE.BatchNormTest))
def test_batch_norm(name):
  _run(SUITE.BatchNormTest, name)
