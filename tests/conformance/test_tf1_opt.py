"""tf.contrib.opt.MovingAverageOptimizer against real TF 1.15.

tf1_moving_average.py is TF1 code; TF 1.15 ran it for the golden
(golden/opt_moving_average.json, `generate.py tf1_opt`) and here the runner
runs it unchanged on this package. The optimizer's part of the graph (every
node but TF's own gradient and initializer internals, which TF 2.21 builds
differently for any optimizer), the train op, the misuse errors, every
variable after three steps and the swapping saver's checkpoint must match.
Values are compared within float32 rounding of 6-decimal roundings: the two
TensorFlows compute the initial values with different linspace graphs.
"""
import json
import subprocess
import sys

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import contrib_compat
from contrib_compat import opt
from tests.conftest import REPO
from tests.conformance import tf1_moving_average

with open(REPO / tf1_moving_average.GOLDEN) as _f:
  GOLDEN = json.load(_f)


def _optimizers_node(name):
  # Not TF's own gradient and initializer internals, which TF 2.21 builds
  # differently from TF 1.15 whatever the optimizer.
  return not name.startswith('gradients/') and '/Initializer/' not in name


@pytest.fixture(scope='module')
def ours():
  run = subprocess.run(
      [sys.executable, '-m', 'contrib_compat.run',
       'tests/conformance/tf1_moving_average.py'], cwd=REPO,
      capture_output=True, text=True, check=False, timeout=600)
  assert run.returncode == 0, run.stderr[-3000:]
  return json.loads(run.stdout.strip().splitlines()[-1])


def test_golden_is_tf1_15s():
  assert GOLDEN['tensorflow'] == '1.15.0'
  assert sorted(GOLDEN['cases']) == sorted(
      c['name'] for c in tf1_moving_average.CASES)


@pytest.mark.parametrize('case', sorted(GOLDEN['cases']))
def test_matches_tf1(ours, case):
  theirs, mine = GOLDEN['cases'][case], ours['cases'][case]
  if 'saver_error' in theirs:
    assert mine == theirs
    return
  assert mine['train_op'] == theirs['train_op'] == ['train_with_avg', 'NoOp']
  assert mine['misuse'] == theirs['misuse']
  assert ([n for n in mine['nodes'] if _optimizers_node(n[0])] ==
          [n for n in theirs['nodes'] if _optimizers_node(n[0])])
  for kind in ('values', 'checkpoint'):
    assert sorted(mine[kind]) == sorted(theirs[kind])
    for name, value in theirs[kind].items():
      if value is None:  # a racy value (sequential_update=False)
        assert mine[kind][name] is None, name
        continue
      np.testing.assert_allclose(mine[kind][name], value, rtol=1e-6,
                                 atol=2e-6, err_msg=name)


def test_swapping_checkpoint_holds_the_averages_under_the_names(ours):
  case = ours['cases']['momentum_sequential']
  assert case['checkpoint']['net/w'] == (
      case['values']['net/w/ExponentialMovingAverage'])
  assert case['checkpoint']['net/w/ExponentialMovingAverage'] == (
      case['values']['net/w'])
  assert case['checkpoint']['net/w'] != case['values']['net/w']


def test_refuses_what_cannot_optimize_naming_the_argument():
  with pytest.raises(TypeError, match='`opt` must be a '
                     'tf.compat.v1.train.Optimizer'):
    opt.MovingAverageOptimizer(object())


def test_accepts_a_duck_typed_optimizer_as_tf1_did():
  class Wrapper(object):
    def __init__(self):
      self.inner = tf.train.GradientDescentOptimizer(0.5)

    def compute_gradients(self, *args, **kwargs):
      return self.inner.compute_gradients(*args, **kwargs)

    def apply_gradients(self, *args, **kwargs):
      return self.inner.apply_gradients(*args, **kwargs)

  with tf.Graph().as_default():
    w = tf.get_variable('w', [2], initializer=tf.ones_initializer())
    train = opt.MovingAverageOptimizer(Wrapper()).minimize(
        tf.reduce_sum(w * w))
    assert train.name == 'train_with_avg'


def test_served_as_tf_contrib_and_its_implementation_path():
  contrib_compat.install()
  try:
    from tensorflow.contrib.opt.python.training import moving_average_optimizer
    assert tf.contrib.opt.MovingAverageOptimizer is opt.MovingAverageOptimizer
    assert (moving_average_optimizer.MovingAverageOptimizer is
            opt.MovingAverageOptimizer)
    with pytest.raises(AttributeError, match='LazyAdamOptimizer.*'
                       'tensorflow_addons.optimizers'):
      tf.contrib.opt.LazyAdamOptimizer
  finally:
    contrib_compat.uninstall()


def test_migrate_rewrites_it_but_not_the_partial_module():
  # 27 of tf.contrib.opt's 28 names are refused: a whole-module use stays,
  # with a note (tensor2tensor imports the module for LazyAdamOptimizer).
  import io
  import os
  import tempfile
  from contrib_compat import migrate
  source = ('import tensorflow as tf\n'
            'from tensorflow.contrib import opt as contrib_opt\n'
            'from tensorflow.contrib.opt.python.training import '
            'moving_average_optimizer\n'
            'opt = tf.contrib.opt.MovingAverageOptimizer(base)\n')
  with tempfile.TemporaryDirectory() as work:
    path = os.path.join(work, 'train.py')
    with open(path, 'w') as f:
      f.write(source)
    err = io.StringIO()
    migrate.migrate([path], write=True, stdout=io.StringIO(), stderr=err,
                    jobs=1, cache=False)
    with open(path) as f:
      text = f.read()
  assert 'contrib_compat.opt.MovingAverageOptimizer(base)' in text, text
  assert 'from contrib_compat import opt as moving_average_optimizer' in text
  assert 'from tensorflow.contrib import opt as contrib_opt' in text
  assert ('train.py:2: tf.contrib.opt: use contrib_compat.opt for '
          'MovingAverageOptimizer, and for the rest tf.compat.v1.train '
          'optimizers') in err.getvalue()
