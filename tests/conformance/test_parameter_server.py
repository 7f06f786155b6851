"""TF1 parameter-server training with this package's layers, across processes.

A real cluster on 127.0.0.1 (ps tasks and two workers, worker 0 the chief,
each its own Python process; see ps_cluster.py and _ps_task.py) trains a slim
model with both separable_conv2d branches and batch_norm, placed with
`tf.train.replica_device_setter`, as TF1 users ran it. Two chains of runs:

* `modes` (1 ps): SyncReplicasOptimizer, then asynchronous updates, then
  tf_slim's `slim.learning.train(master=..., is_chief=...)`.
* `faults` (2 ps, asynchronous): a non-chief worker SIGKILLed and restarted,
  then the chief, then a ps task.

Each chain runs once per module; the tests below read what it recorded. The
expected results are what TF1's code did (tensorflow 1.15: training.py's
create_train_op, sync_replicas_optimizer.py, monitored_session.py's
_RecoverableSession, session_manager.py), cited in each test.
"""
import math

import numpy as np
import pytest
import tensorflow as tf2

from tests.conformance import _ps_task
from tests.conformance.ps_cluster import Cluster

pytestmark = pytest.mark.slow

tf = tf2.compat.v1
PS_TASK_0 = '/job:ps/replica:0/task:0'
START_S = 90  # a task's start-up: importing TensorFlow on a loaded machine
RUN_S = 120


def _step_at_least(step):
  return lambda e: e['event'] == 'step' and e['global_step'] >= step


def _event(kind):
  return lambda e: e['event'] == kind


def _train_pair(cluster, mode, logdir, last_step):
  """Chief and worker 1 train together to last_step; both exit."""
  config = dict(mode=mode, logdir=str(logdir), last_step=last_step,
                step_delay=0.02)
  chief = cluster.start_worker(0, wait_for_peer=True, **config)
  # Worker 1 starts once the chief has built its graph: by the time it asks
  # whether the model is ready, the chief has initialized it (otherwise
  # TF1's SessionManager makes it wait 30 s before asking again).
  chief.wait_for(_event('placement'), START_S)
  peer = cluster.start_worker(1, **config)
  statuses = (chief.wait_exit(START_S + RUN_S), peer.wait_exit(RUN_S))
  return {'chief': chief, 'peer': peer, 'statuses': statuses,
          'logdir': str(logdir)}


class _Chain(object):
  """What a chain of cluster runs recorded, and how its cluster ended."""

  def __init__(self):
    self.runs = {}
    self.error = None
    self.killed_at_close = []
    self.leftover = None


def _run_chain(cluster, body):
  chain = _Chain()
  try:
    body(cluster, chain)
  except AssertionError as e:  # kept for the tests that need the runs
    chain.error = e
  finally:
    chain.killed_at_close = cluster.close()
    chain.leftover = cluster.leftover_processes()
  return chain


def _require(chain, *runs):
  if chain.error is not None:
    raise chain.error
  for name in runs:
    assert name in chain.runs, name


@pytest.fixture(scope='module')
def modes(tmp_path_factory):
  root = tmp_path_factory.mktemp('ps_modes')

  def body(cluster, chain):
    cluster.ps[0].wait_for(_event('ready'), START_S)
    for mode, last_step in (('sync', 12), ('async', 24), ('slim', 6)):
      chain.runs[mode] = _train_pair(cluster, mode, root / mode, last_step)
      chain.runs[mode]['last_step'] = last_step

  return _run_chain(Cluster(root, ps=1, workers=2), body)


