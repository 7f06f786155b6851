"""`python -m benchmarks batch_norm`: batch_norm's build and step cost.

Three normalizers behind one signature, `norm(inputs, is_training, scope,
data_format)`, each with slim's defaults (decay 0.999, epsilon 0.001, center,
no scale, updates in UPDATE_OPS):

- `contrib_compat`: `contrib_compat.batch_norm`;
- `tf_slim`: tf-slim 1.1.0's `batch_norm`, which needs Keras 2: it runs in
  the oracle venv (TF 2.12.1), in a second process (see oracle.py);
- `raw`: the floor, written inline: `get_variable` for beta and the moving
  statistics, `tf.nn.fused_batch_norm`, and the moving-average updates as
  `assign_sub` ops, the same nodes contrib_compat builds. It runs in both
  processes, so that each cross-process figure has a same-process floor.

Build: ms of CPU per batch_norm layer, a chain of layers in a fresh graph.
Step: a MobileNet-style model (a stem conv, then depthwise and 1x1 convs,
each followed by the normalizer and ReLU); the convolutions are raw ops in
every variant, so only the normalizer differs. Training step (SGD plus the
update ops) and inference step (moving statistics), wall time.

The GPU check (tools/gpu_check) runs the same step with `--device`,
`--formats NHWC,NCHW` and `--dtypes float32,float16` (float16 compute with
float32 master variables through `contrib_compat.mixed_precision`).
"""
import argparse
import functools
import sys

import numpy as np

from benchmarks import oracle as cross

BLOCKS = ((1, 32), (2, 64), (1, 64), (2, 128), (1, 128))
TINY_BLOCKS = ((2, 8),)
CLASSES = 10
DECAY = 0.999
EPSILON = 0.001


def _tf():
  import tensorflow.compat.v1 as tf
  return tf


def _contrib_compat(inputs, is_training, scope, data_format):
  import contrib_compat
  return contrib_compat.batch_norm(inputs, is_training=is_training,
                                   scope=scope, data_format=data_format)


def _tf_slim(inputs, is_training, scope, data_format):
  import tf_slim
  return tf_slim.batch_norm(inputs, is_training=is_training, scope=scope,
                            data_format=data_format)


def _raw(inputs, is_training, scope, data_format):
  tf = _tf()
  channels = int(inputs.shape[1 if data_format == 'NCHW' else -1])
  collections = [tf.GraphKeys.GLOBAL_VARIABLES, tf.GraphKeys.MODEL_VARIABLES]
  with tf.variable_scope(scope):
    beta = tf.get_variable('beta', [channels], tf.float32,
                           tf.zeros_initializer(), collections=collections)
    mean = tf.get_variable('moving_mean', [channels], tf.float32,
                           tf.zeros_initializer(), trainable=False,
                           collections=collections)
    variance = tf.get_variable('moving_variance', [channels], tf.float32,
                               tf.ones_initializer(), trainable=False,
                               collections=collections)
    gamma = tf.constant(1.0, tf.float32, [channels])
    if not is_training:
      tf.constant(DECAY)  # TF1's inference layer left it too, unused
      outputs, _, _ = tf.nn.fused_batch_norm(
          inputs, gamma, beta, mean=mean, variance=variance, epsilon=EPSILON,
          is_training=False, data_format=data_format)
      return outputs
    outputs, batch_mean, batch_variance = tf.nn.fused_batch_norm(
        inputs, gamma, beta, epsilon=EPSILON, data_format=data_format)
    momentum = tf.constant(DECAY)
    graph = tf.get_default_graph()
    for variable, value in ((mean, batch_mean), (variance, batch_variance)):
      with tf.name_scope('AssignMovingAvg'), graph.colocate_with(variable):
        rate = 1.0 - momentum
        tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, tf.assign_sub(
            variable, (variable - value) * rate))
    return outputs


NORMS = {'contrib_compat': _contrib_compat, 'tf_slim': _tf_slim, 'raw': _raw}


def build_fn(norm, layers=50, size=8, channels=16):
  """A callable building `layers` chained batch_norm layers in a new graph."""
  tf = _tf()
  make = NORMS[norm]

  def build():
    with tf.Graph().as_default():
      net = tf.placeholder(tf.float32, [8, size, size, channels])
      for i in range(layers):
        net = make(net, True, 'BatchNorm_%d' % i, 'NHWC')
  return build


