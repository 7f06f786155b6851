"""tf.contrib.image rebuilt on TensorFlow 2's public ops, with TF1's graphs.

The projective transforms (`transform`, `rotate`, `translate` and the
helpers that build and compose transform vectors) run TensorFlow's own
`ImageProjectiveTransformV2` kernel, which TF 2 still ships (as
`tf.raw_ops`), under TF 1.15's name scopes, so graphs and outputs are TF1's.
`bipartite_match` was a contrib-only kernel; it is rebuilt here with the
same greedy algorithm and results (the Object Detection API's bipartite
matcher calls it). The warps (`dense_image_warp`, `interpolate_spline`,
`sparse_image_warp`) are in image_warp.py and served from here;
`connected_components` (a contrib kernel too) propagates labels with TF ops
and numbers components as TF1 did.

`install()` and the runner serve these as `tf.contrib.image.<name>` and as
`tensorflow.contrib.image.python.ops.image_ops`; contrib-compat-migrate
rewrites uses to `contrib_compat.image.<name>`. The rest of TF1's module
(`single_image_random_dot_stereograms`, a stereogram renderer) is refused
with a message naming a replacement (see replacements.py).
"""
import functools

import numpy as np
import tensorflow.compat.v1 as tf

# The warps live in their own module; they are tf.contrib.image's too.
from contrib_compat.image_warp import dense_image_warp  # noqa: F401
from contrib_compat.image_warp import interpolate_spline  # noqa: F401
from contrib_compat.image_warp import sparse_image_warp  # noqa: F401

# The dtypes TF 1.15's transform accepted.
_IMAGE_DTYPES = frozenset([tf.uint8, tf.int32, tf.int64, tf.float16,
                           tf.float32, tf.float64])


def _as_batch(image_or_images, what):
  """`image_or_images` as NHWC (HW and HWC get batch / channel axes)."""
  if image_or_images.dtype.base_dtype not in _IMAGE_DTYPES:
    raise TypeError('%s: invalid dtype %s for `images` (uint8, int32, int64, '
                    'float16, float32 or float64)' % (
                        what, image_or_images.dtype.name))
  rank = image_or_images.shape.rank
  if rank is None:
    raise TypeError('%s: the rank of `images` must be statically known '
                    '(image_or_images rank must be statically known)' % what)
  if rank == 2:
    return image_or_images[None, :, :, None]
  if rank == 3:
    return image_or_images[None, :, :, :]
  if rank == 4:
    return image_or_images
  raise TypeError('%s: `images` should have rank between 2 and 4, got %d'
                  % (what, rank))


def _one_or_batch(given, argument, rank, where):
  """`given` (one item of rank `rank` - 1, or a batch of them) as a batch.

  Raises:
    TypeError: `given`'s rank is unknown, or neither `rank` - 1 nor `rank`.
  """
  if given.shape.rank is None:
    raise TypeError('%s: the rank of `%s` must be statically known'
                    % (where, argument))
  if given.shape.rank == rank - 1:
    return given[None]
  if given.shape.rank == rank:
    return given
  raise TypeError('%s: `%s` should have rank %d or %d, got %d' % (
      where, argument, rank - 1, rank, given.shape.rank))


def _as_given(output, rank):
  """The batch `output` back in the rank the images were given in."""
  if rank == 2:
    return output[0, :, :, 0]
  if rank == 3:
    return output[0, :, :, :]
  return output


def transform(images, transforms, interpolation='NEAREST', output_shape=None,
              name=None):
  """Applies projective transforms to images, as tf.contrib.image.transform.

  Args:
    images: HW, HWC or NHWC image(s) of uint8, int32, int64, float16, float32
      or float64.
    transforms: a vector `[a0, a1, a2, b0, b1, b2, c0, c1]` or N of them,
      mapping each output point (x, y) to the input point
      `((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`,
      `k = c0 x + c1 y + 1`.
    interpolation: 'NEAREST' or 'BILINEAR' (any case).
    output_shape: [height, width] of the output; the input's by default.
    name: name scope (default 'transform').

  Returns:
    The transformed image(s), in the rank given; points mapped outside the
    input are 0.

  Raises:
    TypeError: `images` has another dtype, an unknown rank or a rank not 2-4;
      `transforms` has an unknown rank or a rank not 1-2.
    ValueError: `output_shape` is not 2 integers.
  """
  with tf.name_scope(name, 'transform'):
    image_or_images = tf.convert_to_tensor(images, name='images')
    transform_or_transforms = tf.convert_to_tensor(
        transforms, name='transforms', dtype=tf.float32)
    batch = _as_batch(image_or_images, 'transform')
    if output_shape is None:
      output_shape = tf.shape(batch)[1:3]
      known = tf.get_static_value(output_shape)
      if known is not None and not tf.executing_eagerly():
        output_shape = known
    output_shape = tf.convert_to_tensor(output_shape, tf.int32,
                                        name='output_shape')
    if not output_shape.shape.is_compatible_with([2]):
      raise ValueError('transform: `output_shape` must be a 1-D tensor of 2 '
                       'elements: new_height, new_width')
    batch_transforms = _one_or_batch(transform_or_transforms, 'transforms',
                                     2, 'transform')
    output = tf.raw_ops.ImageProjectiveTransformV2(
        images=batch, transforms=batch_transforms, output_shape=output_shape,
        interpolation=interpolation.upper())
    return _as_given(output, image_or_images.shape.rank)


