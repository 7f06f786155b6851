"""tf.contrib.image's warps: dense flow fields and polyharmonic splines.

`dense_image_warp` samples bilinearly from public ops, with TF1's clamping
at the borders; `interpolate_spline` and `sparse_image_warp` solve the
polyharmonic spline with `tf.linalg.solve`. Served as
`contrib_compat.image.<name>` (and so as `tf.contrib.image.<name>`), with
the rest of tf.contrib.image.
"""
import numpy as np
import tensorflow.compat.v1 as tf


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
