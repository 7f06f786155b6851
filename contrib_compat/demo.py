"""`python -m contrib_compat.demo`: a slim-style model, saved and restored.

Builds a small MobileNet-like stack the way TF1 code did (graph mode,
`arg_scope` over `conv2d` / `separable_conv2d`, `batch_norm` as normalizer),
trains two steps and saves a checkpoint. Then it restores that checkpoint
twice and checks the outputs against the trained graph's own inference
outputs:

  * into a fresh copy of the same graph: bit-identical (same graph, same
    kernels);
  * into an inference-only graph (`is_training=False` as a Python bool, so
    batch_norm has no `cond`): a different graph, which TensorFlow may fuse
    differently (oneDNN does), so equal within float32 rounding; the demo
    prints the difference it measured (see `contrib_compat.numerics`).

Then it prints the variables. The checkpoint lives in a temporary directory,
removed at the end.

tf_slim's `conv2d` goes through a legacy Keras layer that warns "`layer.apply`
is deprecated" on every call; that is tf_slim's business, not the user's, so
the demo silences that one warning.
"""
import os
import sys
import tempfile
import warnings

import numpy as np

from contrib_compat import cli

try:
  import tensorflow.compat.v1 as tf
except ModuleNotFoundError as _error:
  # `python -m contrib_compat.demo` without TensorFlow: one line, not a
  # traceback.
  if __name__ != '__main__':
    raise
  sys.exit(cli.report_missing_tensorflow('contrib_compat.demo', _error))

import contrib_compat as cc
from contrib_compat import numerics
from contrib_compat import slim


def build(images, is_training):
  with slim.arg_scope([slim.conv2d, cc.separable_conv2d],
                      normalizer_fn=cc.batch_norm,
                      normalizer_params={'is_training': is_training},
                      activation_fn=tf.nn.relu6):
    net = slim.conv2d(images, 8, [3, 3], stride=2, scope='Conv2d_0')
    for i, depth in enumerate([16, 32], start=1):
      net = cc.separable_conv2d(net, None, [3, 3], stride=2,
                                scope='Conv2d_%d_depthwise' % i)
      net = slim.conv2d(net, depth, [1, 1], scope='Conv2d_%d_pointwise' % i)
    net = cc.separable_conv2d(net, 10, [3, 3], activation_fn=None,
                              normalizer_fn=None, scope='Logits')
  return tf.reduce_mean(net, axis=[1, 2])


def main(out=sys.stdout):
  with warnings.catch_warnings():
    warnings.filterwarnings('ignore', '`layer.apply` is deprecated')
    _demo(out)


def _demo(out):
  rng = np.random.RandomState(0)
  images = rng.rand(4, 32, 32, 3).astype(np.float32)
  labels = rng.randint(0, 10, size=4)
  with tempfile.TemporaryDirectory(prefix='contrib_compat_demo_') as workdir:
    ckpt = os.path.join(workdir, 'model.ckpt')
    trained, variables = _train(images, labels, ckpt)
    same = _restore(images, ckpt, training_graph=True)
    inference = _restore(images, ckpt, training_graph=False)
  try:
    numerics.same_graph(same, trained, 'restored outputs')
    difference = numerics.different_graphs(
        inference, trained, 'inference-graph outputs')
  except AssertionError as e:
    raise SystemExit('contrib_compat.demo: %s' % e) from None

  model = [v for v in variables if 'Momentum' not in v[0]]
  out.write('%-45s %-16s %s\n' % ('variable', 'shape', 'dtype'))
  for name, shape, dtype in model:
    out.write('%-45s %-16s %s\n' % (name, shape, dtype))
  out.write('%d model variables (%d with optimizer slots); checkpoint '
            'restored into a fresh copy of the graph: outputs identical to '
            'the trained graph\'s; into an inference-only graph: max |diff| '
            '%.2g (float32 rounding allows %.2g).\n'
            % (len(model), len(variables), difference,
               numerics.float32_tolerance(trained)))


def _inputs(shape):
  """The images placeholder and the is_training the training graph uses."""
  x = tf.placeholder(tf.float32, shape)
  return x, tf.placeholder_with_default(True, [])


def _restore(images, ckpt, training_graph):
  """Inference outputs of a fresh graph restored from `ckpt`.

  With `training_graph`, the graph is built exactly as `_train` built it
  (is_training fed False); otherwise with `is_training=False`.
  """
  with tf.Graph().as_default():
    x, is_training = _inputs(images.shape)
    logits = build(x, is_training=is_training if training_graph else False)
    with tf.Session() as sess:
      tf.train.Saver().restore(sess, ckpt)
      return sess.run(logits, {x: images, is_training: False})


def _train(images, labels, ckpt):
  """Trains two steps and saves; the trained graph's inference outputs."""
  with tf.Graph().as_default():
    x, is_training = _inputs(images.shape)
    logits = build(x, is_training=is_training)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
      train = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      for _ in range(2):
        sess.run(train, {x: images})
      tf.train.Saver().save(sess, ckpt)
      trained = sess.run(logits, {x: images, is_training: False})
      variables = [(v.op.name, v.shape.as_list(), v.dtype.base_dtype.name)
                   for v in tf.global_variables()]
  return trained, variables


if __name__ == '__main__':
  main()