def rotate(images, angles, interpolation='NEAREST', name=None):
  """Rotates image(s) counterclockwise by `angles` radians (one, or one per
  image), about the center, as tf.contrib.image.rotate."""
  with tf.name_scope(name, 'rotate'):
    image_or_images = tf.convert_to_tensor(images)
    batch = _as_batch(image_or_images, 'rotate')
    height = tf.cast(tf.shape(batch)[1], tf.float32)[None]
    width = tf.cast(tf.shape(batch)[2], tf.float32)[None]
    output = transform(
        batch, angles_to_projective_transforms(angles, height, width),
        interpolation=interpolation)
    return _as_given(output, image_or_images.shape.rank)


def translate(images, translations, interpolation='NEAREST', name=None):
  """Translates image(s) by `[dx, dy]` (one, or one per image), as
  tf.contrib.image.translate."""
  with tf.name_scope(name, 'translate'):
    return transform(images,
                     translations_to_projective_transforms(translations),
                     interpolation=interpolation)


def angles_to_projective_transforms(angles, image_height, image_width,
                                    name=None):
  """The transform vectors rotating images of that size by `angles`.

  Raises:
    TypeError: `angles` is neither a scalar nor a vector.
  """
  with tf.name_scope(name, 'angles_to_projective_transforms'):
    angles = _one_or_batch(
        tf.convert_to_tensor(angles, name='angles', dtype=tf.float32),
        'angles', 1, 'angles_to_projective_transforms')
    # The rotation about the image center, as the matrix mapping output
    # points to input points: [[cos, -sin, dx], [sin, cos, dy], [0, 0, 1]].
    x_offset = ((image_width - 1) - (tf.cos(angles) * (image_width - 1) -
                                     tf.sin(angles) * (image_height - 1))) / 2.0
    y_offset = ((image_height - 1) - (tf.sin(angles) * (image_width - 1) +
                                      tf.cos(angles) * (image_height - 1))) / 2.0
    count = tf.shape(angles)[0]
    return tf.concat(values=[
        tf.cos(angles)[:, None], -tf.sin(angles)[:, None], x_offset[:, None],
        tf.sin(angles)[:, None], tf.cos(angles)[:, None], y_offset[:, None],
        tf.zeros((count, 2), tf.float32)], axis=1)


def translations_to_projective_transforms(translations, name=None):
  """The transform vectors translating images by `[dx, dy]` each.

  Raises:
    TypeError: `translations` has an unknown rank or a rank not 1-2.
  """
  with tf.name_scope(name, 'translations_to_projective_transforms'):
    translations = _one_or_batch(
        tf.convert_to_tensor(translations, name='translations',
                             dtype=tf.float32),
        'translations', 2, 'translations_to_projective_transforms')
    count = tf.shape(translations)[0]
    # [[1, 0, -dx], [0, 1, -dy], [0, 0, 1]], the last row implicit.
    return tf.concat(values=[
        tf.ones((count, 1), tf.float32), tf.zeros((count, 1), tf.float32),
        -translations[:, 0, None], tf.zeros((count, 1), tf.float32),
        tf.ones((count, 1), tf.float32), -translations[:, 1, None],
        tf.zeros((count, 2), tf.float32)], axis=1)


def compose_transforms(*transforms):
  """One transform doing all of `transforms` (applied right to left)."""
  if not transforms:
    raise ValueError('compose_transforms: `transforms` cannot be empty')
  with tf.name_scope('compose_transforms'):
    composed = flat_transforms_to_matrices(transforms[0])
    for other in transforms[1:]:
      composed = tf.matmul(composed, flat_transforms_to_matrices(other))
    return matrices_to_flat_transforms(composed)


