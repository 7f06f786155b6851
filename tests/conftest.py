"""Shared fixtures: a fresh TF1-style graph per test, paths to fixtures."""
import logging
import pathlib

import pytest
import tensorflow.compat.v1 as tf

REPO = pathlib.Path(__file__).resolve().parent.parent
# Real TF1 artefacts, each folder with a SOURCE.md (origin, commit, licence).
DATA = REPO / 'tests' / 'data'
TF113_FIXTURE = DATA / 'tf1.13-ssd-mobilenet-v2'

# Modules whose tests compare numbers TensorFlow's CPU kernels compute: marked
# `numeric`, which .ci/run runs a second time with oneDNN switched the other
# way (TF_ENABLE_ONEDNN_OPTS), so that either CPU kind is exercised anywhere.
NUMERIC_MODULES = frozenset([
    'test_demo', 'test_models', 'test_models_mobilenet_v1', 'test_normalization',
    'test_separable', 'test_tf2', 'test_mixed_precision', 'test_numerics',
    'test_quantize',
    'test_keras_export', 'test_run',
    'test_checkpoint_roundtrip', 'test_deploy', 'test_differential_separable',
    'test_golden_separable', 'test_savedmodel', 'test_tf113_fixture',
    'test_tf1_differential', 'test_tf1_graphs', 'test_tf1_image',
    'test_quantize_mobilenet_v1', 'test_tf1_quantize', 'test_tf1_reference',
    'test_xla', 'test_make_template', 'test_tf1_opt',
])


# Modules whose tests start interpreters (tools, runner, clusters, tf-slim's
# own suites, TF 1.15): all marked `slow`, so that `python -m pytest -q -m
# "not slow"` is the quick local loop. CI runs everything.
SUBPROCESS_MODULES = frozenset([
    'test_benchmarks', 'test_checkpoint_roundtrip', 'test_cli', 'test_docs',
    'test_gpu_check', 'test_migrate_cache', 'test_migrate_files',
    'test_readme', 'test_run', 'test_object_detection_api',
    'test_distribute', 'test_parameter_server', 'test_tf1_differential',
    'test_tf_slim_layers_suite', 'test_tf_slim_nets_suite', 'test_tf1_opt',
    'test_generate',
])


def pytest_collection_modifyitems(items):
  for item in items:
    module = item.module.__name__.rsplit('.', 1)[-1]
    if module in NUMERIC_MODULES:
      item.add_marker(pytest.mark.numeric)
    if module in SUBPROCESS_MODULES:
      item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _own_migrate_cache(tmp_path_factory, monkeypatch):
  """Each test (and the tools it runs) gets an empty migrate cache."""
  monkeypatch.setenv('CONTRIB_COMPAT_CACHE_DIR',
                     str(tmp_path_factory.mktemp('migrate-cache')))


@pytest.fixture
def installed():
  """`contrib_compat.install()` for the test (tf.contrib), undone after."""
  import contrib_compat
  module = contrib_compat.install()
  try:
    yield module
  finally:
    contrib_compat.uninstall()


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
