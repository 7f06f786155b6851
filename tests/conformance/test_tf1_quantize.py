"""contrib_compat.quantize against real TF 1.15's tf.contrib.quantize.

The goldens (`golden/tf1_quantize_<case>.json`) were written by TF 1.15
from the cases in `tf1_quantize.CASES`: small slim models (conv / depthwise
/ atrous / separable / fully connected layers, fused and unfused batch
norms with and without scale, residual and post-activation bypass adds)
rewritten by each of the four functions with and without delays, bit
widths, symmetric ranges and a scope. Each is rebuilt here with
`contrib_compat.slim` and `contrib_compat.quantize` and compared as
test_tf1_reference compares layers: every node (name, op, inputs,
attributes), every variable and collection, and numbers. A rewrite TF1
refused is refused with the same exception type. A randomized test draws
more configurations and has live TF 1.15 describe them.

Numbers: the same graph structure run by TF 1.15's kernels and by this
TensorFlow's, so within float32 rounding (`numerics.different_graphs`):
outputs and variables within the default 64 ulps of their largest value,
except with oneDNN's kernels, whose rounding can put a value on a fake
quant's rounding boundary on the neighbouring level: outputs within two
quantization steps then (assert_quantized_close).
Training-graph gradients flow through the folded batch norm's statistics
(sums over the batch of terms far larger than the result, then divided by
the batch variance), which amplifies rounding: measured up to 624 ulps of
the largest gradient (atrous depthwise weights), so 2048 are allowed. A
wrong graph differs by far more (a quantization step is 2**-8 of a range).
"""
import json
import os
import random

import numpy as np
import pytest

from contrib_compat import numerics
from contrib_compat import quantize
from contrib_compat import slim
from tests.conformance import _graph_utils
from tests.conformance import test_tf1_reference
from tests.conformance import tf1_quantize
from tests.helpers import cpu
from tests.helpers import tf1

GRADIENT_ULPS = 2048


def ours(case):
  with _graph_utils.tf1_behaviour():
    return tf1_quantize.describe(case, slim, quantize)


def tf1_nodes_tf_slim_omits(expected, actual):
  """TF1's contrib conv2d built an unused `<layer>/dilation_rate` Const;
  tf_slim's conv2d (the models' conv layers, not this package's) does not
  on TF 2. Those nodes, when unused and absent here, are not compared."""
  ours_names = {n['name'] for n in actual}
  read = {i.split(':')[0].lstrip('^') for n in expected for i in n['inputs']}
  return [n for n in expected
          if not (n['name'].endswith('/dilation_rate') and n['op'] == 'Const'
                  and n['name'] not in ours_names and n['name'] not in read)]


def assert_same(actual, expected, where):
  if 'error' in expected:
    assert actual.get('error') == expected['error'], (
        '%s: TF1 raised %s (%s); we gave %s' % (
            where, expected['error'], expected['message'],
            actual.get('error', 'a graph')))
    return
  assert 'error' not in actual, '%s: we raised %s: %s; TF1 rewrote it' % (
      where, actual['error'], actual['message'])
  test_tf1_reference.assert_same_nodes(
      actual['nodes'], tf1_nodes_tf_slim_omits(expected['nodes'],
                                               actual['nodes']), where)
  assert actual['variables'] == expected['variables'], where
  assert actual['collections'] == expected['collections'], where
  mine, theirs = actual['numbers'], expected['numbers']
  for i, (a, b, step) in enumerate(zip(mine['outputs'], theirs['outputs'],
                                       theirs['output_steps'])):
    assert_quantized_close(a, b, step, '%s: run %d' % (where, i))
  assert len(mine.get('gradients', [])) == len(theirs.get('gradients', []))
  assert sorted(mine['after']) == sorted(theirs['after']), where
  if cpu.onednn_on():
    return  # see assert_quantized_close; CI compares them with oneDNN off
  for i, (a, b) in enumerate(zip(mine.get('gradients', []),
                                 theirs.get('gradients', []))):
    numerics.different_graphs(a, b, '%s: gradient %d' % (where, i),
                              ulps=GRADIENT_ULPS)
  for name, value in theirs['after'].items():
    numerics.different_graphs(mine['after'][name], value,
                              '%s: %s after two runs' % (where, name))