def _faults_body(cluster, chain):
  logdir = cluster.logdir
  run = dict(mode='async', last_step=10**6, save_steps=10, step_delay=0.1)
  for ps in cluster.ps:
    ps.wait_for(_event('ready'), START_S)
  chief = cluster.start_worker(0, wait_for_peer=True, **run)
  chain.runs['placement'] = chief.wait_for(_event('placement'), START_S)
  peer = cluster.start_worker(1, **run)

  # 1. A non-chief worker lost mid-training.
  peer.wait_for(_step_at_least(10), START_S)
  peer.kill()
  peer_lost_at = max(e['global_step'] for e in peer.of('step'))
  chief.wait_for(_step_at_least(peer_lost_at + 5), RUN_S)
  rejoined = cluster.start_worker(1, **run)
  rejoined.wait_for(_event('step'), START_S)
  chain.runs['worker_kill'] = {
      'lost_at': peer_lost_at, 'chief': list(chief.of('step')),
      'rejoined': rejoined}

  # 2. The chief lost, with steps done since its last checkpoint. Worker 1
  # is stopped first so that nothing else writes the variables meanwhile.
  rejoined.kill()
  since = chief.mark()
  saved = chief.wait_for(_event('saved'), RUN_S, since)['global_step']
  chief.wait_for(_step_at_least(saved + 3), RUN_S, since)
  chief.kill()
  chief_lost_at = max(e['global_step'] for e in chief.of('step'))
  last_checkpoint = tf.train.latest_checkpoint(logdir)
  restarted = cluster.start_worker(0, **run)
  restarted.wait_for(_event('session'), START_S)
  restarted.wait_for(_step_at_least(1), RUN_S)
  chain.runs['chief_kill'] = {
      'lost_at': chief_lost_at, 'checkpoint': last_checkpoint,
      'restarted': restarted, 'values': _checkpoint_checksums(
          last_checkpoint, restarted.of('session')[0]['checksums'])}

  # 3. A ps task lost while both workers train.
  peer = cluster.start_worker(1, **run)
  peer.wait_for(_event('step'), START_S)
  since = restarted.mark()
  restarted.wait_for(_event('saved'), RUN_S, since)
  marks = (restarted.mark(), peer.mark())
  cluster.ps[0].kill()
  names_task = (lambda e: e['event'] == 'tf_error_log'
                and PS_TASK_0 in e['message'])
  errors = {'chief': restarted.wait_for(names_task, RUN_S, marks[0]),
            'peer': peer.wait_for(names_task, RUN_S, marks[1])}
  checkpoint_then = tf.train.latest_checkpoint(logdir)
  since = restarted.mark()
  cluster.start_ps(0).wait_for(_event('ready'), START_S)
  recovered = restarted.wait_for(_event('session'), RUN_S, since)
  restarted.wait_for(_step_at_least(recovered['global_step'] + 2), RUN_S,
                     restarted.mark())
  chain.runs['ps_kill'] = {
      'errors': errors, 'checkpoint': checkpoint_then,
      'recovered': recovered,
      'values': _checkpoint_checksums(checkpoint_then,
                                      recovered['checksums'])}


def _checkpoint_checksums(checkpoint, names):
  values = {name: tf.train.load_variable(checkpoint, name) for name in names}
  return _ps_task.checksums(values)


@pytest.fixture(scope='module')
def faults(tmp_path_factory):
  root = tmp_path_factory.mktemp('ps_faults')
  return _run_chain(Cluster(root, ps=2, workers=2), _faults_body)


# Placement, in this process: replica_device_setter needs only the spec.

# Variable ops: TF1's ref variables (as in the cluster's tasks, where TF 2
# behaviour is disabled) or resource variables (this process).
_VARIABLE_OPS = ('VariableV2', 'VarHandleOp')
_MOVING_AVERAGE_UPDATES = ('AssignSub', 'AssignSubVariableOp')

_SPEC = {'ps': ['ps0:2222', 'ps1:2222'],
         'worker': ['worker0:2222', 'worker1:2222']}


def _placed_model(model_variable_device=None):
  import contrib_compat
  contrib_compat.install()
  slim = tf.contrib.slim
  graph = tf.Graph()
  with graph.as_default(), tf.device(tf.train.replica_device_setter(
      cluster=tf.train.ClusterSpec(_SPEC), worker_device='/job:worker/task:1')):
    tf.train.get_or_create_global_step()
    with slim.arg_scope([slim.model_variable],
                        device=model_variable_device):
      _ps_task.model(tf.constant(_ps_task.images()))
  return graph


def test_variables_round_robin_over_ps_tasks_and_ops_on_the_worker():
  placed = _placed_model()
  variables = [op for op in placed.get_operations()
               if op.type in _VARIABLE_OPS]
  # TF1's replica_device_setter: variables in creation order, task i % 2;
  # global_step first.
  assert [v.name for v in variables][:4] == [
      'global_step', 'InputNorm/beta', 'InputNorm/moving_mean',
      'InputNorm/moving_variance']
  assert [v.device for v in variables] == [
      '/job:ps/task:%d' % (i % 2) for i in range(len(variables))]
  assert len(variables) == 15
  compute = [op for op in placed.get_operations()
             if op.type in ('Conv2D', 'DepthwiseConv2dNative',
                            'FusedBatchNormV3', 'MatMul')
             + _MOVING_AVERAGE_UPDATES]
  assert len(compute) > 8
  assert {op.device for op in compute
          if op.type not in _MOVING_AVERAGE_UPDATES} == {
      '/job:worker/task:1'}
  # batch_norm's moving-average updates run where their variable lives.
  updates = [op for op in compute if op.type in _MOVING_AVERAGE_UPDATES]
  assert len(updates) == 6
  assert all(op.device.startswith('/job:ps/') for op in updates)


