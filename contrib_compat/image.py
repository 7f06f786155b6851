"""tf.contrib.image rebuilt on TensorFlow 2's public ops, with TF1's graphs.

The projective transforms (`transform`, `rotate`, `translate` and the
helpers that build and compose transform vectors) run TensorFlow's own
`ImageProjectiveTransformV2` kernel, which TF 2 still ships (as
`tf.raw_ops`), under TF 1.15's name scopes, so graphs and outputs are TF1's.
`bipartite_match` was a contrib-only kernel; it is rebuilt here with the
same greedy algorithm and results (the Object Detection API's bipartite
matcher calls it). `dense_image_warp` samples bilinearly from public ops,
with TF1's clamping at the borders; `interpolate_spline` and
`sparse_image_warp` solve the polyharmonic spline with `tf.linalg.solve`;
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


def dense_image_warp(image, flow, name='dense_image_warp'):
  """Warps images by a dense flow field, as tf.contrib.image.dense_image_warp.

  Output pixel (b, y, x) is the input bilinearly sampled at
  (y - flow[b, y, x, 0], x - flow[b, y, x, 1]); points outside the image
  take the nearest border pixels, as in TF1.

  Args:
    image: float [batch, height, width, channels], height and width >= 2.
    flow: float [batch, height, width, 2] (row, column) offsets.
    name: the name scope.

  Returns:
    The warped images, shaped and typed as `image`.

  Raises:
    ValueError: `image` is not 4-D.
  """
  with tf.name_scope(name):
    image = tf.convert_to_tensor(image, name='image')
    flow = tf.convert_to_tensor(flow, name='flow')
    if image.shape.rank not in (None, 4):
      raise ValueError('dense_image_warp: `image` must be 4-D [batch, height, '
                       'width, channels], got shape %s' % image.shape)
    batch, height, width, channels = tf.unstack(tf.shape(image))
    grid_x, grid_y = tf.meshgrid(tf.range(width), tf.range(height))
    grid = tf.cast(tf.stack([grid_y, grid_x], axis=2), flow.dtype)[None]
    queries = tf.reshape(grid - flow, [batch, height * width, 2])
    values = _interpolate_bilinear(image, queries)
    return tf.reshape(values, [batch, height, width, channels])


def _interpolate_bilinear(grid, queries):
  """`grid` [B, H, W, C] sampled at `queries` [B, N, 2] (row, column), the
  four neighbours clamped to the grid as TF1's contrib did."""
  with tf.control_dependencies([
      tf.assert_greater_equal(tf.shape(grid)[1], 2,
                              message='Grid height must be at least 2.'),
      tf.assert_greater_equal(tf.shape(grid)[2], 2,
                              message='Grid width must be at least 2.')]):
    shape = tf.shape(grid)
  batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
  count = tf.shape(queries)[1]
  lower, weights = [], []
  for axis, size in ((0, height), (1, width)):
    points = queries[:, :, axis]
    floor = tf.minimum(tf.maximum(tf.zeros([], points.dtype),
                                  tf.floor(points)),
                       tf.cast(size - 2, points.dtype))
    lower.append(tf.cast(floor, tf.int32))
    weight = tf.clip_by_value(tf.cast(points - floor, grid.dtype), 0., 1.)
    weights.append(weight[:, :, None])
  flat = tf.reshape(grid, [batch * height * width, channels])
  offsets = (tf.range(batch) * height * width)[:, None]

  def pick(rows, columns):
    return tf.reshape(tf.gather(flat, offsets + rows * width + columns),
                      [batch, count, channels])

  (top, left), (bottom, right) = lower, (lower[0] + 1, lower[1] + 1)
  top_left, top_right = pick(top, left), pick(top, right)
  bottom_left, bottom_right = pick(bottom, left), pick(bottom, right)
  upper = weights[1] * (top_right - top_left) + top_left
  under = weights[1] * (bottom_right - bottom_left) + bottom_left
  return weights[0] * (under - upper) + upper


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


# Squared distances below this are treated as this in the spline's kernel
# (TF1's value), so log(0) never happens.
_SPLINE_EPSILON = 1e-10


