"""tf.contrib.image against real TF 1.15: cases, one runner, the golden.

Python 3.7 code that runs under either interpreter: with TF 1.15 it writes
`golden/tf1_image.json`, through the one generator:

    python tests/conformance/generate.py tf1_image [--check]

and test_tf1_image.py runs the same cases with contrib_compat.image and
compares. The cases (seeded, plain JSON): bipartite_match on random and on
integer distance matrices (many ties: TF1's priority queue decides them),
every num_valid_rows from -1 to one past the rows (TF1 refused that one) and
several top_k; transform / rotate / translate / compose_transforms on random
images with NEAREST and BILINEAR interpolation; dense_image_warp with flows
reaching past the borders; interpolate_spline of orders 1-4 with and
without regularization; sparse_image_warp with and without border points;
connected_components on int, float and bool images, single and batched,
and a long snake.
"""
import json
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
GOLDEN = os.path.join(REPO, 'tests', 'conformance', 'golden', 'tf1_image.json')


def cases(seed=0):
  rng = np.random.RandomState(seed)
  out = []
  for i in range(60):
    rows, columns = rng.randint(1, 7), rng.randint(1, 7)
    distances = (rng.randint(0, 4, size=(rows, columns)) if i % 2 else
                 rng.rand(rows, columns).round(6))
    out.append({'kind': 'bipartite_match',
                'distances': distances.astype(float).tolist(),
                'num_valid_rows': int(rng.randint(-1, rows + 2)),
                'top_k': int(rng.choice([-1, 0, 1, 2, 10]))})
  for i in range(16):
    transform = (np.eye(3).ravel()[:8] + rng.randn(8) *
                 np.array([.1, .1, .3, .1, .1, .3, .001, .001]))
    out.append({'kind': 'transform',
                'images': rng.rand(2, 7, 9, 3).round(6).tolist(),
                'transform': transform.round(6).tolist(),
                'interpolation': ['NEAREST', 'bilinear'][i % 2],
                'angle': round(float(rng.rand() * 6), 6),
                'translation': rng.randn(2).round(6).tolist()})
  for _ in range(8):
    height, width = rng.randint(2, 7), rng.randint(2, 7)
    out.append({'kind': 'dense_image_warp',
                'image': rng.rand(2, height, width, 3).round(6).tolist(),
                # Offsets past the border too: clamped to its pixels.
                'flow': (rng.randn(2, height, width, 2) * 2).round(6).tolist()})
  for i in range(12):
    shape = [rng.randint(1, 4), rng.randint(1, 9), rng.randint(1, 9)]
    labels = rng.randint(0, 3, size=shape)
    out.append({'kind': 'connected_components',
                'images': (labels[0] if i % 4 == 0 else labels).tolist(),
                'dtype': ['float32', 'bool', 'int32'][i % 3]})
  for i in range(8):
    out.append({'kind': 'interpolate_spline', 'order': [1, 2, 3, 4][i % 4],
                'regularization_weight': [0.0, 0.01][i % 2],
                'train_points': (rng.rand(2, 6, 2) * 5).round(6).tolist(),
                'train_values': rng.randn(2, 6, 3).round(6).tolist(),
                'query_points': (rng.rand(2, 9, 2) * 5).round(6).tolist()})
  for i in range(6):
    sources = rng.rand(2, 4, 2) * [7, 9]
    out.append({'kind': 'sparse_image_warp',
                'image': rng.rand(2, 8, 10, 3).round(6).tolist(),
                'sources': sources.round(6).tolist(),
                'destinations': (sources + rng.randn(2, 4, 2)).round(6).tolist(),
                'order': [1, 2, 3][i % 3],
                'regularization_weight': [0.0, 0.01][i % 2],
                'num_boundary_points': [0, 1, 3][i % 3]})
  # A snake: one component whose labels travel a long way.
  snake = np.zeros([1, 17, 17], np.int64)
  snake[0, ::2, :] = 1
  for row in range(1, 17, 2):
    snake[0, row, 16 if (row // 2) % 2 == 0 else 0] = 1
  out.append({'kind': 'connected_components', 'images': snake.tolist(),
              'dtype': 'int32'})
  return out


def run(case, image):
  """The case's outputs with `image` (tf.contrib.image or ours), as JSON."""
  graph = tf.Graph()
  with graph.as_default(), tf.Session(graph=graph) as sess:
    if case['kind'] == 'bipartite_match':
      try:
        matches = sess.run(image.bipartite_match(
            tf.constant(case['distances'], tf.float32),
            case['num_valid_rows'], top_k=case['top_k']))
      except tf.errors.InvalidArgumentError:
        return 'InvalidArgumentError'
      return [m.tolist() for m in matches]
    if case['kind'] == 'connected_components':
      images = np.array(case['images']).astype(case['dtype'])
      return sess.run(image.connected_components(tf.constant(images))).tolist()
    if case['kind'] == 'interpolate_spline':
      values = sess.run(image.interpolate_spline(
          tf.constant(case['train_points'], tf.float32),
          tf.constant(case['train_values'], tf.float32),
          tf.constant(case['query_points'], tf.float32), case['order'],
          case['regularization_weight']))
      return [np.asarray(values, np.float64).round(5).tolist()]
    if case['kind'] == 'sparse_image_warp':
      warped, flow = sess.run(image.sparse_image_warp(
          tf.constant(case['image'], tf.float32),
          tf.constant(case['sources'], tf.float32),
          tf.constant(case['destinations'], tf.float32),
          interpolation_order=case['order'],
          regularization_weight=case['regularization_weight'],
          num_boundary_points=case['num_boundary_points']))
      return [np.asarray(v, np.float64).round(5).tolist()
              for v in (warped, flow)]
    if case['kind'] == 'dense_image_warp':
      warped = sess.run(image.dense_image_warp(
          tf.constant(case['image'], tf.float32),
          tf.constant(case['flow'], tf.float32)))
      return [np.asarray(warped, np.float64).round(5).tolist()]
    images = tf.constant(case['images'], tf.float32)
    interpolation = case['interpolation']
    outputs = [
        image.transform(images, case['transform'],
                        interpolation=interpolation),
        image.rotate(images, case['angle'], interpolation=interpolation),
        image.rotate(images[0, :, :, 0], case['angle']),
        image.translate(images[0], case['translation'],
                        interpolation=interpolation),
        image.compose_transforms(
            tf.constant(case['transform'], tf.float32),
            image.angles_to_projective_transforms(case['angle'], 7., 9.)),
        image.matrices_to_flat_transforms(image.flat_transforms_to_matrices(
            case['transform'])),
    ]
    return [np.asarray(o, np.float64).round(5).tolist()
            for o in sess.run(outputs)]


def _main(argv=None):
  sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
  import golden_io
  out = golden_io.arguments(__doc__).parse_args(argv).out
  from tensorflow.contrib import image
  golden_io.write_text(out, os.path.relpath(GOLDEN, REPO), json.dumps(
      {'tensorflow': tf.__version__,
       'results': [run(c, image) for c in cases()]}) + '\n')
  return 0


if __name__ == '__main__':
  sys.exit(_main())
