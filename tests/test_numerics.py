"""contrib_compat.numerics: exact for the same graph, float32 rounding else."""
import numpy as np
import pytest

from contrib_compat import numerics


def test_same_graph_is_bit_exact():
  a = np.float32([1.0, 2.0, 3.0])
  numerics.same_graph(a, a.copy())
  with pytest.raises(AssertionError, match='max \\|diff\\| 2.38e-07'):
    numerics.same_graph(np.nextafter(a, np.float32(9)), a)
  with pytest.raises(AssertionError, match='shapes differ'):
    numerics.same_graph(a[:2], a)


def test_different_graphs_allow_rounding_not_bugs():
  expected = np.float32([100.0, -3.0, 0.5])
  one_ulp = np.nextafter(expected, np.float32(1e9))
  assert numerics.different_graphs(one_ulp, expected) == pytest.approx(
      float(np.spacing(np.float32(100.0))))
  # batch_norm's epsilon 1e-5 against 1.001e-5 moves outputs by ~1e-4
  # relative: far outside float32 rounding.
  with pytest.raises(AssertionError, match='more than float32 rounding'):
    numerics.different_graphs(expected * (1 + 1e-4), expected)


def test_tolerance_scales_with_the_largest_magnitude():
  assert numerics.float32_tolerance([1.0]) == 64 * numerics.FLOAT32_EPS
  assert numerics.float32_tolerance([-1000.0, 1.0]) == pytest.approx(
      1000 * 64 * numerics.FLOAT32_EPS)
  assert 0 < numerics.float32_tolerance(np.zeros(3)) < 1e-30
