"""`python -m benchmarks ckpt`: `contrib-compat-ckpt convert` on a large checkpoint.

Writes a synthetic TF1 (V2-format, name-based) checkpoint of `--gb`
gigabytes in `--dir` (a temporary directory by default): `--big` float32
tensors of `--big-mb` MB each, the rest in 1 MB tensors, as a model zoo
checkpoint with a few huge embedding or logits matrices would be. Then, in
alternating order, `--rounds` times each:

- `contrib-compat-ckpt convert IN OUT --rename ^=renamed/` (every name
  changes), in a child process: wall time and the child's peak RSS;
- a plain copy of the same files (`shutil.copyfile`, in a child process), the
  floor for moving those bytes;
- `contrib-compat-ckpt inspect IN` (reads the index only): the RSS of a child
  that has loaded TensorFlow, the baseline of any peak above.

convert's memory follows the largest tensor and the intermediate shard size
(64 MB), not the checkpoint's size (compare runs at two --gb). The files are
deleted at the end unless `--keep` (they live in a new directory, inside
`--dir` when given).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from contrib_compat import ckpt_io

MB = 1 << 20
# convert's intermediate shard size, for the report.
SHARD_MB = ckpt_io._SHARD_BYTES // MB
# Bytes of tensors per SaveV2 call while generating: bounds this process.
_WRITE_BATCH = 256 * MB
_CHILD = r'''
import resource, subprocess, sys, time
start = time.perf_counter()
status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
print(status, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
'''
_COPY = r'''
import glob, shutil, sys
for path in glob.glob(glob.escape(sys.argv[1]) + '.*'):
  shutil.copyfile(path, sys.argv[2] + path[len(sys.argv[1]):])
'''


def make_checkpoint(prefix, gb, big, big_mb):
  """Writes the synthetic checkpoint; returns (bytes, largest, tensors)."""
  import tensorflow as tf
  total = int(gb * 1024 * MB)
  sizes = [big_mb * MB] * big
  rest = max(0, total - sum(sizes))
  sizes += [MB] * (rest // MB)
  rng = np.random.RandomState(0)
  shards, batch, batch_bytes = [], [], 0

  def flush():
    shard = '%s-part-%03d' % (prefix, len(shards))
    tf.raw_ops.SaveV2(prefix=shard, tensor_names=[n for n, _ in batch],
                      shape_and_slices=[''] * len(batch),
                      tensors=[v for _, v in batch])
    shards.append(shard)

  for i, size in enumerate(sizes):
    name = ('logits_%d/weights' % i if size > MB
            else 'layer_%04d/weights' % i)
    batch.append((name, rng.standard_normal(size // 4).astype(np.float32)))
    batch_bytes += size
    if batch_bytes >= _WRITE_BATCH:
      flush()
      batch, batch_bytes = [], 0
  if batch:
    flush()
  tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=shards,
                                destination_prefix=prefix)
  return sum(sizes), max(sizes), len(sizes)


def _child(command):
  """(wall s, peak RSS MB) of `command` run as a child of a fresh python."""
  out = subprocess.run([sys.executable, '-c', _CHILD] + command,
                       capture_output=True, text=True, check=True,
                       env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3'))
  status, wall, rss_kb = out.stdout.split()
  if status != '0':
    raise RuntimeError('%s exited with %s' % (' '.join(command), status))
  return float(wall), int(rss_kb) / 1024.0


def _remove(prefix):
  for name in os.listdir(os.path.dirname(prefix)):
    if name.startswith(os.path.basename(prefix) + '.'):
      os.remove(os.path.join(os.path.dirname(prefix), name))


def run(gb=1.0, big=3, big_mb=200, rounds=2, directory=None, keep=False,
        log=print):
  if directory:
    os.makedirs(directory, exist_ok=True)
  # A directory of its own, even inside --dir: only it is removed at the end.
  work = tempfile.mkdtemp(prefix='ckpt-bench-', dir=directory)
  source = os.path.join(work, 'model.ckpt')
  start = time.perf_counter()
  size, largest, tensors = make_checkpoint(source, gb, big, big_mb)
  log('wrote %.2f GB in %.0f s' % (size / 1024.0 / MB,
                                   time.perf_counter() - start))
  tool = [sys.executable, '-m', 'contrib_compat.ckpt']
  times = {'convert': [], 'copy': []}
  rss = {'convert': [], 'copy': [], 'inspect': []}
  try:
    for r in range(rounds):
      for what in (['convert', 'copy'] if r % 2 == 0 else ['copy', 'convert']):
        out = os.path.join(work, 'out.ckpt')
        command = (tool + ['convert', source, out, '--rename', '^=renamed/']
                   if what == 'convert' else
                   [sys.executable, '-c', _COPY, source, out])
        wall, peak = _child(command)
        times[what].append(wall)
        rss[what].append(peak)
        _remove(out)
        log('%s: %.1f s, peak RSS %.0f MB' % (what, wall, peak))
    rss['inspect'].append(_child(tool + ['inspect', source])[1])
  finally:
    if not keep:
      shutil.rmtree(work, ignore_errors=True)
  return dict(bytes=size, largest=largest, tensors=tensors, rounds=rounds, wall={k: statistics.median(v)
                                   for k, v in times.items()},
              rss={k: max(v) for k, v in rss.items() if v},
              shard_mb=SHARD_MB)


def markdown(report):
  gb = report['bytes'] / 1024.0 / MB
  convert, copy = report['wall']['convert'], report['wall']['copy']
  base = report['rss']['inspect']
  return '\n'.join([
      'Measured by `python -m benchmarks ckpt`: a synthetic %.2f GB '
      'checkpoint, %d tensors, the largest %.0f MB; medians of %d rounds, '
      'alternating order, each in a fresh child process.' % (
          gb, report['tensors'], report['largest'] / MB, report['rounds']),
      '',
      '| | wall s | MB/s | peak RSS MB |',
      '|---|---:|---:|---:|',
      '| `contrib-compat-ckpt convert` (every name renamed, written, read '
      'back and compared) | %.1f | %.0f | %.0f |' % (
          convert, report['bytes'] / MB / convert, report['rss']['convert']),
      '| plain file copy of the same bytes | %.1f | %.0f | %.0f |' % (
          copy, report['bytes'] / MB / copy, report['rss']['copy']),
      '| `contrib-compat-ckpt inspect` (TensorFlow loaded, index only) | | '
      '| %.0f |' % base,
      '',
      'convert / copy: %.2fx the time. convert peaks %.0f MB above the '
      'TensorFlow baseline (%.0f MB): %.1fx the largest tensor (%.0f MB; '
      'a tensor is held as read, as written and in the writer, and read '
      'back twice to compare), with %d MB shards; a %.0f MB checkpoint.' % (
          convert / copy, report['rss']['convert'] - base, base,
          (report['rss']['convert'] - base) / (report['largest'] / MB),
          report['largest'] / MB, report['shard_mb'], report['bytes'] / MB)])


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--gb', type=float, default=1.0)
  parser.add_argument('--big', type=int, default=3,
                      help='how many large tensors')
  parser.add_argument('--big-mb', type=int, default=200)
  parser.add_argument('--rounds', type=int, default=2)
  parser.add_argument('--dir', default=None)
  parser.add_argument('--keep', action='store_true')
  parser.add_argument('--readme', action='store_true')
  args = parser.parse_args(argv)
  report = run(args.gb, args.big, args.big_mb, args.rounds, args.dir,
               args.keep, log=lambda s: print(s, file=sys.stderr, flush=True))
  from benchmarks import readme
  readme.publish('ckpt', markdown(report), args.readme)
  return 0


if __name__ == '__main__':
  sys.exit(main())