def flat_transforms_to_matrices(transforms):
  """Transform vectors as (N, 3, 3) matrices mapping output to input points.

  Raises:
    ValueError: `transforms` is not 1-D or 2-D.
  """
  with tf.name_scope('flat_transforms_to_matrices'):
    transforms = tf.convert_to_tensor(transforms, name='transforms')
    if transforms.shape.rank not in (1, 2):
      raise ValueError('flat_transforms_to_matrices: `transforms` should be '
                       '1D or 2D, got: %s' % transforms)
    transforms = tf.reshape(transforms, tf.constant([-1, 8]))
    count = tf.shape(transforms)[0]
    return tf.reshape(tf.concat([transforms, tf.ones([count, 1])], axis=1),
                      tf.constant([-1, 3, 3]))


def matrices_to_flat_transforms(transform_matrices):
  """(N, 3, 3) or (3, 3) matrices (output to input points) as vectors.

  Raises:
    ValueError: `transform_matrices` is not 2-D or 3-D.
  """
  with tf.name_scope('matrices_to_flat_transforms'):
    transform_matrices = tf.convert_to_tensor(transform_matrices,
                                              name='transform_matrices')
    if transform_matrices.shape.rank not in (2, 3):
      raise ValueError('matrices_to_flat_transforms: `transform_matrices` '
                       'should be 2D or 3D, got: %s' % transform_matrices)
    transforms = tf.reshape(transform_matrices, tf.constant([-1, 9]))
    # Normalized by the last entry (normally 1).
    transforms /= transforms[:, 8:9]
    return transforms[:, :8]


def connected_components(images):
  """Labels 4-connected regions of equal non-zero value, as TF1 did.

  Args:
    images: [height, width] or [batch, height, width] of any dtype; 0 (or
      False) is background.

  Returns:
    int32 labels shaped as `images`: 0 for background, components numbered
    1, 2, ... across the whole batch in the order of their first pixel
    (row-major), TF1's numbering.

  Raises:
    TypeError: `images` is not 2-D or 3-D.
  """
  with tf.name_scope('connected_components'):
    image_or_images = tf.convert_to_tensor(images, name='images')
    rank = image_or_images.shape.rank
    if rank not in (2, 3):
      raise TypeError('connected_components: `images` should have rank 2 '
                      '(HW) or 3 (NHW); static shape is %s'
                      % image_or_images.shape)
    batch = image_or_images[None] if rank == 2 else image_or_images
    shape = tf.shape(batch)
    size = tf.reduce_prod(shape)
    foreground = tf.not_equal(batch, tf.zeros([], batch.dtype))
    # Each pixel's label: the smallest flat index in its component (found by
    # taking neighbours' labels and jumping to the label's own label until
    # nothing changes); `size` for background.
    index = tf.reshape(tf.range(size), shape)
    labels = tf.where(foreground, index, tf.fill(shape, size))

    def neighbours_min(labels):
      best = labels
      for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        shifted_labels = _shift(labels, axis, step, size)
        shifted_values = _shift(batch, axis, step, None)
        joined = tf.logical_and(foreground, tf.logical_and(
            _shift(foreground, axis, step, False),
            tf.equal(shifted_values, batch)))
        best = tf.where(joined, tf.minimum(best, shifted_labels), best)
      flat = tf.concat([tf.reshape(best, [-1]), [size]], 0)
      return tf.gather(flat, best)  # jump to the label's label

    def unsettled(labels, previous):
      return tf.reduce_any(tf.not_equal(labels, previous))

    def step(labels, unused_previous):
      return neighbours_min(labels), labels

    labels, _ = tf.while_loop(unsettled, step,
                              [neighbours_min(labels), labels],
                              back_prop=False)
    ids, position = tf.unique(tf.reshape(labels, [-1]))
    numbers = tf.cumsum(tf.cast(tf.not_equal(ids, size), tf.int32))
    numbers = tf.where(tf.equal(ids, size), tf.zeros_like(numbers), numbers)
    components = tf.reshape(tf.gather(numbers, position), shape)
    return components[0] if rank == 2 else components


