"""Randomized differential test against live TF 1.15 (tf.contrib.layers).

Draws separable_conv2d and batch_norm configurations from a seeded random
generator, has real TF 1.15 build and describe them in its own interpreter
(`tf1_reference.py --describe`), builds them here with this package, and
compares them as test_tf1_reference.py compares the committed goldens: every
node with its attributes, variables, collections, and numbers from the
variables TF1 saved (restored here from TF1's checkpoint). A configuration
TF1 refused must be refused here with the same exception type.

TF 1.15 runs as tests/helpers/tf1.py says (skipped without it).
`CONTRIB_COMPAT_TF1_CASES` sets how many configurations (default 60);
`CONTRIB_COMPAT_TF1_SEED` the seed.
"""
import json
import os
import random

import pytest

from tests.conformance import test_tf1_reference
from tests.conformance import tf1_reference
from tests.helpers import tf1

pytestmark = [pytest.mark.slow]


def _separable_case(rng, name):
  nchw = rng.random() < 0.15
  channels = rng.randint(1, 3)
  shape = [2, channels, 6, 6] if nchw else [2, 6, 6, channels]
  num_outputs = rng.choice([None, None, 1, 4])
  kwargs = {'num_outputs': num_outputs,
            'kernel_size': rng.choice([1, 2, 3, [3, 2], [1, 3]]),
            'depth_multiplier': rng.choice([1, 1, 2])}
  if nchw:
    kwargs['data_format'] = 'NCHW'
  if rng.random() < 0.3:
    kwargs['stride'] = rng.choice([2, [2, 2]])
  elif rng.random() < 0.3:
    kwargs['rate'] = 2
  kwargs['padding'] = rng.choice(['SAME', 'VALID'] +
                                 (['same'] if num_outputs else []))
  optional = {
      'weights_regularizer': rng.choice(['$l2', '$l1']),
      'biases_regularizer': '$l1',
      'biases_initializer': rng.choice([None, '$constant:0.5']),
      'activation_fn': rng.choice([None, '$relu']),
      'trainable': False,
      'outputs_collections': 'end_points',
      'variables_collections': rng.choice([['extra'], {'weights': ['w']}]),
      'normalizer_fn': '$batch_norm',
  }
  for key, value in optional.items():
    if rng.random() < 0.3:
      kwargs[key] = value
  if kwargs.get('normalizer_fn') and rng.random() < 0.7:
    kwargs['normalizer_params'] = {
        'is_training': rng.choice([True, False, '$is_training']),
        'fused': rng.choice([None, False]), 'scale': rng.random() < 0.5}
  case = {'name': name, 'layer': 'separable_conv2d', 'shape': shape,
          'kwargs': kwargs, 'run': not nchw}
  return _with_calls(rng, case, 'separable_conv2d')


def _batch_norm_case(rng, name):
  rank = rng.choice([2, 4, 4, 4])
  nchw = rank == 4 and rng.random() < 0.2
  shape = {2: [4, 3], 4: [2, 3, 4, 4] if nchw else [2, 4, 4, 3]}[rank]
  kwargs = {}
  if nchw:
    kwargs['data_format'] = 'NCHW'
  optional = {
      'decay': rng.choice([0.9, 0.5]),
      'center': False,
      'scale': True,
      'epsilon': rng.choice([1e-5, 1e-6, 0.01]),
      'activation_fn': '$relu',
      'param_initializers': {'gamma': '$constant:0.5',
                             'moving_mean': '$constant:0.1'},
      'param_regularizers': {'gamma': '$l2', 'beta': '$l1'},
      'updates_collections': None,
      'is_training': rng.choice([False, '$is_training']),
      'variables_collections': ['extra'],
      'outputs_collections': 'end_points',
      'trainable': False,
      'batch_weights': '$batch_weights',
      'fused': rng.choice([True, False]),
      'zero_debias_moving_mean': True,
      'renorm': True,
      'renorm_clipping': '$clipping',
      'renorm_decay': 0.9,
  }
  for key, value in optional.items():
    if rng.random() < 0.2:
      kwargs[key] = value
  case = {'name': name, 'layer': 'batch_norm', 'shape': shape,
          'kwargs': kwargs,
          # TF1's CPU kernels have no NCHW fused batch norm.
          'run': not nchw}
  return _with_calls(rng, case, 'batch_norm')


def _with_calls(rng, case, layer):
  roll = rng.random()
  if roll < 0.15:
    case['calls'] = 2
    case['reuse_scope'] = 'shared'
  elif roll < 0.25:
    case['calls'] = 2  # default scope names: Layer, Layer_1
  elif roll < 0.35:
    case['arg_scope'] = {'outputs_collections': 'scoped'}
  return case


def random_cases(count, seed):
  rng = random.Random(seed)
  maker = [_separable_case, _batch_norm_case]
  return [maker[i % 2](rng, 'random_%d_%d' % (seed, i)) for i in range(count)]


def test_random_configurations_match_live_tf1(tmp_path):
  count = int(os.environ.get('CONTRIB_COMPAT_TF1_CASES', '60'))
  seed = int(os.environ.get('CONTRIB_COMPAT_TF1_SEED', '2026'))
  cases = random_cases(count, seed)
  # TF1 saves each case's variables; ours restores them from there.
  theirs = tf1.describe('tf1_reference.py', cases, '--checkpoints',
                        str(tmp_path))
  failures = []
  for case, expected in zip(cases, theirs):
    checkpoint = tf1_reference.checkpoint_path(case['name'], str(tmp_path))
    actual = _ours_or_error(case, checkpoint if case['run'] else None)
    try:
      if 'error' in expected:
        assert actual.get('error') == expected['error'], (
            'TF1 raised %s (%s); we gave %s' % (
                expected['error'], expected['message'],
                actual.get('error', 'a graph')))
      else:
        assert 'error' not in actual, 'we raised %s: %s; TF1 built it' % (
            actual.get('error'), actual.get('message'))
        test_tf1_reference.assert_same_description(actual, expected,
                                                   case['name'])
    except AssertionError as e:
      failures.append('%s\n  %s' % (json.dumps(case), str(e)[:600]))
  assert not failures, '%d of %d configurations differ from TF 1.15:\n%s' % (
      len(failures), len(cases), '\n'.join(failures))


def _ours_or_error(case, checkpoint):
  try:
    return test_tf1_reference.ours(case, checkpoint)
  except Exception as e:
    return {'error': type(e).__name__, 'message': str(e)[:500]}