def assert_quantized_close(actual, expected, step, what):
  """Fake-quantized outputs against TF 1.15's.

  With Eigen's kernels (TF 1.15's) the same graph agrees within float32
  rounding. oneDNN's kernels round differently, and a value that sat on a
  fake quant's rounding boundary can land on the neighbouring level, which
  moves everything after it: there the outputs are compared within two
  quantization `step`s of the output's fake quant (measured: one random
  case in 40 moved by one step, on all its outputs), and gradients and
  variables not at all (`.ci/run` compares them again with oneDNN off).
  """
  if not step or not cpu.onednn_on():
    numerics.different_graphs(actual, expected, what)
    return
  difference = np.max(np.abs(np.asarray(actual) - np.asarray(expected)))
  allowed = 2 * step + numerics.float32_tolerance(expected)
  assert difference <= allowed, (
      '%s: differ by %.3g; two quantization steps are %.3g' % (
          what, difference, 2 * step))


@pytest.mark.parametrize('case', tf1_quantize.CASES,
                         ids=[c['name'] for c in tf1_quantize.CASES])
def test_matches_tf1_15(case):
  with open(tf1_quantize.golden_path(case['name'])) as f:
    golden = json.load(f)
  assert golden['case'] == case, 'golden is stale: regenerate it'
  assert golden['tensorflow'] == '1.15.0'
  assert_same(ours(case), golden['description'],
              'TF %s, %s' % (golden['tensorflow'], case['name']))


def random_cases(count, seed):
  """Models, batch norm kinds, rewrites and their options, drawn."""
  rng = random.Random(seed)
  cases = []
  for i in range(count):
    rewrite = rng.choice(tf1_quantize.REWRITES)
    model = rng.choice(sorted(tf1_quantize.MODELS))
    case = tf1_quantize.make_case('random_%d_%d' % (seed, i), model, rewrite,
                                  fused=rng.random() < 0.6,
                                  scale=rng.random() < 0.7,
                                  step=rng.randint(0, 4))
    if model == 'fully_connected':
      case['shape'] = [4, 3, 3, 2]
    if model == 'mobilenet_like':
      case.update(rate=rng.choice([1, 1, 2]), residual=rng.random() < 0.5,
                  pw_relu6=rng.random() < 0.5)
    args = {}
    if rewrite.startswith('experimental'):
      args = {'weight_bits': rng.choice([8, 8, 4, 7]),
              'activation_bits': rng.choice([8, 8, 5]),
              'symmetric': rng.random() < 0.3,
              'quant_delay': rng.choice([None, 0, 2, 3])}
      if rng.random() < 0.2:
        args['scope'] = rng.choice(['Dw', 'Sep', 'Fc1', 'Conv2', 'Logits'])
      if 'training' in rewrite and rng.random() < 0.4:
        args['freeze_bn_delay'] = rng.choice([1, 3])
    elif rewrite == 'create_training_graph' and rng.random() < 0.4:
      args['quant_delay'] = rng.choice([0, 2, 5])
    case['rewrite_args'] = args
    cases.append(case)
  return cases


@pytest.mark.slow
def test_random_rewrites_match_live_tf1():
  count = int(os.environ.get('CONTRIB_COMPAT_TF1_CASES', '40'))
  seed = int(os.environ.get('CONTRIB_COMPAT_TF1_SEED', '2026'))
  cases = random_cases(count, seed)
  theirs = tf1.describe('tf1_quantize.py', cases)
  failures = []
  for case, expected in zip(cases, theirs):
    try:
      assert_same(ours(case), expected, case['name'])
    except AssertionError as e:
      failures.append('%s\n  %s' % (json.dumps(case), str(e)[:600]))
  assert not failures, '%d of %d rewrites differ from TF 1.15:\n%s' % (
      len(failures), len(cases), '\n'.join(failures))
