"""What every golden producer shares: its command line, how it writes, and
the one-thread session of those that train.

A producer (one module per family in generate.FAMILIES) runs under its
reference stack -- real TF 1.15 on Python 3.7, or the oracle TF 2.12.1 +
tf-slim 1.1.0 -- so this module is Python 3.7 code that imports no
TensorFlow (`one_thread` takes the caller's).
`generate.py` runs a producer as `PRODUCER --out DIR`, and the producer
writes each file at its path in the repository, below DIR; generate.py then
compares those files with the committed ones (`--check`) or puts them in
place.
"""
import argparse
import json
import os


def arguments(doc, describe=False):
  """The producer's parser: --out DIR, and --describe where it has one."""
  parser = argparse.ArgumentParser(
      description=doc.split('\n\n')[0],
      epilog='Run through tests/conformance/generate.py, which checks or '
      'installs what this writes.')
  parser.add_argument('--out', metavar='DIR', required=not describe,
                      help='write the files at their repository paths '
                      'below DIR')
  if describe:
    parser.add_argument('--describe', action='store_true',
                        help='JSON cases on stdin, descriptions on stdout')
  return parser


def path(out, relpath):
  """`relpath` (from the repository root) below `out`, its folder made."""
  full = os.path.join(out, relpath)
  if not os.path.isdir(os.path.dirname(full)):
    os.makedirs(os.path.dirname(full))
  return full


def one_thread(tf):
  """A session config running on one thread, for producers that train.

  Multi-threaded sums round differently from run to run, and training
  amplifies it; on one thread TF 1.15 writes the same bytes every time, so
  `generate.py --check` can compare them.
  """
  return tf.ConfigProto(intra_op_parallelism_threads=1,
                        inter_op_parallelism_threads=1)


def write_text(out, relpath, text):
  with open(path(out, relpath), 'w') as f:
    f.write(text)


def write_json(out, relpath, document):
  """Indented, sorted-key JSON: diffs of a regenerated golden stay small."""
  write_text(out, relpath, json.dumps(document, indent=1, sort_keys=True)
             + '\n')
