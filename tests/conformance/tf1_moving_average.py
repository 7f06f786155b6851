"""tf.contrib.opt.MovingAverageOptimizer, as TF1 code, run by both sides.

Python 3.7 TF1 code: real TF 1.15 runs it as it is, this package through
the runner (`python -m contrib_compat.run tf1_moving_average.py`). Each
case trains a small regression three steps with the optimizer wrapped
(momentum or plain gradient descent, sequential or parallel average
updates, with num_updates, with a partitioned weight), then saves with
`swapping_saver()`. Printed (or, with `--out DIR`, written as the golden
tests/conformance/golden/opt_moving_average.json, through
`generate.py tf1_opt`): the graph's nodes (name, op type), the train op,
every variable's value, the checkpoint the swapping saver wrote, and the
errors TF1 raised for misuse.
"""
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import tensorflow as tf

GOLDEN = 'tests/conformance/golden/opt_moving_average.json'
CASES = (
    {'name': 'momentum_sequential', 'optimizer': 'momentum',
     'sequential_update': True, 'num_updates': False, 'partitioned': False},
    {'name': 'sgd_parallel_num_updates', 'optimizer': 'sgd',
     'sequential_update': False, 'num_updates': True, 'partitioned': False},
    {'name': 'momentum_partitioned', 'optimizer': 'momentum',
     'sequential_update': True, 'num_updates': True, 'partitioned': True},
    # The saver given the PartitionedVariable itself, not its parts: TF1
    # left it unswapped (it looked it up under its own name), so its parts
    # were saved twice and Saver refused: ValueError.
    {'name': 'momentum_partitioned_whole', 'optimizer': 'momentum',
     'sequential_update': True, 'num_updates': False, 'partitioned': True,
     'save_whole': True},
)
STEPS = 3


def _ramp(shape, dtype=tf.float32, partition_info=None):
  """Deterministic values, the same in every TensorFlow."""
  del partition_info
  count = int(np.prod(shape))
  return tf.reshape(tf.linspace(-0.5, 0.7, count), shape)


def _build(case):
  x = tf.constant(np.linspace(-1, 1, 24).reshape(4, 6), tf.float32)
  y = tf.constant(np.linspace(0, 1, 12).reshape(4, 3), tf.float32)
  partitioner = (tf.fixed_size_partitioner(2) if case['partitioned']
                 else None)
  with tf.variable_scope('net', partitioner=partitioner):
    w = tf.get_variable('w', [6, 3], initializer=_ramp)
  b = tf.get_variable('net/b', [3], initializer=tf.zeros_initializer())
  global_step = tf.train.get_or_create_global_step()
  loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
  base = (tf.train.MomentumOptimizer(0.1, 0.9)
          if case['optimizer'] == 'momentum'
          else tf.train.GradientDescentOptimizer(0.1))
  opt = tf.contrib.opt.MovingAverageOptimizer(
      base, average_decay=0.9,
      num_updates=global_step if case['num_updates'] else None,
      sequential_update=case['sequential_update'])
  return opt, opt.minimize(loss, global_step=global_step), w


def _error(call):
  try:
    call()
  except Exception as e:  # noqa: BLE001 (the type is the result)
    return type(e).__name__
  return None


def run(case):
  """The case's result: graph, train op, values, the swapping checkpoint."""
  graph = tf.Graph()
  work = tempfile.mkdtemp()
  try:
    with graph.as_default():
      opt, train_op, w = _build(case)
      if case.get('save_whole'):
        parts = {v.op.name for v in w}
        return {'saver_error': _error(lambda: opt.swapping_saver(
            var_list=[w] + [v for v in tf.global_variables()
                            if v.op.name not in parts]))}
      saver = opt.swapping_saver()
      misuse = {
          'var_list_without_averages': _error(lambda: opt.swapping_saver(
              var_list=[v for v in tf.global_variables()
                        if 'ExponentialMovingAverage' not in v.op.name])),
          'saver_before_minimize': _error(
              tf.contrib.opt.MovingAverageOptimizer(
                  tf.train.GradientDescentOptimizer(0.1)).swapping_saver),
      }
      sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
      import golden_io
      with tf.Session(graph=graph, config=golden_io.one_thread(tf)) as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(STEPS):
          sess.run(train_op)
        values = {v.op.name: sess.run(v).round(6).tolist()
                  for v in tf.global_variables()}
        path = saver.save(sess, os.path.join(work, 'model.ckpt'),
                          write_meta_graph=False)
      reader = tf.train.load_checkpoint(path)
      saved = {name: np.asarray(reader.get_tensor(name)).round(6).tolist()
               for name, _ in tf.train.list_variables(path)}
      if not case['sequential_update']:
        # The averages read the variables while the step writes them (TF1's
        # "benign data race"): their values differ from run to run, even on
        # one thread. Only their names are kept.
        values = {k: None if 'ExponentialMovingAverage' in k else v
                  for k, v in values.items()}
        saved = dict.fromkeys(saved)
      nodes = sorted([n.name, n.op, sorted(n.input)]
                     for n in graph.as_graph_def().node)
    return {'train_op': [train_op.name, train_op.type],
            'nodes': nodes, 'values': values, 'checkpoint': saved,
            'misuse': misuse}
  finally:
    shutil.rmtree(work)


def main(argv):
  results = {'tensorflow': tf.__version__ if hasattr(tf, '__version__')
             else '', 'cases': {c['name']: run(c) for c in CASES}}
  if argv[1:2] == ['--out']:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import golden_io
    golden_io.write_json(argv[2], GOLDEN, results)
  else:
    print(json.dumps(results, sort_keys=True))
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
