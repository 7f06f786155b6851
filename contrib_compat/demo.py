"""`python -m contrib_compat.demo`: a slim-style model, saved and restored.

Builds a small MobileNet-like stack the way TF1 code did (graph mode,
`arg_scope` over `conv2d` / `separable_conv2d`, `batch_norm` as normalizer),
trains two steps, saves a checkpoint, restores it into a fresh graph and
checks that the outputs agree, then prints the variables.
"""
import os
import sys
import tempfile

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
  rng = np.random.RandomState(0)
  images = rng.rand(4, 32, 32, 3).astype(np.float32)
  labels = rng.randint(0, 10, size=4)
  ckpt = os.path.join(tempfile.mkdtemp(prefix='contrib_compat_demo_'),
                      'model.ckpt')

  with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, images.shape)
    logits = build(x, is_training=True)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
      train = tf.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
    with tf.Session() as sess:
      sess.run(tf.global_variables_initializer())
      for _ in range(2):
        sess.run(train, {x: images})
      tf.train.Saver().save(sess, ckpt)
      variables = [(v.op.name, v.shape.as_list(), v.dtype.base_dtype.name)
                   for v in tf.global_variables()]

  outputs = []
  for _ in range(2):  # Two fresh graphs restored from the same checkpoint.
    with tf.Graph().as_default():
      x = tf.placeholder(tf.float32, images.shape)
      logits = build(x, is_training=False)
      with tf.Session() as sess:
        tf.train.Saver().restore(sess, ckpt)
        outputs.append(sess.run(logits, {x: images}))
  if not np.array_equal(outputs[0], outputs[1]):
    raise SystemExit('restored outputs differ')

  model = [v for v in variables if 'Momentum' not in v[0]]
  out.write('%-45s %-16s %s\n' % ('variable', 'shape', 'dtype'))
  for name, shape, dtype in model:
    out.write('%-45s %-16s %s\n' % (name, shape, dtype))
  out.write('%d model variables (%d with optimizer slots); checkpoint %s '
            'restored, outputs identical.\n'
            % (len(model), len(variables), ckpt))


if __name__ == '__main__':
  main()
