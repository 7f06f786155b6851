"""The golden data of the conformance tests: one registry, one command.

    python tests/conformance/generate.py [FAMILY ...] [--check] [--list]

  FAMILY   which families to make (default: all); `--list` names them.
  --check  write nothing; exit 1 naming every committed file that differs
           from what its reference makes now, is missing, or is no longer
           made.

A family is a set of committed files made by one producer module under the
stack that is the reference for it (FAMILIES below):

  tf1      real TensorFlow 1.15 on Python 3.7, $CONTRIB_COMPAT_TF1_PYTHON
           (default /tmp/tf115/bin/python; see DEVELOPERS.md)
  oracle   TF 2.12.1 + tf-slim 1.1.0, the last stack where tf-slim's layers
           build, $CONTRIB_COMPAT_ORACLE (default /tmp/oracle)

This script needs neither: it runs `PRODUCER --out TMP` with the family's
interpreter, then compares TMP's files with the repository's or moves them
in (each replaced whole, through a temporary file). Each golden records the
versions that made it. A new family is a producer (see golden_io.py) and
one entry here.
"""
import argparse
import dataclasses
import fnmatch
import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
if __package__ in (None, ''):
  sys.path.insert(0, REPO)

GOLDEN = 'tests/conformance/golden/'


def _tf1_python():
  return os.environ.get('CONTRIB_COMPAT_TF1_PYTHON', '/tmp/tf115/bin/python')


def _oracle_python():
  return os.path.join(os.environ.get('CONTRIB_COMPAT_ORACLE', '/tmp/oracle'),
                      'bin', 'python')


STACKS = {'tf1': _tf1_python, 'oracle': _oracle_python}


def _od_api_lib(work):
  """The Object Detection API and research/slim's nets, from PyPI."""
  from tests.helpers import od_api
  return ['--lib', od_api.unpack(work)]


@dataclasses.dataclass(frozen=True)
class Family:
  """One producer and the committed files it owns.

  Attributes:
    name: what `generate.py NAME` calls it.
    stack: a key of STACKS, the reference it is made with.
    producer: the module (in tests/conformance) run as `PRODUCER --out DIR`.
    files: glob patterns, from the repository root, of the files it owns.
    excludes: patterns among those that other families own.
    inputs: given a scratch folder, more arguments for the producer.
    about: one line for --list.
  """
  name: str
  stack: str
  producer: str
  files: tuple
  excludes: tuple = ()
  inputs: object = None
  about: str = ''

  def owns(self, relpath):
    return (any(fnmatch.fnmatch(relpath, p) for p in self.files) and
            not any(fnmatch.fnmatch(relpath, p) for p in self.excludes))


FAMILIES = (
    Family('tf1', 'tf1', 'tf1_reference.py',
           (GOLDEN + 'tf1_*.json', 'tests/data/tf1.15-reference/*/model.*'),
           excludes=(GOLDEN + 'tf1_quantize_*', GOLDEN + 'tf1_image.json'),
           about='separable_conv2d / batch_norm cases: graph, collections, '
           'numbers, and TF 1.15 checkpoints of their variables'),
    Family('tf1_quantize', 'tf1', 'tf1_quantize.py',
           (GOLDEN + 'tf1_quantize_*.json',),
           about='tf.contrib.quantize rewrites of small slim models'),
    Family('tf1_image', 'tf1', 'tf1_image.py', (GOLDEN + 'tf1_image.json',),
           about='tf.contrib.image on seeded random inputs'),
    Family('tf1_opt', 'tf1', 'tf1_moving_average.py',
           (GOLDEN + 'opt_*.json',),
           about='tf.contrib.opt.MovingAverageOptimizer: graph, values, the '
           'swapping saver\'s checkpoint'),
    Family('tf1_quantize_mobilenet', 'tf1', 'tf1_quantize_mobilenet.py',
           ('tests/data/tf1.15-quantize-mobilenet-v1/model.*',
            'tests/data/tf1.15-quantize-mobilenet-v1/frozen.pb',
            'tests/data/tf1.15-quantize-mobilenet-v1/model.tflite',
            'tests/data/tf1.15-quantize-mobilenet-v1/expected.json'),
           about='a quantization-aware MobileNet v1: checkpoint, frozen '
           'graph, TOCO .tflite, losses and outputs'),
    Family('od_api_step', 'tf1', 'od_api_train_step.py',
           (GOLDEN + 'od_api_ssd_mobilenet_v2_step.json',),
           inputs=_od_api_lib,
           about='two training steps of the Object Detection API\'s SSD '
           'MobileNet v2 (downloads the API from PyPI)'),
    Family('separable', 'oracle', 'oracle_separable.py',
           (GOLDEN + 'separable_*.json',),
           about='tf_slim.separable_conv2d configurations'),
    Family('models', 'oracle', 'oracle_models.py',
           (GOLDEN + 'models_*.json',),
           about='variable lists of the slim-style models built by tf_slim'),
)
BY_NAME = {f.name: f for f in FAMILIES}


