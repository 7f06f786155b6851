"""separable_conv2d on TF 2.21 against goldens from TF 2.12.1 + tf-slim 1.1.0.

The goldens (tests/conformance/golden/separable_*.json) are written by
`oracle_separable.py separable` on the oracle stack from the configurations in
oracle_separable.SEPARABLE_CONFIGS; here the same module builds each
configuration with contrib_compat's function. Variables, collections, the
names a custom getter sees, output names/aliases/shapes and outputs for fixed
inputs and weights must match; so must the node list, where TF 2.12 and
TF 2.21 build the same graph for these configurations (checked: no TF op
changed between them here, so no node is excused).
"""
import json

import numpy as np
import pytest

from contrib_compat import separable_conv2d
from tests.conformance import _graph_utils
from tests.conformance import oracle_separable
from tests.conftest import REPO

GOLDEN_DIR = REPO / 'tests' / 'conformance' / 'golden'
NAMES = sorted(oracle_separable.SEPARABLE_CONFIGS)
# Golden values carry 7 significant digits; half and bfloat16 their own.
TOLERANCE = {'float16': 1e-3, 'bfloat16': 1e-2, 'float32': 1e-6,
             'float64': 1e-6}


def _plain(data):
  """As it reads back from JSON (tuples become lists)."""
  return json.loads(json.dumps(data))


def _load(name):
  return json.loads(
      (REPO / oracle_separable.golden_path(name)).read_text())


def test_goldens_are_exactly_the_configurations():
  files = sorted(p.name for p in GOLDEN_DIR.glob('separable_*.json'))
  assert files == sorted('separable_%s.json' % n for n in NAMES)
  for name in NAMES:
    document = _load(name)
    assert document['config'] == _plain(oracle_separable.SEPARABLE_CONFIGS[name])
    assert document['oracle']['tensorflow'] == '2.12.1'


@pytest.mark.parametrize('name', NAMES)
def test_matches_golden(name):
  document = _load(name)
  golden = document['golden']
  ours = _plain(oracle_separable.separable_golden(separable_conv2d,
                                          document['config']))
  assert ours['variables'] == golden['variables']
  assert ours['collections'] == golden['collections']
  assert ours['getter_names'] == golden['getter_names']
  assert ours['nodes'] == _graph_utils.without_tf2_regularizer_probe(
      golden['nodes'])
  assert len(ours['outputs']) == len(golden['outputs'])
  tol = TOLERANCE[document['config']['dtype']]
  for out, expected in zip(ours['outputs'], golden['outputs']):
    assert {k: out[k] for k in ('name', 'aliases', 'shape')} == {
        k: expected[k] for k in ('name', 'aliases', 'shape')}
    assert ('values' in out) == ('values' in expected)
    if 'values' in out:
      np.testing.assert_allclose(out['values'], expected['values'],
                                 rtol=tol, atol=tol)
