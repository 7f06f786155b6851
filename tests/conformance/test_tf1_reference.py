"""This package against real TF 1.15's tf.contrib.layers, node for node.

The goldens (`golden/tf1_<case>.json`) were written by TF 1.15 itself from
the cases in `tf1_reference.CASES` (regenerate or check them with
`python tests/conformance/generate.py tf1 [--check]`).
Each case is rebuilt here with this package, described by the same code,
and compared:

* every node, in creation order: name, op type, inputs, and every attribute
  TF1's node has (epsilon, strides, dilations, padding, data_format,
  is_training, Const values, ...). Attributes TF 1.15 did not have yet are
  not compared;
* every variable (name, shape, dtype) and every collection, in order
  (regularization losses, update ops, model variables, outputs);
* numbers from the same variable values, restored from the checkpoint TF
  1.15 saved (`tests/data/tf1.15-reference/<case>/`): outputs, gradients
  of a fixed weighted sum with respect to the input and every trainable
  variable, and every variable after one run of the update ops. Two TensorFlow releases
  run these graphs with their own kernels, so they agree within float32
  rounding (`contrib_compat.numerics.different_graphs`), not bit for bit.
"""
import json

import pytest

from contrib_compat import numerics
from tests.conformance import _graph_utils
from tests.conformance import tf1_reference



# Ops TF 2 builds under a new name for the same computation where TF 1.15
# built the old one (`tf.add` is AddV2 since TF 2.0); nothing this package
# chooses. TF1's own op is accepted too.
OP_RENAMES = {'Add': 'AddV2'}


def _golden(name):
  path = tf1_reference.golden_path(name)
  with open(path) as f:
    return json.load(f)


def ours(case, checkpoint=None):
  """`case` built and described with this package (TF1 variables and
  control flow); its variables restored from TF1's `checkpoint`."""
  with _graph_utils.tf1_behaviour():
    return tf1_reference.describe(case, tf1_reference.our_library(),
                                  checkpoint)


def assert_same_description(actual, expected, where):
  """Asserts two descriptions agree; the message names the first difference."""
  assert_same_nodes(actual['nodes'], expected['nodes'], where)
  assert actual['variables'] == expected['variables'], where
  assert actual['collections'] == expected['collections'], where
  assert actual['outputs'] == expected['outputs'], where
  if expected['numbers'] is not None:
    assert_same_numbers(actual['numbers'], expected['numbers'], where)


def assert_same_nodes(actual, expected, where):
  names = [n['name'] for n in actual]
  expected_names = [n['name'] for n in expected]
  extra = [n for n in names if n not in expected_names]
  missing = [n for n in expected_names if n not in names]
  assert not extra and not missing, (
      '%s: nodes TF1 did not build: %s; nodes TF1 built and we did not: %s'
      % (where, extra, missing))
  for i, (mine, theirs) in enumerate(zip(names, expected_names)):
    assert mine == theirs, '%s: node %d is %s, TF1 built %s there' % (
        where, i, mine, theirs)
  for mine, theirs in zip(actual, expected):
    label = '%s: node %s' % (where, theirs['name'])
    assert mine['op'] in (theirs['op'], OP_RENAMES.get(theirs['op'])), label
    assert mine['inputs'] == theirs['inputs'], label
    for key, value in theirs['attrs'].items():
      assert key in mine['attrs'], '%s: no attribute %r' % (label, key)
      assert mine['attrs'][key] == value, '%s: attribute %r: %r != %r' % (
          label, key, mine['attrs'][key], value)


def assert_same_numbers(actual, expected, where):
  for kind in ('outputs', 'gradients'):
    assert len(actual[kind]) == len(expected[kind]), (where, kind)
    for i, (mine, theirs) in enumerate(zip(actual[kind], expected[kind])):
      assert (mine is None) == (theirs is None), (where, kind, i)
      if theirs is not None:
        numerics.different_graphs(mine, theirs, '%s: %s[%d]' % (where, kind,
                                                                 i))
  assert sorted(actual['after_update']) == sorted(expected['after_update'])
  for name, theirs in expected['after_update'].items():
    numerics.different_graphs(actual['after_update'][name], theirs,
                              '%s: %s after the update ops' % (where, name))


@pytest.mark.parametrize('case', tf1_reference.CASES,
                         ids=[c['name'] for c in tf1_reference.CASES])
def test_matches_tf1_15(case):
  golden = _golden(case['name'])
  assert golden['case'] == case, 'golden is stale: regenerate it'
  checkpoint = (tf1_reference.checkpoint_path(case['name'])
                if case.get('run', True) else None)
  assert_same_description(ours(case, checkpoint), golden['description'],
                          'TF %s, %s' % (golden['tensorflow'], case['name']))