def committed(family):
  """The repository files `family` owns now, as repository paths."""
  found = set()
  for pattern in family.files:
    found.update(os.path.relpath(p, REPO)
                 for p in glob.glob(os.path.join(REPO, pattern)))
  return sorted(p for p in found if family.owns(p))


def _made(out):
  return sorted(os.path.relpath(os.path.join(root, name), out)
                for root, _, names in os.walk(out) for name in names)


def _same(a, b):
  with open(a, 'rb') as fa, open(b, 'rb') as fb:
    return fa.read() == fb.read()


def make(family, work):
  """Runs `family`'s producer into `work`/out; (that folder, its files).

  Raises:
    RuntimeError: the stack is not installed, the producer failed, or it
      wrote a file the family does not own.
  """
  python = STACKS[family.stack]()
  if not os.path.exists(python):
    raise RuntimeError('%s needs the %s stack, not found at %s (see '
                       'DEVELOPERS.md)' % (family.name, family.stack, python))
  out = os.path.join(work, 'out')
  extra = family.inputs(os.path.join(work, 'inputs')) if family.inputs else []
  env = {k: v for k, v in os.environ.items() if k != 'TF2_BEHAVIOR'}
  env.update(PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION='python',
             TF_CPP_MIN_LOG_LEVEL='2')
  run = subprocess.run(
      [python, os.path.join(HERE, family.producer), '--out', out] + extra,
      cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      universal_newlines=True, check=False)
  if run.returncode:
    raise RuntimeError('%s: %s exited %d:\n%s' % (
        family.name, family.producer, run.returncode, run.stderr[-3000:]))
  made = _made(out)
  strays = [p for p in made if not family.owns(p)]
  if strays:
    raise RuntimeError('%s: %s wrote files it does not own: %s'
                       % (family.name, family.producer, strays))
  return out, made


def differences(family, out, made):
  """[(repository path, why)] where the repository is not what was made."""
  found = []
  for relpath in made:
    mine = os.path.join(REPO, relpath)
    if not os.path.exists(mine):
      found.append((relpath, 'missing'))
    elif not _same(mine, os.path.join(out, relpath)):
      found.append((relpath, 'differs'))
  found += [(p, 'no longer made') for p in committed(family)
            if p not in made]
  return found


def install(family, out, made):
  """Puts the made files in place, each whole; removes what is not made."""
  for relpath in made:
    target = os.path.join(REPO, relpath)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    staged = target + '.generating'
    shutil.copyfile(os.path.join(out, relpath), staged)
    os.replace(staged, target)
  for relpath in committed(family):
    if relpath not in made:
      os.remove(os.path.join(REPO, relpath))


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('families', nargs='*', metavar='FAMILY')
  parser.add_argument('--check', action='store_true')
  parser.add_argument('--list', action='store_true')
  args = parser.parse_args(argv)
  unknown = [f for f in args.families if f not in BY_NAME]
  if unknown:
    parser.error('unknown families %s; known: %s'
                 % (unknown, ', '.join(BY_NAME)))
  if args.list:
    for family in FAMILIES:
      print('%-24s %-7s %s' % (family.name, family.stack, family.about))
    return 0
  stale = []
  for name in args.families or list(BY_NAME):
    family = BY_NAME[name]
    with tempfile.TemporaryDirectory() as work:
      try:
        out, made = make(family, work)
      except RuntimeError as e:
        print('generate.py: %s' % e, file=sys.stderr)
        return 2
      if args.check:
        found = differences(family, out, made)
        stale += found
        print('%s: %d files, %s' % (name, len(made), '%d differ' % len(found)
                                    if found else 'all as committed'))
      else:
        install(family, out, made)
        print('%s: wrote %d files' % (name, len(made)))
  for relpath, why in stale:
    print('  %s: %s' % (why, relpath))
  return 1 if stale else 0


if __name__ == '__main__':
  sys.exit(main())
