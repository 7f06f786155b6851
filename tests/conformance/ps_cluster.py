"""A TF1 parameter-server cluster of real processes on 127.0.0.1, for tests.

Each task is `_ps_task.py` in its own Python process (its own session, so a
kill reaches it alone). Every wait is bounded; `close()` kills whatever is
still running and reports what it had to kill.
"""
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
TASK_SCRIPT = pathlib.Path(__file__).with_name('_ps_task.py')


def free_ports(count):
  """Ports free right now (bound and released together, so all distinct)."""
  sockets = []
  try:
    for _ in range(count):
      s = socket.socket()
      s.bind(('127.0.0.1', 0))
      sockets.append(s)
    return [s.getsockname()[1] for s in sockets]
  finally:
    for s in sockets:
      s.close()


class Task(object):
  """One running task: its process and the events it has printed."""

  def __init__(self, name, config):
    self.name = name
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONUNBUFFERED='1')
    self.process = subprocess.Popen(
        [sys.executable, str(TASK_SCRIPT), str(REPO), json.dumps(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        start_new_session=True, text=True)
    self.events = []
    self.stderr = []
    self._changed = threading.Condition()
    self._stdout_closed = False
    threading.Thread(target=self._read_events, daemon=True).start()
    threading.Thread(target=self._read_stderr, daemon=True).start()

  def _read_events(self):
    for line in self.process.stdout:
      try:
        event = json.loads(line)
      except ValueError:
        continue
      with self._changed:
        self.events.append(event)
        self._changed.notify_all()
    with self._changed:
      self._stdout_closed = True
      self._changed.notify_all()

  def _read_stderr(self):
    for line in self.process.stderr:
      self.stderr.append(line)

  def mark(self):
    """A position in the events, for wait_for(since=...)."""
    return len(self.events)

  def wait_for(self, predicate, timeout, since=0):
    """The first event from position `since` on for which predicate holds."""
    deadline = time.time() + timeout
    with self._changed:
      while True:
        for event in self.events[since:]:
          if predicate(event):
            return event
        since = len(self.events)
        left = deadline - time.time()
        if self._stdout_closed or left <= 0:
          break
        self._changed.wait(left)
    if self._stdout_closed:
      raise AssertionError('%s exited (status %s) before the event; '
                           'stderr tail:\n%s' % (
                               self.name, self.process.wait(),
                               ''.join(self.stderr[-30:])))
    raise AssertionError('%s: no such event within %ss; last events %s; '
                         'stderr tail:\n%s' % (self.name, timeout,
                                               self.events[-3:],
                                               ''.join(self.stderr[-30:])))

  def of(self, kind):
    return [e for e in self.events if e['event'] == kind]

  def wait_exit(self, timeout):
    try:
      status = self.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
      raise AssertionError('%s still running after %ss; stderr tail:\n%s' % (
          self.name, timeout, ''.join(self.stderr[-30:]))) from None
    return status

  def kill(self):
    """SIGKILL, as a machine loss: no handler, no cleanup runs."""
    if self.process.poll() is None:
      os.killpg(self.process.pid, signal.SIGKILL)
    self.process.wait(timeout=30)

  @property
  def alive(self):
    return self.process.poll() is None


class Cluster(object):
  """`ps` parameter servers and `workers` workers; worker 0 is the chief."""

  def __init__(self, logdir, ps=1, workers=2):
    ports = free_ports(ps + workers)
    self.spec = {
        'ps': ['127.0.0.1:%d' % p for p in ports[:ps]],
        'worker': ['127.0.0.1:%d' % p for p in ports[ps:]],
    }
    self.logdir = str(logdir)
    self.tasks = []
    self.ps = [self.start_ps(i) for i in range(ps)]

  def start_ps(self, index):
    task = Task('ps%d' % index,
                {'cluster': self.spec, 'job': 'ps', 'task': index})
    self.tasks.append(task)
    return task

  def start_worker(self, index, **config):
    config.setdefault('logdir', self.logdir)
    config.update(cluster=self.spec, job='worker', task=index)
    task = Task('worker%d' % index, config)
    self.tasks.append(task)
    return task

  def close(self):
    """Kills every task still running; returns the names it had to kill."""
    killed = [t.name for t in self.tasks if t.alive]
    for task in self.tasks:
      task.kill()
    return killed

  def leftover_processes(self):
    """Tasks whose process still exists (after close() this must be empty)."""
    left = []
    for task in self.tasks:
      try:
        os.killpg(task.process.pid, 0)
        left.append(task.name)
      except ProcessLookupError:
        pass
    return left