def _conv(net, shape, stride, data_format, depthwise=False):
  tf = _tf()
  init = tf.variance_scaling_initializer()
  dtype = net.dtype
  strides = ([1, 1, stride, stride] if data_format == 'NCHW'
             else [1, stride, stride, 1])
  weights = tf.get_variable('depthwise_weights' if depthwise else 'weights',
                            shape, dtype, init)
  if depthwise:
    return tf.nn.depthwise_conv2d(net, weights, strides, 'SAME',
                                  data_format=data_format)
  return tf.nn.conv2d(net, weights, strides, 'SAME', data_format=data_format)


def _model(make, images, is_training, data_format, blocks):
  tf = _tf()
  channels_axis = 1 if data_format == 'NCHW' else 3

  def normalized(net, scope):
    return tf.nn.relu(make(net, is_training, scope + '/BatchNorm',
                           data_format))

  with tf.variable_scope('stem'):
    net = normalized(_conv(images, [3, 3, 3, blocks[0][1]], 2, data_format),
                     'stem')
  for i, (stride, width) in enumerate(blocks):
    depth = int(net.shape[channels_axis])
    with tf.variable_scope('block_%d_depthwise' % i):
      net = normalized(_conv(net, [3, 3, depth, 1], stride, data_format,
                             depthwise=True), 'block_%d_depthwise' % i)
    with tf.variable_scope('block_%d_pointwise' % i):
      net = normalized(_conv(net, [1, 1, depth, width], 1, data_format),
                       'block_%d_pointwise' % i)
  net = tf.reduce_mean(net, [2, 3] if data_format == 'NCHW' else [1, 2])
  weights = tf.get_variable('logits/weights', [blocks[-1][1], CLASSES],
                            net.dtype)
  return tf.cast(tf.matmul(net, weights), tf.float32)


def step_fn(norm, training=True, batch=8, size=64, data_format='NHWC',
            dtype='float32', blocks=BLOCKS, device=None):
  """A callable running one training (or inference) step in a tf.Session."""
  tf = _tf()
  make = NORMS[norm]
  rng = np.random.RandomState(0)
  shape = ([batch, 3, size, size] if data_format == 'NCHW'
           else [batch, size, size, 3])
  images = rng.rand(*shape).astype(np.float32)
  labels = rng.randint(0, CLASSES, size=batch).astype(np.int32)
  graph = tf.Graph()
  with graph.as_default(), tf.device(device):
    getter = None
    if dtype != 'float32':
      from contrib_compat import mixed_precision
      getter = mixed_precision.float32_storage_getter
    with tf.variable_scope('model', custom_getter=getter):
      inputs = tf.cast(tf.constant(images), dtype)
      logits = _model(make, inputs, training, data_format,
                      [tuple(b) for b in blocks])
    if training:
      loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=tf.constant(labels), logits=logits))
      with tf.control_dependencies(tf.get_collection(
          tf.GraphKeys.UPDATE_OPS)):
        fetch = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
    else:
      fetch = logits
    session = tf.Session(graph=graph, config=tf.ConfigProto(
        allow_soft_placement=True))
    session.run(tf.global_variables_initializer())
  return lambda: session.run(fetch)


def run(quick=False, device=None, formats=('NHWC',), dtypes=('float32',),
        oracle=True, log=print):
  """Build and step figures; returns a dict of result rows."""
  local = cross.Local()
  remote = None
  python = cross.oracle_python() if oracle else None
  if python:
    remote = cross.Oracle(python)
  spec = 'benchmarks.batch_norm:'
  rounds, calls = (3, 2) if quick else (30, 10)
  layers = 10 if quick else 50
  shape = dict(batch=2, size=16, blocks=TINY_BLOCKS) if quick else {}
  try:
    versions = {'ours': local.versions(),
                'oracle': remote.versions() if remote else None}

    def entries(maker, **kwargs):
      out = {'contrib_compat': (local, spec + maker,
                                dict(norm='contrib_compat', **kwargs)),
             'raw': (local, spec + maker, dict(norm='raw', **kwargs))}
      if remote and device is None:
        out['tf_slim (oracle)'] = (remote, spec + maker,
                                   dict(norm='tf_slim', **kwargs))
        out['raw (oracle)'] = (remote, spec + maker,
                               dict(norm='raw', **kwargs))
      return out

    build = {}
    if device is None:
      build = cross.interleave(entries('build_fn', layers=layers), rounds,
                               1, clock='cpu', warmup=1)
      for row in build.values():
        if 'ms' in row:
          row['ms'] /= layers
          row['runs'] = [r / layers for r in row['runs']]
      log('build ms/layer: %s' % cross.brief(build, 3))
    steps = []
    for data_format in formats:
      for dtype in dtypes:
        for training in (True, False):
          result = cross.interleave(
              entries('step_fn', training=training, data_format=data_format,
                      dtype=dtype, device=device, **shape),
              rounds, calls)
          steps.append(dict(data_format=data_format, dtype=dtype,
                            training=training, results=result))
          log('step %s %s %s: %s' % (data_format, dtype,
                                     'train' if training else 'inference',
                                     cross.brief(result, 3)))
  finally:
    local.close()
    if remote:
      remote.close()
  return dict(versions=versions, build=build, steps=steps, quick=quick,
              device=device)


