"""One task of the parameter-server cluster that test_parameter_server.py runs.

    python _ps_task.py REPO CONFIG_JSON

CONFIG keys: cluster ({'ps': [...], 'worker': [...]}), job ('ps' or
'worker'), task; for workers also mode ('async', 'sync' or 'slim'),
last_step (train until the global step reaches it), logdir (the chief's
checkpoint directory, also where workers leave their signal files),
save_steps (the chief checkpoints every that many global steps), step_delay
(seconds slept after each step, so that the test can act mid-training).

The script is what a TF1 user ran, in TF1 style: graph mode with TF 2
behaviour disabled, `tf.contrib.slim` from `contrib_compat.install()`,
`replica_device_setter`, `MonitoredTrainingSession` or `slim.learning.train`.
It reports to the test by printing one JSON object per line, each with an
'event' key. Importing it only defines the model, so the test builds the same
model in its own process.
"""
import json
import logging
import os
import sys
import time

import numpy as np

BATCH = 4
CLASSES = 5
# batch_norm's decay in every layer: close to 1, so that concurrent updates
# from two workers (read-modify-write without a lock, as in TF1) move the
# update count the test reads from a moving mean by far less than one.
DECAY = 0.99
MODEL_SCOPES = ('InputNorm', 'Pointwise', 'Depthwise', 'Logits')
# Bounds every wait of a task on another task.
PEER_TIMEOUT_S = 60


def images():
  rng = np.random.RandomState(0)
  return rng.uniform(0.0, 1.0, (BATCH, 8, 8, 3)).astype(np.float32)


def labels():
  return np.arange(BATCH, dtype=np.int64) % CLASSES


def model(inputs, is_training=True):
  """A slim model: both separable_conv2d branches and batch_norm, arg_scope.

  `InputNorm` normalizes the fixed input images, so that its moving mean after
  n updates is mean * (1 - DECAY**n): the test reads n from it.
  """
  import tensorflow.compat.v1 as tf
  slim = tf.contrib.slim
  bn_params = {'is_training': is_training, 'decay': DECAY}
  with slim.arg_scope([slim.separable_conv2d],
                      normalizer_fn=slim.batch_norm,
                      normalizer_params=bn_params):
    net = slim.batch_norm(inputs, scope='InputNorm', **bn_params)
    net = slim.separable_conv2d(net, 8, [3, 3], depth_multiplier=1,
                                scope='Pointwise')
    net = slim.separable_conv2d(net, None, [3, 3], depth_multiplier=2,
                                scope='Depthwise')
  net = tf.reduce_mean(net, [1, 2])
  return slim.fully_connected(net, CLASSES, activation_fn=None,
                              scope='Logits')


def _emit(event, **fields):
  fields['event'] = event
  sys.stdout.write(json.dumps(fields) + '\n')
  sys.stdout.flush()


def _wait_for_file(path):
  deadline = time.time() + PEER_TIMEOUT_S
  while not os.path.exists(path) and time.time() < deadline:
    time.sleep(0.05)


def _touch(path):
  open(path, 'w').close()


class _ForwardTensorflowLog(logging.Handler):
  """Forwards the TensorFlow log lines the test waits for as events.

  MonitoredTrainingSession logs the error it recovers from (a lost ps task)
  and does not tell its caller otherwise.
  """

  def emit(self, record):
    message = record.getMessage()
    if 'Error' in message:
      _emit('tf_error_log', message=message[:4000])


def _session_config(task):
  import tensorflow.compat.v1 as tf
  return tf.ConfigProto(
      # A worker talks to the ps tasks and to itself only, as TF1's examples
      # set it up, so that it never waits for the other workers.
      device_filters=['/job:ps', '/job:worker/task:%d' % task],
      inter_op_parallelism_threads=2, intra_op_parallelism_threads=1,
      # No blocking op (sync replicas' token queue, a lost ps) waits forever.
      operation_timeout_in_ms=PEER_TIMEOUT_S * 1000)


def _run_ps(config, cluster):
  import tensorflow.compat.v1 as tf
  server = tf.distribute.Server(cluster, job_name='ps',
                                task_index=config['task'],
                                config=_session_config(0))
  _emit('ready', target=server.target)
  server.join()


def _model_variables(tf):
  return {v.op.name: v for v in tf.global_variables()
          if v.op.name.split('/')[0] in MODEL_SCOPES
          or v.op.name == 'global_step'}


def checksums(values):
  """What a 'session' event reports of each variable (the test compares)."""
  return {name: float(np.sum(np.asarray(value, np.float64)))
          for name, value in values.items()}


class _Signals(object):
  """The files by which the two workers agree on when to start and stop.

  The chief trains only once worker 1 has a session (so that both train
  together), and reads the final moving mean only once worker 1 is done (so
  that it sees every worker's updates).
  """

  def __init__(self, config):
    self._task = config['task']
    self._wait = config.get('wait_for_peer', False)
    self._started = os.path.join(config['logdir'], 'worker1.started')
    self._done = os.path.join(config['logdir'], 'worker1.done')

  def started(self):
    if self._task == 1:
      _touch(self._started)
    elif self._task == 0 and self._wait:
      _wait_for_file(self._started)

  def done(self):
    if self._task == 1:
      _touch(self._done)
    elif self._task == 0 and self._wait:
      _wait_for_file(self._done)


