"""tf.distribute: a Tf1Module trained with MirroredStrategy and
MultiWorkerMirroredStrategy.

Logical CPU devices must be configured before TensorFlow initializes its
devices, and a multi-worker cluster needs processes of its own, so each case
runs a script in fresh Python processes (bounded by timeouts, killed on
expiry) that prints its results as JSON.
"""
import json
import os
import pathlib
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf2

REPO = pathlib.Path(__file__).resolve().parents[2]

_COMMON = """
import json, os, sys
import numpy as np
import tensorflow as tf
sys.path.insert(0, sys.argv[1])
import contrib_compat
from tests.helpers.tf1_models import images, randomize, small_mobilenet

X = images(batch=8)
Y = np.arange(8) % 5


def build(strategy):
  with strategy.scope():
    module = contrib_compat.Tf1Module(small_mobilenet)
    module(X[:2], is_training=False)  # creates the (mirrored) variables
    randomize(module)
    optimizer = tf.compat.v1.train.GradientDescentOptimizer(0.5)
  return module, optimizer


def train(strategy, module, optimizer, batches, is_training):
  @tf.function
  def step(x, y):
    def replica(x, y):
      with tf.GradientTape() as tape:
        logits = module(x, is_training=is_training)
        loss = tf.reduce_sum(
            tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)) / 8.0
        loss += (tf.add_n(module.regularization_losses) /
                 strategy.num_replicas_in_sync)
      grads = tape.gradient(loss, module.trainable_variables)
      optimizer.apply_gradients(zip(grads, module.trainable_variables))
      return loss
    return strategy.reduce(tf.distribute.ReduceOp.SUM,
                           strategy.run(replica, args=(x, y)), axis=None)
  return [float(step(x, y)) for x, y in batches]


def values(module):
  return {k: v.numpy().tolist() for k, v in module.variables_by_name().items()}
"""

_MIRRORED = _COMMON + """
cpus = tf.config.list_physical_devices('CPU')
tf.config.set_logical_device_configuration(
    cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)
result = {}
mirrored = tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1'])
one = tf.distribute.get_strategy()
for name, strategy in (('mirrored', mirrored), ('one', one)):
  module, optimizer = build(strategy)
  dataset = strategy.experimental_distribute_dataset(
      tf.data.Dataset.from_tensor_slices((X, Y)).batch(8).repeat(3))
  losses = train(strategy, module, optimizer, dataset, is_training=False)
  result[name] = {'losses': losses, 'values': values(module),
                  'kinds': sorted({type(v).__name__ for v in module.variables}),
                  'devices': sorted({c.device for v in module.variables
                                     for c in getattr(v, 'values', [v])})}

# Batch-norm statistics in training mode: each replica updates with its own
# half of the batch, the (sync-on-read) moving averages read as their mean.
module, _ = build(mirrored)
start = values(module)
dataset = mirrored.experimental_distribute_dataset(
    tf.data.Dataset.from_tensor_slices(X).batch(8))
for x in dataset:
  mirrored.run(tf.function(lambda x: module(x, is_training=True)), args=(x,))
result['bn_mirrored'] = values(module)
halves = []
for half in (X[:4], X[4:]):
  single, _ = build(one)
  for name, var in single.variables_by_name().items():
    var.assign(np.array(start[name], np.float32))
  single(half, is_training=True)
  halves.append(values(single))
result['bn_halves'] = halves
print(json.dumps(result))
"""

_WORKER = _COMMON + """
strategy = tf.distribute.MultiWorkerMirroredStrategy()
task = json.loads(os.environ['TF_CONFIG'])['task']['index']
module, optimizer = build(strategy)
# Each worker feeds its own half of the global batch of 8.
half = slice(4 * task, 4 * task + 4)
batches = tf.data.Dataset.from_tensor_slices((X[half], Y[half])).batch(4)
losses = train(strategy, module, optimizer, batches.repeat(3),
               is_training=True)
print(json.dumps({'task': task, 'replicas': strategy.num_replicas_in_sync,
                  'losses': losses, 'values': values(module)}))
"""