def test_arg_scope_model_variable_device_is_honoured_under_the_setter():
  cpu = _placed_model('/cpu:0')
  devices = {op.name: op.device for op in cpu.get_operations()
             if op.type in _VARIABLE_OPS}
  # The setter picks the ps task; model_variable's device fills in the rest,
  # on every variable the layers create, moving statistics included.
  for name, device in devices.items():
    if name == 'global_step':
      assert device == '/job:ps/task:0'
    else:
      assert device.endswith('/device:CPU:0'), (name, device)
      assert device.startswith('/job:ps/task:'), (name, device)
  pinned = _placed_model('/job:ps/task:1')
  assert {op.device for op in pinned.get_operations()
          if op.type in _VARIABLE_OPS and op.name != 'global_step'} == {
              '/job:ps/task:1'}


# Training modes on a live cluster.


def _updates_counted_by(moving_mean):
  """n such that moving_mean == mean * (1 - DECAY**n), per channel."""
  mean = _ps_task.images().mean(axis=(0, 1, 2))
  return np.log(1.0 - np.asarray(moving_mean) / mean) / math.log(
      _ps_task.DECAY)


def _final(task):
  finals = task.of('final')
  assert len(finals) == 1, task.events[-3:]
  return finals[0]


def test_tasks_run_on_the_cluster(modes):
  _require(modes, 'sync', 'async', 'slim')
  for mode, run in modes.runs.items():
    assert run['statuses'] == (0, 0), (mode, run['chief'].stderr[-20:])
    placement = run['chief'].of('placement')[0]
    variables = placement['variables']
    model = {name: device for name, device in variables.items()
             if name.split('/')[0] in _ps_task.MODEL_SCOPES}
    assert len(model) == 14
    assert set(model.values()) == {'/job:ps/task:0'}
    # SyncReplicasOptimizer's local step stays on the worker, as in TF1.
    assert {device for name, device in variables.items()
            if name not in model and name != 'global_step'} <= {
                '/job:worker/task:0'}
    assert set(placement['compute'].values()) == {'/job:worker/task:0'}


@pytest.mark.parametrize('mode', ['sync', 'async'])
def test_training_lowers_the_loss(modes, mode):
  _require(modes, mode)
  losses = [e['loss'] for e in modes.runs[mode]['chief'].of('step')]
  assert losses[-1] < losses[0] - 0.05, losses


@pytest.mark.parametrize('mode', ['sync', 'async'])
def test_both_workers_trained(modes, mode):
  _require(modes, mode)
  run = modes.runs[mode]
  assert _final(run['chief'])['local_steps'] >= 3
  assert _final(run['peer'])['local_steps'] >= 3


def test_async_global_step_counts_every_worker_step(modes):
  _require(modes, 'async')
  run = modes.runs['async']
  local = _final(run['chief'])['local_steps'] + _final(run['peer'])[
      'local_steps']
  # Each worker's apply_gradients increments the global step. StopAtStepHook
  # lets a worker finish a step begun before the other reached last_step.
  assert run['last_step'] <= _final(run['chief'])['global_step'] <= local


def test_sync_global_step_advances_once_per_aggregated_step(modes):
  _require(modes, 'sync')
  run = modes.runs['sync']
  local = _final(run['chief'])['local_steps'] + _final(run['peer'])[
      'local_steps']
  global_step = _final(run['chief'])['global_step']
  assert global_step == run['last_step']
  # SyncReplicasOptimizer applies once per 2 gradients (from any replica);
  # stale gradients are dropped, so there may be more local steps than 2x.
  assert local >= 2 * (global_step - 1), (local, global_step)


@pytest.mark.parametrize('mode', ['sync', 'async'])
def test_batch_norm_moving_statistics_update_on_every_worker_step(modes,
                                                                  mode):
  """TF1: the update ops run with each worker's own train op, unaggregated.

  slim's create_train_op makes the loss depend on every UPDATE_OPS op, so a
  worker's step assigns the moving mean and variance on the ps directly;
  SyncReplicasOptimizer aggregates gradients only. In sync mode the moving
  statistics therefore move once per worker step, about twice per global
  step, exactly as in TF1.
  """
  _require(modes, mode)
  run = modes.runs[mode]
  chief, peer = _final(run['chief']), _final(run['peer'])
  # The chief read the moving mean after worker 1 was done.
  counted = _updates_counted_by(chief['moving_mean'])
  local = chief['local_steps'] + peer['local_steps']
  np.testing.assert_allclose(counted, local, atol=0.5)
  if mode == 'sync':
    assert local > chief['global_step'] + 2