class _Report(object):
  """A session run hook (duck-typed) that reports the session and each step.

  Attributes:
    local_steps: train steps this task has run.
  """

  def __init__(self, tf, fetches, step_delay, signals):
    self._tf = tf
    self._fetches = fetches
    self._step_delay = step_delay
    self._signals = signals
    self._variables = None
    self.local_steps = 0

  def begin(self):
    self._variables = _model_variables(self._tf)

  def after_create_session(self, session, coord):
    del coord
    values = session.run(self._variables)
    _emit('session', global_step=int(values['global_step']),
          checksums=checksums(values))
    self._signals.started()

  def before_run(self, run_context):
    del run_context
    return self._tf.train.SessionRunArgs(self._fetches)

  def after_run(self, run_context, run_values):
    del run_context
    self.local_steps += 1
    results = run_values.results
    _emit('step', local=self.local_steps, global_step=int(results['step']),
          loss=float(results['loss']))
    if self._step_delay:
      time.sleep(self._step_delay)

  def end(self, session):
    self._signals.done()
    mean = session.run(self._variables['InputNorm/moving_mean'])
    _emit('final', local_steps=self.local_steps,
          global_step=int(session.run(self._fetches['step'])),
          moving_mean=[float(x) for x in mean])


class _ReportSaves(object):
  """A CheckpointSaverListener (duck-typed): an event per checkpoint."""

  def begin(self):
    pass

  def before_save(self, session, global_step_value):
    pass

  def after_save(self, session, global_step_value):
    del session
    _emit('saved', global_step=int(global_step_value))

  def end(self, session, global_step_value):
    pass


def _build(tf, config, cluster):
  """The worker's graph; returns (global_step, loss, optimizer, train_op)."""
  slim = tf.contrib.slim
  task = config['task']
  with tf.device(tf.train.replica_device_setter(
      cluster=cluster, worker_device='/job:worker/task:%d' % task)):
    global_step = tf.train.get_or_create_global_step()
    logits = model(tf.constant(images()))
    loss = tf.losses.sparse_softmax_cross_entropy(tf.constant(labels()),
                                                  logits)
    optimizer = tf.train.GradientDescentOptimizer(0.1)
    if config['mode'] == 'sync':
      optimizer = tf.train.SyncReplicasOptimizer(
          optimizer, replicas_to_aggregate=2, total_num_replicas=2)
    # slim's train op: batch_norm's update ops run before the loss on every
    # worker's step (TF1's create_train_op); the optimizer only sees the
    # gradients.
    train_op = slim.learning.create_train_op(loss, optimizer,
                                             global_step=global_step)
  return global_step, loss, optimizer, train_op


def _report_placement(graph):
  variables = {op.name: op.device for op in graph.get_operations()
               if op.type in ('VariableV2', 'VarHandleOp')}
  compute = {op.name: op.device for op in graph.get_operations()
             if op.type in ('Conv2D', 'DepthwiseConv2dNative',
                            'FusedBatchNormV3', 'MatMul')}
  _emit('placement', variables=variables, compute=compute)


def _train_slim(tf, config, server, train_op, signals):
  """tf_slim's learning.train, as train_image_classifier.py called it."""
  slim = tf.contrib.slim
  steps = [0]

  def train_step(session, op, global_step, kwargs):
    if steps[0] == 0:
      signals.started()
    result = slim.learning.train_step(session, op, global_step, kwargs)
    steps[0] += 1
    _emit('step', local=steps[0], global_step=int(session.run(global_step)))
    time.sleep(config.get('step_delay', 0))
    return result

  final_loss = slim.learning.train(
      train_op, config['logdir'], train_step_fn=train_step,
      master=server.target, is_chief=config['task'] == 0,
      number_of_steps=config['last_step'], log_every_n_steps=1000,
      save_summaries_secs=0, save_interval_secs=0,
      session_config=_session_config(config['task']))
  _emit('final', local_steps=steps[0], loss=float(final_loss))


def _run_worker(config, cluster):
  import tensorflow.compat.v1 as tf
  task = config['task']
  is_chief = task == 0
  server = tf.distribute.Server(cluster, job_name='worker', task_index=task,
                                config=_session_config(task))
  signals = _Signals(config)
  graph = tf.Graph()
  with graph.as_default():
    global_step, loss, optimizer, train_op = _build(tf, config, cluster)
    _report_placement(graph)
    if config['mode'] == 'slim':
      _train_slim(tf, config, server, train_op, signals)
      return
    report = _Report(tf, {'step': global_step, 'loss': loss},
                     config.get('step_delay', 0), signals)
    hooks = [tf.train.StopAtStepHook(last_step=config['last_step']), report]
    if config['mode'] == 'sync':
      hooks.append(optimizer.make_session_run_hook(is_chief))
    chief_hooks = [tf.train.CheckpointSaverHook(
        config['logdir'], save_steps=config.get('save_steps', 10),
        listeners=[_ReportSaves()])]
    with tf.train.MonitoredTrainingSession(
        master=server.target, is_chief=is_chief,
        checkpoint_dir=config['logdir'], save_checkpoint_steps=None,
        save_checkpoint_secs=None, save_summaries_steps=None,
        save_summaries_secs=None, log_step_count_steps=None,
        config=_session_config(task), hooks=hooks,
        chief_only_hooks=chief_hooks, stop_grace_period_secs=5) as session:
      while not session.should_stop():
        session.run(train_op)


def main(argv):
  sys.path.insert(0, argv[1])
  config = json.loads(argv[2])
  import tensorflow.compat.v1 as tf
  import contrib_compat
  tf.disable_v2_behavior()
  contrib_compat.install()
  tf_logger = logging.getLogger('tensorflow')
  tf_logger.addHandler(_ForwardTensorflowLog())
  tf_logger.setLevel(logging.INFO)
  cluster = tf.train.ClusterSpec(config['cluster'])
  if config['job'] == 'ps':
    _run_ps(config, cluster)
  else:
    _run_worker(config, cluster)


if __name__ == '__main__':
  main(sys.argv)
