"""contrib_compat/migrate/slices.py: large files, libcst on what can change.

Sliced or whole, a file migrates to the same bytes, notes and counts
(test_migrate*.py also passed with every file sliced, MIN_BYTES = 0, when
slicing was written); a large file's libcst input is what can change.
Timing lives in `python -m benchmarks migrate --large 4.1`.
"""
import pytest

from benchmarks import migrate as migrate_benchmark
from contrib_compat.migrate import rewrite
from contrib_compat.migrate import slices

MIXED = b'''#!/usr/bin/env python
"""A module docstring."""
# -*- a comment before the imports -*-
import os
import tensorflow as tf
fw = tf.contrib.framework
X = 1; Y = 2


def plain(a):
  """Mentions nothing to rewrite."""
  return a + X


@decorator(
    1)
def decorated(b):
  return fw.nest.flatten(b)


class Model(object):
  # a comment inside
  def layer(self, x):
    return tf.contrib.layers.batch_norm(x)

  def other(self):
    return tf.nn.relu(1)


def nested_import():
  import numpy as np
  return np


def dense(x):
  return tf.layers.dense(x, 3)


def uses_unknown():
  return tf.contrib.distributions.Normal(0., 1.)
# a trailing comment
'''


def _both(monkeypatch, source, spliced=True):
  """(sliced, whole) results; asserts whether a slice was put back."""
  put_back = []
  real = slices.Sliced.splice

  def splice(self, rewritten):
    put_back.append(real(self, rewritten))
    return put_back[-1]

  monkeypatch.setattr(slices.Sliced, 'splice', splice)
  monkeypatch.setattr(slices, 'MIN_BYTES', 0)
  sliced = rewrite.rewrite_sources([source])
  assert any(out is not None for out in put_back) == spliced
  monkeypatch.setattr(slices, 'MIN_BYTES', float('inf'))
  whole = rewrite.rewrite_sources([source])
  return sliced, whole


@pytest.mark.parametrize('source', [
    MIXED,
    MIXED.replace(b'import tensorflow as tf', b'import tensorflow.compat.v1 '
                  b'as tf'),
    # No contrib: only the switch to compat.v1.
    b'import tensorflow as tf\n\n\ndef f():\n  return 1\n\n\n'
    b'x = tf.placeholder(tf.float32)\n',
    migrate_benchmark.large_file(3000),
], ids=['mixed', 'on_v1', 'switch_only', 'generated'])
def test_sliced_and_whole_give_the_same_migration(monkeypatch, source):
  sliced, whole = _both(monkeypatch, source)
  assert sliced.outputs == whole.outputs
  assert sliced.counts == whole.counts
  assert sliced.notes == whole.notes
  assert sliced.outputs[0] != source  # something was migrated


def test_a_large_file_gives_libcst_only_what_can_change(monkeypatch):
  source = migrate_benchmark.large_file(2 * slices.MIN_BYTES)
  given = []
  real = rewrite._parse

  def parse(index, text):
    given.append(len(text))
    return real(index, text)

  monkeypatch.setattr(rewrite, '_parse', parse)
  result = rewrite.rewrite_sources([source])
  assert b'from contrib_compat import slim' in result.outputs[0]
  assert given and max(given) < 1000 < len(source)


def test_unexpected_output_falls_back_to_the_whole_file(monkeypatch):
  # A comment that looks like a marker: the stand-in cannot be put back.
  source = MIXED.replace(b'# -*- a comment before the imports -*-',
                         b'#@contrib-compat-migrate-chunk 3')
  sliced, whole = _both(monkeypatch, source, spliced=False)
  assert sliced.outputs == whole.outputs


def test_small_files_crlf_and_no_final_newline_are_not_sliced():
  import ast
  assert slices.slice_module(MIXED, ast.parse(MIXED)) is None  # small
  big = migrate_benchmark.large_file(2 * slices.MIN_BYTES)
  assert slices.slice_module(big, ast.parse(big)) is not None
  for variant in (big.replace(b'\n', b'\r\n'), big.rstrip(b'\n')):
    assert slices.slice_module(variant, ast.parse(variant)) is None
