"""Timing steps in this process and in the oracle stack's, rounds interleaved.

tf-slim's batch_norm and nets need Keras 2, which TF 2.21 no longer ships, so
their figures come from a second interpreter: the oracle venv (TF 2.12.1 +
tf-slim 1.1.0, `$CONTRIB_COMPAT_ORACLE`, default /tmp/oracle). `Oracle`
starts `python -m benchmarks.oracle` there; both it and `Local` make a
timed callable from a spec (`module:function` and keyword arguments) and time
calls of it on request, so that `interleave` can alternate rounds of both
processes on the same machine in one run. Cross-process ratios include the
difference between the two TensorFlow releases; each table says so.
"""
import gc
import importlib
import json
import os
import pathlib
import random
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
_CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}


def oracle_python():
  """The oracle venv's python, or None when it is not installed."""
  root = os.environ.get('CONTRIB_COMPAT_ORACLE', '/tmp/oracle')
  path = os.path.join(root, 'bin', 'python')
  return path if os.access(path, os.X_OK) else None


def _make(spec, kwargs):
  module, name = spec.split(':')
  return getattr(importlib.import_module(module), name)(**kwargs)


def _time(fn, calls, clock):
  now = _CLOCKS[clock]
  # Garbage of earlier graphs is collected here, not inside someone's round.
  gc.collect()
  start = now()
  for _ in range(calls):
    fn()
  return 1000.0 * (now() - start) / calls


def _versions():
  import tensorflow as tf
  import importlib.metadata
  try:
    slim = importlib.metadata.version('tf-slim')
  except importlib.metadata.PackageNotFoundError:
    slim = None
  return {'tensorflow': tf.__version__, 'tf_slim': slim}


class Local(object):
  """Makes and times steps in this process."""

  def __init__(self):
    self._made = []

  def make(self, spec, **kwargs):
    self._made.append(_make(spec, kwargs))
    return len(self._made) - 1

  def time(self, handle, calls, clock='wall'):
    return _time(self._made[handle], calls, clock)

  def versions(self):
    return _versions()

  def close(self):
    self._made = []


class Oracle(object):
  """Makes and times steps in the oracle venv's interpreter."""

  def __init__(self, python):
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL='2',
               PYTHONWARNINGS='ignore')
    self._process = subprocess.Popen(
        [python, '-m', 'benchmarks.oracle'], cwd=str(REPO), env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)

  def _ask(self, **request):
    self._process.stdin.write(json.dumps(request) + '\n')
    self._process.stdin.flush()
    line = self._process.stdout.readline()
    if not line:
      raise RuntimeError('the oracle process exited (status %s)'
                         % self._process.wait())
    answer = json.loads(line)
    if 'error' in answer:
      raise RuntimeError('oracle: %s' % answer['error'])
    return answer['result']

  def make(self, spec, **kwargs):
    return self._ask(op='make', spec=spec, kwargs=kwargs)

  def time(self, handle, calls, clock='wall'):
    return self._ask(op='time', handle=handle, calls=calls, clock=clock)

  def versions(self):
    return self._ask(op='versions')

  def close(self):
    if self._process.poll() is None:
      self._process.stdin.close()
      try:
        self._process.wait(timeout=30)
      except subprocess.TimeoutExpired:
        self._process.kill()


def serve(lines=sys.stdin, out=sys.stdout):
  """The oracle side: one JSON request per line, one answer per line."""
  local = Local()
  for line in lines:
    request = json.loads(line)
    try:
      if request['op'] == 'make':
        result = local.make(request['spec'], **request['kwargs'])
      elif request['op'] == 'time':
        result = local.time(request['handle'], request['calls'],
                            request['clock'])
      else:
        result = local.versions()
      answer = {'result': result}
    except Exception as e:
      answer = {'error': '%s: %s' % (type(e).__name__, str(e)[:500])}
    out.write(json.dumps(answer) + '\n')
    out.flush()


def interleave(entries, rounds, calls, clock='wall', warmup=2):
  """Median ms per call of each entry, rounds interleaved in shuffled order.

  Each round runs the entries in a new order (seeded: runs repeat): a fixed
  rotation gave every entry the same predecessor in every round, and the
  entry right after the oracle process's rounds was measured about 8%
  slower than in a shuffled order (batch_norm build, 2 cores: 1.16x against
  1.08x its floor), which biased every ratio against it.

  Args:
    entries: {label: (runner, spec, kwargs)}; runner is a Local or Oracle.
    rounds: timed rounds per entry.
    calls: calls per round (the round's mean is one sample).
    clock: 'wall' or 'cpu' (the process's own CPU time).
    warmup: untimed calls per entry first (tracing, compilation).

  Returns:
    {label: {'ms': median, 'runs': [...]}} or {'error': str} per label.
  """
  handles, results = {}, {}
  for label, (runner, spec, kwargs) in entries.items():
    try:
      handles[label] = runner, runner.make(spec, **kwargs)
      runner.time(handles[label][1], warmup, clock)
    except Exception as e:
      results[label] = {'error': str(e).split('\n')[0][:300]}
      handles.pop(label, None)
  labels = list(handles)
  runs = {label: [] for label in labels}
  shuffle = random.Random(0).sample
  for _ in range(rounds):
    for label in shuffle(labels, len(labels)):
      runner, handle = handles[label]
      runs[label].append(runner.time(handle, calls, clock))
  for label in labels:
    results[label] = {'ms': statistics.median(runs[label]),
                      'runs': runs[label]}
  return {label: results[label] for label in entries}


# Formatting interleave()'s results.


def brief(results, digits):
  """One log line: each label's median ms, or its error."""
  return ', '.join('%s %s' % (label, '%.*f' % (digits, row['ms'])
                              if 'ms' in row else row['error'])
                   for label, row in results.items())


def ms_cell(results, key, digits):
  """A table cell: the median ms, 'error' if it failed, 'n/a' if not run."""
  row = results.get(key)
  if row is None:
    return 'n/a'
  return '%.*f' % (digits, row['ms']) if 'ms' in row else 'error'


def ratio_cell(results, a, b, digits):
  """A table cell: a's median over b's, 'n/a' unless both ran."""
  if 'ms' in results.get(a, {}) and 'ms' in results.get(b, {}):
    return '%.*fx' % (digits, results[a]['ms'] / results[b]['ms'])
  return 'n/a'


if __name__ == '__main__':
  serve()
