"""contrib_compat.image against TF 1.15's tf.contrib.image (golden written by
TF 1.15: tf1_image.py), and the paths TF1 code imports it by."""
import json

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from contrib_compat import image
from tests.conformance import tf1_image

with open(tf1_image.GOLDEN) as _f:
  GOLDEN = json.load(_f)
CASES = tf1_image.cases()


def test_golden_is_for_these_cases():
  assert len(GOLDEN['results']) == len(CASES)
  assert GOLDEN['tensorflow'] == '1.15.0'


@pytest.mark.parametrize('index', range(len(CASES)))
def test_matches_tf1(index):
  case, expected = CASES[index], GOLDEN['results'][index]
  actual = tf1_image.run(case, image)
  if case['kind'] in ('bipartite_match', 'connected_components'):
    # Exact, ties and numbering included; a refusal where TF1 refused.
    assert actual == expected, case
  elif case['kind'] in ('interpolate_spline', 'sparse_image_warp'):
    # A float32 linear solve of the spline's system, by TF 1.15's kernels
    # and by TF 2's: ill-conditioned for orders 3-4, which amplifies
    # rounding (measured: up to 2e-4 of the largest flow value).
    for mine, theirs in zip(actual, expected):
      np.testing.assert_allclose(
          mine, theirs, rtol=0, atol=1e-3 * np.max(np.abs(theirs)))
  else:
    # The same kernel (ImageProjectiveTransformV2) or the same bilinear
    # sampling on the same inputs; the golden holds 5 decimals.
    for mine, theirs in zip(actual, expected):
      np.testing.assert_allclose(mine, theirs, rtol=0, atol=2e-5)


def test_ties_go_as_tf1s_priority_queue_sent_them():
  """All-equal distances: TF1 matched (0, 0), then (1, 2), then (2, 3)."""
  with tf.Graph().as_default(), tf.Session() as sess:
    rows, columns = sess.run(image.bipartite_match(tf.zeros([3, 4]), -1))
  assert rows.tolist() == [0, 2, 3] and columns.tolist() == [0, -1, 1, 2]


def test_object_detection_api_import_path(installed):
  from tensorflow.contrib.image.python.ops import image_ops
  assert image_ops.bipartite_match is image.bipartite_match
  assert installed.image.rotate is image.rotate
  with pytest.raises(AttributeError, match='single_image_random_dot'):
    installed.image.single_image_random_dot_stereograms


def test_errors_name_the_argument():
  with tf.Graph().as_default():
    with pytest.raises(TypeError, match='`images` should have rank'):
      image.transform(tf.zeros([2]), [1, 0, 0, 0, 1, 0, 0, 0])
    with pytest.raises(TypeError, match='invalid dtype string'):
      image.rotate(tf.constant([['a']]), 1.0)
    with pytest.raises(ValueError, match='`output_shape`'):
      image.transform(tf.zeros([4, 4]), [1, 0, 0, 0, 1, 0, 0, 0],
                      output_shape=[1, 2, 3])
    with pytest.raises(TypeError, match='`transforms` should have rank 1 '
                       'or 2, got 3'):
      image.transform(tf.zeros([4, 4]), tf.zeros([1, 1, 8]))
    with pytest.raises(TypeError, match='`angles` should have rank 0 or 1'):
      image.angles_to_projective_transforms(tf.zeros([2, 2]), 4, 4)
    with pytest.raises(TypeError, match='rank of `angles` must be statically'):
      image.angles_to_projective_transforms(
          tf.placeholder(tf.float32, None), 4, 4)
    with pytest.raises(TypeError, match='rank of `translations` must be'):
      image.translations_to_projective_transforms(
          tf.placeholder(tf.float32, None))
    with pytest.raises(TypeError, match='`translations` should have rank 1'):
      image.translations_to_projective_transforms(tf.zeros([]))