def interpolate_spline(train_points, train_values, query_points, order,
                       regularization_weight=0.0, name='interpolate_spline'):
  """Polyharmonic spline interpolation, as tf.contrib.image.interpolate_spline.

  Fits f(x) = sum_i w_i phi(|x - c_i|) + v . [x, 1] through the training
  points (exactly, or smoothed by `regularization_weight`) and evaluates it
  at the query points. phi(r) is r^order for odd order, r^order log(r) for
  even order (order 2: the thin-plate spline).

  Args:
    train_points: float [batch, n, d] centres (d static).
    train_values: float [batch, n, k] values there (k static).
    query_points: float [batch, m, d] where to evaluate.
    order: the polyharmonic order (1, 2, 3, ...).
    regularization_weight: weight of the smoothness term; 0 interpolates.
    name: the name scope.

  Returns:
    float [batch, m, k] values at `query_points`.

  Raises:
    ValueError: d or k is not known statically.
  """
  with tf.name_scope(name):
    centers = tf.convert_to_tensor(train_points, name='train_points')
    values = tf.convert_to_tensor(train_values, name='train_values')
    queries = tf.convert_to_tensor(query_points, name='query_points')
    if centers.shape[-1] is None or values.shape[-1] is None:
      raise ValueError('interpolate_spline: the last dimensions of '
                       '`train_points` (d) and `train_values` (k) must be '
                       'known statically')
    dims, outputs = int(centers.shape[-1]), int(values.shape[-1])
    batch, count = tf.shape(centers)[0], tf.shape(centers)[1]
    kernel = _spline_kernel(_self_squared_distances(centers), order)
    if regularization_weight > 0:
      kernel += regularization_weight * tf.eye(count, dtype=centers.dtype)[None]
    affine = tf.concat([centers, tf.ones_like(centers[..., :1])], 2)
    # [[K, P], [P^T, 0]] [w; v] = [f; 0]
    system = tf.concat([
        tf.concat([kernel, tf.transpose(affine, [0, 2, 1])], 1),
        tf.concat([affine, tf.zeros([batch, dims + 1, dims + 1],
                                    centers.dtype)], 1)], 2)
    targets = tf.concat([values, tf.zeros([batch, dims + 1, outputs],
                                          centers.dtype)], 1)
    solution = tf.linalg.solve(system, targets)
    weights, linear = solution[:, :count], solution[:, count:]
    radial = tf.matmul(_spline_kernel(_squared_distances(queries, centers),
                                      order), weights)
    padded = tf.concat([queries, tf.ones_like(queries[..., :1])], 2)
    return radial + tf.matmul(padded, linear)


def _squared_distances(x, y):
  """[b, n, m] squared distances between the rows of x [b, n, d] and y."""
  x_norms = tf.reduce_sum(tf.square(x), 2)[:, :, None]
  y_norms = tf.reduce_sum(tf.square(y), 2)[:, None, :]
  return x_norms - 2 * tf.matmul(x, y, adjoint_b=True) + y_norms


def _self_squared_distances(x):
  """[b, n, n] squared distances among the rows of x, the diagonal exactly 0
  (norms taken from x x^T itself, as TF1 did: phi(0) is then phi(epsilon))."""
  gram = tf.matmul(x, x, adjoint_b=True)
  norms = tf.linalg.diag_part(gram)[:, :, None]
  return norms - 2 * gram + tf.transpose(norms, [0, 2, 1])


def _spline_kernel(squared, order):
  """phi of the distance, from squared distances."""
  squared = tf.maximum(squared, _SPLINE_EPSILON)
  if order % 2:
    return tf.pow(squared, 0.5 * order)
  return 0.5 * tf.pow(squared, 0.5 * order) * tf.math.log(squared)


def sparse_image_warp(image, source_control_point_locations,
                      dest_control_point_locations, interpolation_order=2,
                      regularization_weight=0.0, num_boundary_points=0,
                      name='sparse_image_warp'):
  """Warps images so control points move from source to destination.

  As tf.contrib.image.sparse_image_warp: the displacements of the control
  points are spread to every pixel by `interpolate_spline`, and the image
  is warped by that flow with `dense_image_warp`.

  Args:
    image: float [batch, height, width, channels], static shape.
    source_control_point_locations: float [batch, n, 2] (row, column).
    dest_control_point_locations: float [batch, n, 2].
    interpolation_order: the spline's order.
    regularization_weight: the spline's smoothness weight.
    num_boundary_points: 0, or pin the borders with zero flow: the 4 corners
      and num_boundary_points - 1 more points along each edge.
    name: the name scope.

  Returns:
    (warped image, the dense [batch, height, width, 2] flow).
  """
  image = tf.convert_to_tensor(image)
  sources = tf.convert_to_tensor(source_control_point_locations)
  destinations = tf.convert_to_tensor(dest_control_point_locations)
  flows = destinations - sources
  with tf.name_scope(name):
    batch, height, width, _ = image.shape.as_list()
    rows, columns = np.meshgrid(np.arange(height, dtype=np.float64),
                                np.arange(width, dtype=np.float64),
                                indexing='ij')
    grid = np.stack([rows, columns], -1).reshape([height * width, 2])
    grid = tf.constant(np.tile(grid[None], [batch, 1, 1]), image.dtype)
    if num_boundary_points > 0:
      pinned = _border_points(height, width, num_boundary_points - 1)
      pinned = np.tile(pinned[None], [batch, 1, 1])
      destinations = tf.concat(
          [destinations, tf.constant(pinned, destinations.dtype)], 1)
      flows = tf.concat(
          [flows, tf.zeros(pinned.shape, flows.dtype)], 1)
    dense = tf.reshape(
        interpolate_spline(destinations, flows, grid, interpolation_order,
                           regularization_weight),
        [batch, height, width, 2])
    return dense_image_warp(image, dense), dense


def _border_points(height, width, inner_per_edge):
  """Evenly spaced points on the image border, corners included."""
  ys = np.linspace(0, height - 1, inner_per_edge + 2)
  xs = np.linspace(0, width - 1, inner_per_edge + 2)
  ys, xs = np.meshgrid(ys, xs, indexing='ij')
  border = ((xs == 0) | (xs == width - 1) | (ys == 0) | (ys == height - 1))
  return np.stack([ys[border], xs[border]], axis=-1)


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
