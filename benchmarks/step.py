"""Forward+backward step time of a small MobileNet/Xception-style model.

The stem convolution, the logits and the loss are the same raw ops for every
implementation, so differences come from the separable layers only. No
normalizer: tf-slim's batch_norm does not run on TF 2.21.
"""
import statistics
import time

import numpy as np
import tensorflow as tf2
import tensorflow.compat.v1 as tf

from benchmarks import layers

# (stride, output channels) per block; each block is a depthwise-only
# separable layer followed by a pointwise-branch separable layer.
BLOCKS = ((1, 32), (2, 64), (1, 64), (2, 128), (1, 128), (2, 256))
TINY_BLOCKS = ((2, 8),)
CLASSES = 10
LEARNING_RATE = 0.01


def _loss(layer, images, labels, blocks):
  init = tf.variance_scaling_initializer()
  with tf.variable_scope('stem'):
    kernel = tf.get_variable('weights', [3, 3, 3, blocks[0][1]],
                             initializer=init)
    net = tf.nn.relu(tf.nn.conv2d(images, kernel, [1, 2, 2, 1], 'SAME'))
  for i, (stride, width) in enumerate(blocks):
    net = layer(net, None, stride, 'block_%d_depthwise' % i)
    net = layer(net, width, 1, 'block_%d_separable' % i)
  net = tf.reduce_mean(net, [1, 2])
  with tf.variable_scope('logits'):
    weights = tf.get_variable('weights', [blocks[-1][1], CLASSES],
                              initializer=init)
    logits = tf.matmul(net, weights)
  return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=labels, logits=logits))


def _data(batch, size):
  rng = np.random.RandomState(0)
  return (rng.rand(batch, size, size, 3).astype(np.float32),
          rng.randint(0, CLASSES, size=batch).astype(np.int32))


def session_step(impl, xla, batch, size, blocks):
  """A `step()` running one training step in a tf.Session (graph mode).

  With `xla`, the model and its gradients are built under
  `tf.xla.experimental.jit_scope()`, which compiles them on CPU too.
  """
  graph = tf.Graph()
  images, labels = _data(batch, size)
  with graph.as_default():
    scope = tf2.xla.experimental.jit_scope() if xla else _nothing()
    with scope:
      loss = _loss(layers.LAYERS[impl], tf.constant(images),
                   tf.constant(labels), blocks)
      train = tf.train.GradientDescentOptimizer(LEARNING_RATE).minimize(loss)
    sess = tf.Session(graph=graph)
    sess.run(tf.global_variables_initializer())
  return lambda: sess.run(train)


def function_step(impl, xla, batch, size, blocks):
  """A `step()` calling a `tf.function` (jit_compile=`xla`) training step.

  The TF1-style model goes through `tf.compat.v1.make_template`, which
  creates its variables on the first trace and reuses them after.
  """
  images, labels = (tf.constant(a) for a in _data(batch, size))
  template = tf.make_template(
      'model', lambda x, y: _loss(layers.LAYERS[impl], x, y, blocks))

  @tf2.function(jit_compile=xla)
  def train(x, y):
    with tf2.GradientTape() as tape:
      loss = template(x, y)
    variables = template.trainable_variables
    for var, grad in zip(variables, tape.gradient(loss, variables)):
      var.assign_sub(LEARNING_RATE * grad)
    return loss

  return lambda: train(images, labels).numpy()


class _nothing:

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    return False


MODES = {
    'tf.Session': (session_step, False),
    'tf.Session + XLA (jit_scope)': (session_step, True),
    'tf.function': (function_step, False),
    'tf.function(jit_compile=True)': (function_step, True),
}


def run(rounds, steps_per_round, batch=8, size=64, blocks=BLOCKS,
        modes=None, impls=None, log=print):
  """Median step time per (mode, impl), impls interleaved round by round.

  The rounds are split over one trial per implementation; each trial builds
  fresh steps, and both the build order and each round's order rotate.

  Returns:
    A list of dicts: mode, impl, ms_per_step (median over rounds of the mean
    step time in a round), runs, and error (a string) when the impl could not
    run in that mode.
  """
  impls = impls or layers.ORDER
  results = []
  for mode in modes or MODES:
    make, xla = MODES[mode]
    errors = {}
    times = {impl: [] for impl in impls}
    # Which implementation is built first, and which runs first in a round,
    # each moved a ratio by 2-3% between graphs with the same ops. So every
    # implementation takes every place in both, in turn: one trial per
    # place, fresh graphs each trial.
    trials = len(impls)
    for trial in range(trials):
      order = list(impls[trial:]) + list(impls[:trial])
      steps = {}
      for impl in (i for i in order if i not in errors):
        try:
          steps[impl] = make(impl, xla, batch, size, blocks)
          for _ in range(3):  # compile / warm up
            steps[impl]()
        except Exception as e:
          errors[impl] = '%s: %s' % (type(e).__name__, str(e).split('\n')[0])
          steps.pop(impl, None)
      order = [i for i in order if i in steps]
      for r in range(-(-rounds // trials) if order else 0):
        for impl in order[r % len(order):] + order[:r % len(order)]:
          start = time.perf_counter()
          for _ in range(steps_per_round):
            steps[impl]()
          times[impl].append(1000.0 * (time.perf_counter() - start) /
                             steps_per_round)
    times = {impl: t for impl, t in times.items() if impl not in errors}
    log('step %s: %s' % (mode, ', '.join(
        '%s %.2f' % (i, statistics.median(t)) for i, t in times.items())))
    for impl in impls:
      if impl in errors:
        results.append(dict(mode=mode, impl=impl, error=errors[impl]))
      else:
        results.append(dict(mode=mode, impl=impl,
                            ms_per_step=statistics.median(times[impl]),
                            runs=times[impl]))
  return results
