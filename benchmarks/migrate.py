"""`python -m benchmarks migrate --tree DIR`: migration against tf_upgrade_v2.

Both tools rewrite the same real TF1 tree in place (`contrib-compat-migrate
--write` and TensorFlow's own `tf_upgrade_v2 --intree --inplace`), each on a
fresh copy per round, in alternating order; then contrib-compat-migrate runs
again on its own output, twice (the "nothing left to do" runs: the second
parses again the files the first changed, the third finds every file in the
cache of files left unchanged; each round starts with an empty cache). Times are the
child processes' CPU time (user + system, all their processes) and wall
time, medians over the rounds, all in one run. Nothing is downloaded or
committed: point `--tree` at a TF1-era tree, e.g. unpacked PyPI releases of
magenta 1.1.7, tensor2tensor 1.15.7, tensorpack 0.9.8, dm-sonnet 1.35
(`pip download --no-deps ...`).

`--large MB` times one generated file of that size with one tf.contrib use
instead (a generated module of small functions; libcst sees only what can
change: contrib_compat/migrate/slices.py).
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def large_file(size):
  """A TF1 module of about `size` bytes: `slim = tf.contrib.slim`, then
  plain functions, then one slim call."""
  head = b'import tensorflow as tf\nslim = tf.contrib.slim\n\n'
  tail = b'net = slim.conv2d(tf.zeros([1, 4, 4, 3]), 4, [3, 3])\n'
  parts, total, i = [head], len(head) + len(tail), 0
  while total < size:
    part = (b'def f%d(x, y=3):\n    """Doc %d."""\n    z = [x * k + y for k '
            b'in range(10)]\n    return {"a": z, "b": (x, y, %d)}\n\n\n' %
            (i, i, i))
    parts.append(part)
    total += len(part)
    i += 1
  return b''.join(parts + [tail])


def _timed(command, cache_dir):
  """(wall seconds, CPU seconds) of `command` and its children."""
  before = resource.getrusage(resource.RUSAGE_CHILDREN)
  start = time.perf_counter()
  subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                 check=False, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3',
                                       CONTRIB_COMPAT_CACHE_DIR=cache_dir))
  wall = time.perf_counter() - start
  after = resource.getrusage(resource.RUSAGE_CHILDREN)
  cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
  return wall, cpu


def _commands(copy, jobs):
  ours = [sys.executable, '-m', 'contrib_compat.migrate', '--write', copy]
  if jobs:
    ours += ['--jobs', str(jobs)]
  theirs = [shutil.which('tf_upgrade_v2') or 'tf_upgrade_v2', '--intree',
            copy, '--inplace', '--reportfile', os.path.join(copy, '..',
                                                            'report.txt')]
  return {'contrib-compat-migrate': ours, 'tf_upgrade_v2': theirs}


def run(tree, rounds, jobs=None, log=print):
  """Median (wall, CPU) per tool, and of the second (no-op) run of ours."""
  files = sum(name.endswith('.py') for _, _, names in os.walk(tree)
              for name in names)
  ours = 'contrib-compat-migrate'
  times = {ours: [], 'tf_upgrade_v2': [], ours + ', second run': [],
           ours + ', third run': []}
  for r in range(rounds):
    order = sorted([ours, 'tf_upgrade_v2'], reverse=bool(r % 2))
    for tool in order:
      with tempfile.TemporaryDirectory() as work:
        copy = os.path.join(work, 'tree')
        shutil.copytree(tree, copy, symlinks=True)
        # A cold cache for the first run, kept for the runs after it.
        cache_dir = os.path.join(work, 'cache')
        times[tool].append(_timed(_commands(copy, jobs)[tool], cache_dir))
        if tool == ours:
          for again in ('second', 'third'):
            times['%s, %s run' % (ours, again)].append(
                _timed(_commands(copy, jobs)[tool], cache_dir))
    log('round %d/%d done' % (r + 1, rounds))
  medians = {tool: (statistics.median(w for w, _ in t),
                    statistics.median(c for _, c in t))
             for tool, t in times.items()}
  return files, medians


def report(files, medians, jobs):
  ours_wall, ours_cpu = medians['contrib-compat-migrate']
  theirs_wall, theirs_cpu = medians['tf_upgrade_v2']
  again_wall, again_cpu = medians['contrib-compat-migrate, second run']
  third_wall, third_cpu = medians['contrib-compat-migrate, third run']
  lines = ['%d .py files, %s process(es) for contrib-compat-migrate' % (
      files, jobs or os.cpu_count()),
           '| run | wall s | CPU s | files/s (wall) |', '|---|---:|---:|---:|']
  for tool, (wall, cpu) in medians.items():
    lines.append('| %s | %.1f | %.1f | %.0f |' % (tool, wall, cpu,
                                                  files / wall))
  lines.append('ratios: CPU ours/tf_upgrade_v2 %.2fx, wall %.2fx; second run '
               '/ first run %.2fx wall, %.2fx CPU; third run / first run '
               '%.2fx wall, %.2fx CPU' % (
                   ours_cpu / theirs_cpu, ours_wall / theirs_wall,
                   again_wall / ours_wall, again_cpu / ours_cpu,
                   third_wall / ours_wall, third_cpu / ours_cpu))
  return '\n'.join(lines)


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  source = parser.add_mutually_exclusive_group(required=True)
  source.add_argument('--tree', help='a TF1-era source tree')
  source.add_argument('--large', type=float, metavar='MB',
                      help='one generated file of MB megabytes instead')
  parser.add_argument('--rounds', type=int, default=3)
  parser.add_argument('--jobs', type=int, default=None,
                      help='contrib-compat-migrate --jobs (default: CPUs)')
  args = parser.parse_args(argv)
  with tempfile.TemporaryDirectory() as generated:
    tree = args.tree
    if args.large:
      tree = generated
      with open(os.path.join(generated, 'large.py'), 'wb') as f:
        f.write(large_file(int(args.large * 1e6)))
    files, medians = run(tree, args.rounds, args.jobs,
                         log=lambda s: print(s, file=sys.stderr, flush=True))
  print(report(files, medians, args.jobs))
  return 0


if __name__ == '__main__':
  sys.exit(main())
