"""`python -m benchmarks models`: whole MobileNets against what users would pick.

MobileNet v1 and v2 (published widths, 10 classes, batch_norm after every
convolution) trained with SGD on CPU, three ways:

- `contrib_compat`: this package's slim-style definitions
  (`contrib_compat.models`) with its layers, in a tf.Session (TF 2.21);
- `tf_slim (oracle)`: the same definitions built with tf-slim 1.1.0's own
  layers on TF 2.12.1 in the oracle venv, a second process (see oracle.py);
- `keras`: Keras 3's `keras.applications.MobileNet` / `MobileNetV2`
  (`weights=None`), `train_on_batch`, compiled with and without XLA
  (`jit_compile`), on TF 2.21: what a TF 2 user would write instead.

Build: CPU ms to construct the model and its training op in a fresh graph
(slim), or the Keras model object (Keras traces its step on the first call,
which is not counted). Step: wall ms per training step, rounds interleaved.
"""
import argparse
import functools
import sys

import numpy as np

from benchmarks import oracle as cross

CLASSES = 10
NETS = ('mobilenet_v1', 'mobilenet_v2')


def _data(batch, size):
  rng = np.random.RandomState(0)
  return (rng.rand(batch, size, size, 3).astype(np.float32),
          rng.randint(0, CLASSES, size=batch).astype(np.int32))


def _layers(name):
  if name == 'tf_slim':
    import tf_slim
    return tf_slim
  from contrib_compat import slim
  return slim


def _slim_logits(net, layers, images):
  from contrib_compat.models import mobilenet_v1, mobilenet_v2
  slim = _layers(layers)
  if net == 'mobilenet_v1':
    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(
        is_training=True, layers=slim)):
      return mobilenet_v1.mobilenet_v1(images, num_classes=CLASSES,
                                       is_training=True, layers=slim)[0]
  with slim.arg_scope(mobilenet_v2.mobilenet_v2_arg_scope(layers=slim)):
    return mobilenet_v2.mobilenet_v2(
        images, num_classes=CLASSES, is_training=True,
        blocks=mobilenet_v2.MOBILENET_V2_BLOCKS, first_depth=32,
        last_depth=1280, layers=slim)[0]


def _slim_train_op(net, layers, images, labels):
  import tensorflow.compat.v1 as tf
  logits = _slim_logits(net, layers, images)
  loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
      labels=labels, logits=logits))
  with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    return tf.train.GradientDescentOptimizer(0.01).minimize(loss)


def slim_build_fn(net, layers='contrib_compat', size=128):
  import tensorflow.compat.v1 as tf

  def build():
    with tf.Graph().as_default():
      _slim_train_op(net, layers, tf.placeholder(tf.float32,
                                                 [None, size, size, 3]),
                     tf.placeholder(tf.int32, [None]))
  return build


def slim_step_fn(net, layers='contrib_compat', batch=8, size=128):
  import tensorflow.compat.v1 as tf
  images, labels = _data(batch, size)
  graph = tf.Graph()
  with graph.as_default():
    train = _slim_train_op(net, layers, tf.constant(images),
                           tf.constant(labels))
    session = tf.Session(graph=graph)
    session.run(tf.global_variables_initializer())
  return lambda: session.run(train)


def _keras_model(net, size):
  import keras
  make = (keras.applications.MobileNet if net == 'mobilenet_v1'
          else keras.applications.MobileNetV2)
  return make(weights=None, input_shape=(size, size, 3), classes=CLASSES,
              classifier_activation=None)


def keras_build_fn(net, size=128):
  return lambda: _keras_model(net, size)


def keras_step_fn(net, batch=8, size=128, jit_compile=False):
  import keras
  images, labels = _data(batch, size)
  model = _keras_model(net, size)
  model.compile(optimizer=keras.optimizers.SGD(0.01),
                loss=keras.losses.SparseCategoricalCrossentropy(
                    from_logits=True), jit_compile=jit_compile)
  return lambda: model.train_on_batch(images, labels)


