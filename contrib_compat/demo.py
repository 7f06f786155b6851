"""`python -m contrib_compat.demo`: a slim-style model, saved and restored.

Builds a small MobileNet-like stack the way TF1 code did (graph mode,
`arg_scope` over `conv2d` / `separable_conv2d`, `batch_norm` as normalizer),
trains two steps, saves a checkpoint, restores it into a fresh inference
graph and checks that its outputs are the trained graph's own inference
outputs, then prints the variables. The checkpoint lives in a temporary
directory, removed at the end.

tf_slim's `conv2d` goes through a legacy Keras layer that warns "`layer.apply`
is deprecated" on every call; that is tf_slim's business, not the user's, so
the demo silences that one warning.
"""
import os
import sys
import tempfile
import warnings

import numpy as np
import tensorflow.compat.v1 as tf

import contrib_compat as cc
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
    with tf.Graph().as_default():
      x = tf.placeholder(tf.float32, images.shape)
      logits = build(x, is_training=False)
      with tf.Session() as sess:
        tf.train.Saver().restore(sess, ckpt)
        restored = sess.run(logits, {x: images})
  if not np.array_equal(restored, trained):
    raise SystemExit('restored outputs differ from the trained graph\'s')

  model = [v for v in variables if 'Momentum' not in v[0]]
  out.write('%-45s %-16s %s\n' % ('variable', 'shape', 'dtype'))
  for name, shape, dtype in model:
    out.write('%-45s %-16s %s\n' % (name, shape, dtype))
  out.write('%d model variables (%d with optimizer slots); checkpoint '
            'restored into a fresh graph, outputs identical to the trained '
            'graph\'s.\n' % (len(model), len(variables)))


def _train(images, labels, ckpt):
  """Trains two steps and saves; the trained graph's inference outputs."""
  with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, images.shape)
    is_training = tf.placeholder_with_default(True, [])
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
