"""`import contrib_compat` cost on top of `import tensorflow`.

Each sample is a fresh interpreter that imports TensorFlow (and, in the
second variant, tf_slim) first, then times `import contrib_compat` alone.
"""
import os
import statistics
import subprocess
import sys

from benchmarks import readme

VARIANTS = {
    'after `import tensorflow`': 'import tensorflow',
    'after `import tensorflow, tf_slim`': 'import tensorflow, tf_slim',
}
_CODE = '''
%s
import time
start = time.perf_counter()
import contrib_compat
print(1000.0 * (time.perf_counter() - start))
'''


def sample(preamble):
  """Milliseconds `import contrib_compat` takes in a fresh interpreter."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='3',
             PYTHONPATH=os.pathsep.join(
                 filter(None, [str(readme.REPO),
                               os.environ.get('PYTHONPATH')])))
  out = subprocess.run([sys.executable, '-c', _CODE % preamble], env=env,
                       capture_output=True, text=True, check=True,
                       cwd=readme.REPO).stdout
  return float(out.strip().splitlines()[-1])


def run(repeats, log=print):
  """Median import time per variant, variants interleaved.

  Returns:
    A list of dicts: variant, ms (median), runs.
  """
  times = {variant: [] for variant in VARIANTS}
  for _ in range(repeats):
    for variant, preamble in VARIANTS.items():
      times[variant].append(sample(preamble))
  log('import: %s' % ', '.join('%s %.1f ms' % (v, statistics.median(t))
                               for v, t in times.items()))
  return [dict(variant=v, ms=statistics.median(t), runs=t)
          for v, t in times.items()]