def run(quick=False, nets=NETS, log=print):
  local = cross.Local()
  python = cross.oracle_python()
  remote = cross.Oracle(python) if python else None
  spec = 'benchmarks.models:'
  size, batch = (32, 2) if quick else (128, 8)
  rounds, calls = (2, 1) if quick else (7, 3)
  report = dict(quick=quick, size=size, batch=batch, build={}, step={},
                versions={'ours': local.versions(),
                          'oracle': remote.versions() if remote else None})
  try:
    for net in nets:
      build = {'contrib_compat': (local, spec + 'slim_build_fn',
                                  dict(net=net, size=size)),
               'keras': (local, spec + 'keras_build_fn',
                         dict(net=net, size=size))}
      step = {'contrib_compat': (local, spec + 'slim_step_fn',
                                 dict(net=net, batch=batch, size=size)),
              'keras': (local, spec + 'keras_step_fn',
                        dict(net=net, batch=batch, size=size)),
              'keras, jit_compile': (local, spec + 'keras_step_fn',
                                     dict(net=net, batch=batch, size=size,
                                          jit_compile=True))}
      if remote:
        build['tf_slim (oracle)'] = (remote, spec + 'slim_build_fn',
                                     dict(net=net, layers='tf_slim',
                                          size=size))
        step['tf_slim (oracle)'] = (remote, spec + 'slim_step_fn',
                                    dict(net=net, layers='tf_slim',
                                         batch=batch, size=size))
      report['build'][net] = cross.interleave(build, max(2, rounds // 2), 1,
                                              clock='cpu', warmup=1)
      log('%s build: %s' % (net, cross.brief(report['build'][net], 1)))
      report['step'][net] = cross.interleave(step, rounds, calls, warmup=3)
      log('%s step: %s' % (net, cross.brief(report['step'][net], 1)))
  finally:
    local.close()
    if remote:
      remote.close()
  return report


_cell = functools.partial(cross.ms_cell, digits=1)
_ratio = functools.partial(cross.ratio_cell, digits=2)


def markdown(report):
  v = report['versions']
  lines = ['Measured by `python -m benchmarks models%s`: batch %d, %dx%d, '
           '10 classes, SGD, CPU; ours and Keras %s on TensorFlow %s; '
           'tf-slim on TensorFlow %s in the oracle venv (second process, '
           'rounds interleaved; the ratio includes the TensorFlow '
           'release).' % (
               ' --quick' if report['quick'] else '', report['batch'],
               report['size'], report['size'], _keras_version(),
               v['ours']['tensorflow'],
               (v['oracle'] or {}).get('tensorflow', 'n/a')), '',
           '| model | build ms: contrib_compat | tf-slim (oracle) | Keras '
           'model object | step ms: contrib_compat | tf-slim (oracle) | '
           'Keras | Keras + XLA | ours / tf-slim | ours / best Keras |',
           '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
  for net in report['step']:
    b, s = report['build'][net], report['step'][net]
    keras_best = min((s[k] for k in ('keras', 'keras, jit_compile')
                      if 'ms' in s.get(k, {})), key=lambda r: r['ms'],
                     default=None)
    best = ('%.2fx' % (s['contrib_compat']['ms'] / keras_best['ms'])
            if keras_best and 'ms' in s['contrib_compat'] else 'n/a')
    lines.append('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
        net, _cell(b, 'contrib_compat'), _cell(b, 'tf_slim (oracle)'),
        _cell(b, 'keras'), _cell(s, 'contrib_compat'),
        _cell(s, 'tf_slim (oracle)'), _cell(s, 'keras'),
        _cell(s, 'keras, jit_compile'),
        _ratio(s, 'contrib_compat', 'tf_slim (oracle)'), best))
  return '\n'.join(lines)


def _keras_version():
  try:
    import keras
    return keras.__version__
  except ImportError:
    return 'n/a'


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--quick', action='store_true')
  parser.add_argument('--nets', default=','.join(NETS))
  parser.add_argument('--readme', action='store_true')
  args = parser.parse_args(argv)
  report = run(args.quick, args.nets.split(','),
               log=lambda s: print(s, file=sys.stderr, flush=True))
  from benchmarks import readme
  readme.publish('models', markdown(report), args.readme)
  return 0


if __name__ == '__main__':
  sys.exit(main())
