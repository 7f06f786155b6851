"""Shared fixtures: a fresh TF1-style graph per test, paths to fixtures."""
import logging
import pathlib

import pytest
import tensorflow.compat.v1 as tf

REPO = pathlib.Path(__file__).resolve().parent.parent
# Real TF1 artefacts, each folder with a SOURCE.md (origin, commit, licence).
DATA = REPO / 'tests' / 'data'
TF113_FIXTURE = DATA / 'tf1.13-ssd-mobilenet-v2'


@pytest.fixture(autouse=True)
def _own_migrate_cache(tmp_path_factory, monkeypatch):
  """Each test (and the tools it runs) gets an empty migrate cache."""
  monkeypatch.setenv('CONTRIB_COMPAT_CACHE_DIR',
                     str(tmp_path_factory.mktemp('migrate-cache')))


@pytest.fixture
def graph():
  """A fresh graph, made default: TF1 graph-mode semantics inside."""
  g = tf.Graph()
  with g.as_default():
    yield g


@pytest.fixture
def tf_warnings():
  """Records WARNING+ records that TensorFlow logs (deprecations go there)."""
  records = []

  class _Collect(logging.Handler):

    def emit(self, record):
      records.append(record)

  handler = _Collect(level=logging.WARNING)
  logger = logging.getLogger('tensorflow')
  logger.addHandler(handler)
  try:
    yield records
  finally:
    logger.removeHandler(handler)


@pytest.fixture
def tf113_fixture():
  if not (TF113_FIXTURE / 'model.ckpt.meta').exists():
    pytest.fail('TF 1.13 fixture missing at %s (it is part of the repository)'
                % TF113_FIXTURE)
  return TF113_FIXTURE