def test_slim_learning_train_with_master_and_is_chief(modes):
  _require(modes, 'slim')
  run = modes.runs['slim']
  assert _final(run['chief'])['local_steps'] >= 1
  assert _final(run['peer'])['local_steps'] >= 1
  checkpoint = tf.train.latest_checkpoint(run['logdir'])
  assert checkpoint is not None
  assert tf.train.load_variable(checkpoint, 'global_step') >= run[
      'last_step']


def test_chief_checkpoint_restores_into_one_process_graph(modes):
  _require(modes, 'async')
  checkpoint = tf.train.latest_checkpoint(modes.runs['async']['logdir'])
  names = {name for name, _ in tf.train.list_variables(checkpoint)}
  graph = tf.Graph()
  with graph.as_default():
    logits = _ps_task.model(tf.constant(_ps_task.images()), is_training=False)
    variables = tf.global_variables()
    # Every variable by its TF1 name, and nothing in the checkpoint unused.
    assert {v.op.name for v in variables} | {'global_step'} == names
    with tf.Session() as session:
      tf.train.Saver(variables).restore(session, checkpoint)
      restored = session.run(logits)
      for v in variables:
        np.testing.assert_array_equal(
            session.run(v), tf.train.load_variable(checkpoint, v.op.name))
  module = _tf1_module()
  # global_step is the training loop's, not the model's.
  report = module.load_tf1_checkpoint(checkpoint, allow_unexpected=True)
  assert report.unexpected == ['global_step']
  assert len(report.loaded) == len(variables) == 14
  eager = module(_ps_task.images(), is_training=False).numpy()
  np.testing.assert_allclose(eager, restored, rtol=1e-5, atol=1e-6)


def _tf1_module():
  import contrib_compat
  contrib_compat.install()
  module = contrib_compat.Tf1Module(_ps_task.model)
  module(_ps_task.images(), is_training=False)
  return module


# Faults, on a live cluster.


def test_two_ps_tasks_share_the_variables_round_robin(faults):
  _require(faults, 'placement')
  variables = faults.runs['placement']['variables']
  model = [name for name in variables
           if name.split('/')[0] in _ps_task.MODEL_SCOPES]
  assert len(model) == 14
  # The worker's graph, in creation order (global_step first, on task 0).
  names = ['global_step'] + model
  assert [variables[n] for n in names] == [
      '/job:ps/task:%d' % (i % 2) for i in range(len(names))]


def test_async_training_goes_on_without_a_lost_worker(faults):
  _require(faults, 'worker_kill')
  run = faults.runs['worker_kill']
  after = [e['global_step'] for e in run['chief']
           if e['global_step'] > run['lost_at']]
  assert len(after) >= 5


def test_restarted_worker_rejoins_at_the_current_step(faults):
  _require(faults, 'worker_kill')
  run = faults.runs['worker_kill']
  session = run['rejoined'].of('session')[0]
  steps = [e['global_step'] for e in run['rejoined'].of('step')]
  # TF1: a non-chief worker's session waits for the model to be ready and
  # restores nothing; it trains on from the ps's current state.
  assert session['global_step'] > run['lost_at'] + 4
  assert steps and steps[0] >= session['global_step']
  assert steps == sorted(steps)


def test_restarted_chief_resumes_from_its_last_checkpoint(faults):
  _require(faults, 'chief_kill')
  run = faults.runs['chief_kill']
  session = run['restarted'].of('session')[0]
  saved_step = int(run['checkpoint'].rsplit('-', 1)[1])
  # Steps were done after the checkpoint: a resume from the ps's state would
  # show them. TF1's chief restores the checkpoint (SessionManager
  # prepare_session) and does not run the init op.
  assert run['lost_at'] > saved_step
  assert session['global_step'] == saved_step
  assert session['checksums'] == run['values']
  steps = [e['global_step'] for e in run['restarted'].of('step')]
  assert steps[0] == saved_step


def test_lost_ps_task_is_named_in_the_error_and_training_recovers(faults):
  _require(faults, 'ps_kill')
  run = faults.runs['ps_kill']
  for task, error in run['errors'].items():
    assert PS_TASK_0 in error['message'], (task, error)
  # TF1's MonitoredTrainingSession treats a lost ps as a preemption: it
  # closes the session and makes a new one, and the chief's new session
  # restores the last checkpoint once the ps is back.
  recovered = run['recovered']
  assert recovered['global_step'] == int(run['checkpoint'].rsplit('-', 1)[1])
  assert recovered['checksums'] == run['values']


def test_no_task_outlives_its_cluster(modes, faults):
  for chain in (modes, faults):
    assert chain.leftover == []
  # The modes chain ends by itself; only its ps (which never exits in TF1)
  # is still running at the end.
  assert modes.killed_at_close == ['ps0']