def _shift(tensor, axis, step, fill):
  """`tensor` moved by one along `axis`: each place gets its neighbour at
  +step (`fill`, or the edge value when None, where there is none)."""
  length = tf.shape(tensor)[axis]
  if step > 0:
    body = tf.gather(tensor, tf.range(1, length), axis=axis)
    edge = tf.gather(tensor, [length - 1], axis=axis)
  else:
    body = tf.gather(tensor, tf.range(0, length - 1), axis=axis)
    edge = tf.gather(tensor, [0], axis=axis)
  if fill is not None:
    edge = tf.fill(tf.shape(edge), tf.cast(fill, tensor.dtype))
  parts = [body, edge] if step > 0 else [edge, body]
  return tf.concat(parts, axis)


def bipartite_match(distance_mat, num_valid_rows, top_k=-1,
                    name='bipartite_match'):
  """Greedy bipartite matching on a distance matrix, as TF1's kernel did.

  Matches the closest (smallest distance) free row and column, again and
  again, among the first `num_valid_rows` rows (all rows when it is
  negative), until `top_k` pairs (or as many as there can be) are matched.
  TF1's kernel took the pairs from a priority queue filled in row-major
  order, which decides between equal distances; this does the same, so
  results agree with TF1's including ties (the Object Detection API meets
  many: every pair without overlap has similarity 0). Like TF1's kernel it
  runs on the CPU (as a `tf.numpy_function`).

  Args:
    distance_mat: float [num_rows, num_columns] distances.
    num_valid_rows: scalar (or 1-element vector) number of leading rows to
      match; negative for all. More than num_rows is an InvalidArgumentError
      when the graph runs, as in TF1.
    top_k: how many pairs at most; zero, negative or more than there can be
      for min(valid rows, columns) (TF1's kernel took 0 as "all" too,
      though its docstring said negative).
    name: the op's name.

  Returns:
    (row_to_col_match_indices, col_to_row_match_indices): int32 vectors of
    num_rows and num_columns entries, -1 where unmatched.
  """
  distances = tf.convert_to_tensor(distance_mat, name='distance_mat',
                                   dtype=tf.float32)
  valid = tf.reshape(tf.cast(num_valid_rows, tf.int32), [])
  row_to_col, col_to_row = tf.numpy_function(
      functools.partial(_greedy_match, top_k=int(top_k)), [distances, valid],
      [tf.int32, tf.int32], name=name)
  row_to_col.set_shape(distances.shape[:1])
  col_to_row.set_shape(distances.shape[1:2])
  return row_to_col, col_to_row


def _greedy_match(distances, valid, top_k):
  rows, columns = distances.shape
  valid = rows if valid < 0 else int(valid)
  if valid > rows:
    raise ValueError('There should be at least %d rows in distance_mat, but '
                     'only got %d rows.' % (valid, rows))
  most = min(valid, columns)
  top_k = most if top_k <= 0 or top_k > most else top_k
  heap = []
  for row in range(valid):
    for column in range(columns):
      _heap_push(heap, (float(distances[row, column]), row, column))
  row_to_col = np.full([rows], -1, np.int32)
  col_to_row = np.full([columns], -1, np.int32)
  matched = 0
  while heap and matched < top_k:
    _, row, column = _heap_pop(heap)
    if row_to_col[row] == -1 and col_to_row[column] == -1:
      row_to_col[row], col_to_row[column] = column, row
      matched += 1
  return row_to_col, col_to_row


# A binary min-heap on the distance alone, sifting exactly as the C++
# standard library's push_heap / pop_heap do: which of two equal distances
# comes out first depends on that, and TF1's results with it.


def _heap_push(heap, item):
  heap.append(item)
  _sift_up(heap, len(heap) - 1, 0, item)


def _sift_up(heap, hole, top, item):
  parent = (hole - 1) // 2
  while hole > top and heap[parent][0] > item[0]:
    heap[hole] = heap[parent]
    hole, parent = parent, (parent - 1) // 2
  heap[hole] = item


def _heap_pop(heap):
  last = heap.pop()
  if not heap:
    return last
  first, heap[0] = heap[0], last
  size, hole, child = len(heap), 0, 0
  # Down to a leaf along the smaller children, then the moved item back up.
  while child < (size - 1) // 2:
    child = 2 * (child + 1)
    if heap[child][0] > heap[child - 1][0]:
      child -= 1
    heap[hole] = heap[child]
    hole = child
  if size % 2 == 0 and child == (size - 2) // 2:
    child = 2 * (child + 1)
    heap[hole] = heap[child - 1]
    hole = child - 1
  _sift_up(heap, hole, 0, last)
  return first