_ms = functools.partial(cross.ms_cell, digits=3)
_ratio = functools.partial(cross.ratio_cell, digits=3)


def markdown(report):
  """The README tables of a run() result."""
  v = report['versions']
  lines = ['Measured by `python -m benchmarks batch_norm%s`: ours on '
           'TensorFlow %s; tf-slim %s on TensorFlow %s in the oracle venv, a '
           'second process, rounds interleaved with ours on the same '
           'machine (cross-process ratios include the TensorFlow release; '
           'each process has its own raw floor).' % (
               ' --quick' if report['quick'] else '',
               v['ours']['tensorflow'],
               (v['oracle'] or {}).get('tf_slim', 'n/a'),
               (v['oracle'] or {}).get('tensorflow', 'n/a')), '']
  build = report['build']
  if build:
    lines += ['| build, ms CPU per layer | contrib_compat | raw floor | '
              'tf-slim (oracle) | raw floor (oracle) | ours / floor | '
              'tf-slim / its floor | ours / tf-slim |',
              '|---|---:|---:|---:|---:|---:|---:|---:|',
              '| batch_norm, training | %s | %s | %s | %s | %s | %s | %s |' % (
                  _ms(build, 'contrib_compat'), _ms(build, 'raw'),
                  _ms(build, 'tf_slim (oracle)'), _ms(build, 'raw (oracle)'),
                  _ratio(build, 'contrib_compat', 'raw'),
                  _ratio(build, 'tf_slim (oracle)', 'raw (oracle)'),
                  _ratio(build, 'contrib_compat', 'tf_slim (oracle)')), '']
  lines += ['| step (%s) | contrib_compat ms | raw floor ms | tf-slim '
            '(oracle) ms | raw floor (oracle) ms | ours / floor | tf-slim / '
            'its floor | ours / tf-slim |' % (report['device'] or 'CPU'),
            '|---|---:|---:|---:|---:|---:|---:|---:|']
  for step in report['steps']:
    r = step['results']
    lines.append('| %s %s %s | %s | %s | %s | %s | %s | %s | %s |' % (
        'training' if step['training'] else 'inference',
        step['data_format'], step['dtype'], _ms(r, 'contrib_compat'),
        _ms(r, 'raw'), _ms(r, 'tf_slim (oracle)'), _ms(r, 'raw (oracle)'),
        _ratio(r, 'contrib_compat', 'raw'),
        _ratio(r, 'tf_slim (oracle)', 'raw (oracle)'),
        _ratio(r, 'contrib_compat', 'tf_slim (oracle)')))
  return '\n'.join(lines)


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--quick', action='store_true',
                      help='tiny sizes and few rounds: checks the plumbing')
  parser.add_argument('--device', default=None,
                      help="e.g. '/gpu:0' (skips the build and the oracle)")
  parser.add_argument('--formats', default='NHWC')
  parser.add_argument('--dtypes', default='float32')
  parser.add_argument('--no-oracle', action='store_true')
  parser.add_argument('--readme', action='store_true',
                      help='write the tables into README.md')
  args = parser.parse_args(argv)
  report = run(args.quick, args.device, args.formats.split(','),
               args.dtypes.split(','), oracle=not args.no_oracle,
               log=lambda s: print(s, file=sys.stderr, flush=True))
  from benchmarks import readme
  readme.publish('batch-norm', markdown(report), args.readme)
  return 0


if __name__ == '__main__':
  sys.exit(main())