def _run(processes, timeout):
  """Waits for every process; kills them all if one outlives `timeout`."""
  outputs = []
  try:
    for process in processes:
      out, err = process.communicate(timeout=timeout)
      assert process.returncode == 0, err[-3000:]
      outputs.append(json.loads(out.strip().splitlines()[-1]))
  finally:
    for process in processes:
      if process.poll() is None:
        process.kill()
        process.communicate()
  return outputs


def _start(script, env=None):
  return subprocess.Popen(
      [sys.executable, '-c', script, str(REPO)], stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True, cwd=str(REPO),
      env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', **(env or {})))


def _assert_same_values(got, expected, **tolerance):
  assert sorted(got) == sorted(expected)
  for name in expected:
    np.testing.assert_allclose(got[name], expected[name], err_msg=name,
                               **tolerance)


@pytest.mark.slow
def test_mirrored_two_cpus_trains_like_one_device():
  result, = _run([_start(_MIRRORED)], timeout=300)
  mirrored, one = result['mirrored'], result['one']
  assert mirrored['kinds'] == ['MirroredVariable', 'SyncOnReadVariable']
  assert [d[-5:] for d in mirrored['devices']] == ['CPU:0', 'CPU:1']
  np.testing.assert_allclose(mirrored['losses'], one['losses'], rtol=1e-5)
  assert mirrored['losses'][-1] < mirrored['losses'][0]  # it trains
  _assert_same_values(mirrored['values'], one['values'], rtol=1e-5,
                      atol=1e-6)
  # Training-mode batch norm: moving averages are the replicas' mean.
  halves = result['bn_halves']
  mean_of_halves = {k: (np.array(halves[0][k]) + np.array(halves[1][k])) / 2
                    for k in halves[0]}
  _assert_same_values(result['bn_mirrored'], mean_of_halves, rtol=1e-5,
                      atol=1e-6)
  moved = 'MobilenetV1/Conv2d_0/BatchNorm/moving_mean'
  assert not np.allclose(result['bn_mirrored'][moved],
                         halves[0][moved]), 'each half differs from the mean'


def _free_ports(count):
  sockets = [socket.socket() for _ in range(count)]
  try:
    for s in sockets:
      s.bind(('127.0.0.1', 0))
    return [s.getsockname()[1] for s in sockets]
  finally:
    for s in sockets:
      s.close()


@pytest.mark.slow
def test_multi_worker_mirrored_two_workers_on_localhost():
  ports = _free_ports(2)
  cluster = {'worker': ['127.0.0.1:%d' % p for p in ports]}
  workers = [
      _start(_WORKER, {'TF_CONFIG': json.dumps(
          {'cluster': cluster, 'task': {'type': 'worker', 'index': i}})})
      for i in range(2)]
  first, second = _run(workers, timeout=240)
  assert (first['task'], second['task']) == (0, 1)
  assert first['replicas'] == second['replicas'] == 2
  assert len(first['losses']) == 3
  assert first['losses'] == second['losses']  # all-reduced
  assert first['losses'][-1] < first['losses'][0]
  _assert_same_values(first['values'], second['values'], rtol=0, atol=0)


@pytest.mark.gpu
@pytest.mark.skipif(not tf2.config.list_physical_devices('GPU'),
                    reason='needs a GPU')
def test_mirrored_on_gpu_matches_cpu():
  import contrib_compat
  from tests.helpers.tf1_models import images
  from tests.helpers.tf1_models import small_mobilenet
  x = images()
  strategy = tf2.distribute.MirroredStrategy()
  with strategy.scope():
    module = contrib_compat.Tf1Module(small_mobilenet)
    module(x, is_training=False)
  with tf2.device('/cpu:0'):
    expected = module(x, is_training=False).numpy()
  got = strategy.run(tf2.function(lambda: module(x, is_training=False)))
  got = strategy.experimental_local_results(got)[0]
  np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
