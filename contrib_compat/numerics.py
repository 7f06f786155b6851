"""How outputs of two TensorFlow graphs are compared: exactly, or within
float32 rounding.

The same graph structure, restored from the same checkpoint and run on the
same machine, gives bit-identical outputs: TensorFlow picks the same kernels
for the same ops. Two *different* graphs computing the same function (a
`cond` on `is_training` against a Python bool, a live session against its
frozen copy, TF 1.4's `FusedBatchNorm` graph against ours) need not: Grappler
may fuse Conv2D + BatchNorm + Relu6 into one oneDNN kernel in one graph and
not in the other, and a fused kernel sums in another order. On CPUs where
TensorFlow turns oneDNN on (AVX512_VNNI / AVX512_BF16 / AMX, or
`TF_ENABLE_ONEDNN_OPTS=1`) such graphs differ by an ulp or a few.

So: `same_graph` asserts equality; `different_graphs` asserts a tolerance
derived from float32 rounding (`float32_tolerance`), and both say by how
much they differ when they fail.
"""
import numpy as np

# One float32 ulp at 1.0.
FLOAT32_EPS = float(np.finfo(np.float32).eps)
# A reordered float32 sum of n terms differs from another order by at most
# about n ulps of its largest partial sum; a network's outputs compound that
# over its layers. 64 ulps of the output's largest magnitude (7.6e-6
# relative) covers every model here with oneDNN on or off (measured: at most
# 4 ulps), and stays far below the differences a real bug makes (an epsilon
# of 1.001e-5 instead of 1e-5 in batch_norm: 1e-4 relative).
DEFAULT_ULPS = 64


def float32_tolerance(reference, ulps=DEFAULT_ULPS):
  """The absolute tolerance for outputs that should equal `reference`.

  Args:
    reference: the expected values (array-like).
    ulps: how many float32 ulps of `reference`'s largest magnitude to allow.

  Returns:
    `ulps * eps(float32) * max(|reference|)` (for an all-zero reference, the
    same with float32's smallest normal number as its magnitude).
  """
  scale = float(np.max(np.abs(reference))) if np.size(reference) else 0.0
  return ulps * FLOAT32_EPS * max(scale, np.finfo(np.float32).tiny)


def max_difference(actual, expected):
  """The largest absolute elementwise difference (0.0 for empty arrays)."""
  actual = np.asarray(actual, np.float64)
  expected = np.asarray(expected, np.float64)
  if actual.shape != expected.shape:
    raise ValueError('shapes differ: %s vs %s' % (actual.shape,
                                                  expected.shape))
  return float(np.max(np.abs(actual - expected))) if actual.size else 0.0


def same_graph(actual, expected, what='outputs'):
  """Asserts bit-identical results of the same graph structure.

  Raises:
    AssertionError: naming `what` and the largest difference.
  """
  actual, expected = np.asarray(actual), np.asarray(expected)
  if actual.shape != expected.shape or not np.array_equal(actual, expected):
    raise AssertionError(
        '%s of the same graph differ (bit-identical expected): max |diff| '
        '%s' % (what, _describe(actual, expected)))


def different_graphs(actual, expected, what='outputs', ulps=DEFAULT_ULPS):
  """Asserts results of two graphs agree within float32 rounding.

  Returns:
    The largest absolute difference measured.

  Raises:
    AssertionError: naming `what`, the largest difference and the tolerance.
  """
  difference = max_difference(actual, expected)
  tolerance = float32_tolerance(expected, ulps)
  if not difference <= tolerance:
    raise AssertionError('%s differ by %.3g, more than float32 rounding '
                         'allows (%d ulps of max |expected|: %.3g)'
                         % (what, difference, ulps, tolerance))
  return difference


def _describe(actual, expected):
  try:
    return '%.3g' % max_difference(actual, expected)
  except ValueError as e:
    return str(e)
