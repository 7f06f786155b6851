"""Smoke tests: the benchmarks and tools/compat_matrix run at tiny sizes.

Nothing here looks at a timing; the checks are on what the benchmarks build
and write (node counts, tables, the chart, the README markers).
"""
import collections
import importlib.machinery
import importlib.util
import warnings

import pytest

from benchmarks import build
from benchmarks import import_time
from benchmarks import layers
from benchmarks import readme
from benchmarks import report
from benchmarks import run
from benchmarks import step
from tests.conftest import REPO


@pytest.fixture(scope='module')
def build_results():
  return build.run((2, 3), {2: 1, 3: 1}, log=lambda _: None)


def test_build_compares_layers_building_the_same_nodes(build_results):
  assert {r['impl'] for r in build_results} == set(layers.ORDER)
  assert len(build_results) == 2 * 2 * len(layers.ORDER)
  for branch in build.BRANCHES:
    nodes = {r['impl']: r['nodes_per_layer'] for r in build_results
             if r['branch'] == branch and r['layers'] == 3}
    # The floor is only a floor if it builds what the layer builds.
    assert len(set(nodes.values())) == 1, nodes
  assert all(r['ms_per_layer'] > 0 for r in build_results)


def test_step_runs_every_layer_in_graph_and_function_mode():
  with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    results = step.run(1, 1, batch=2, size=16, blocks=step.TINY_BLOCKS,
                       modes=['tf.Session', 'tf.function'], log=lambda _: None)
  assert len(results) == 2 * len(layers.ORDER)
  ours = [r for r in results if r['impl'] in ('contrib_compat', 'raw')]
  assert all('ms_per_step' in r for r in ours), ours


def test_import_time_sample_is_a_number():
  assert import_time.sample('import tensorflow') > 0


def test_report_writes_tables_targets_chart_and_readme(build_results,
                                                        tmp_path):
  fake_step = [dict(mode='tf.Session', impl=i, ms_per_step=10.0)
               for i in layers.ORDER]
  fake_import = [dict(variant='after `import tensorflow`', ms=60.0,
                      runs=[60.0])]
  page = tmp_path / 'README.md'
  page.write_text('# x\n\n<!-- perf:begin -->\nold\n<!-- perf:end -->\ntail\n')
  body, written = run.write(
      dict(build=build_results, step=fake_step, imports=fake_import),
      run.QUICK, readme_path=page, chart_path=tmp_path / 'chart.png',
      json_path=tmp_path / 'results.json')
  text = page.read_text()
  assert 'old' not in text and text.endswith('<!-- perf:end -->\ntail\n')
  assert '| depthwise (num_outputs=None) | 3 |' in body
  assert 'import overhead < 50 ms (after `import tensorflow`) | 60.0 ms | ' \
         '**FAIL**' in body
  assert 'step time <= 1.02x raw floor, tf.Session | 1.000x | pass' in body
  assert (tmp_path / 'chart.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
  assert written[0] == page and (tmp_path / 'results.json').exists()


def test_readme_without_markers_goes_to_the_fallback(tmp_path):
  page = tmp_path / 'README.md'
  page.write_text('no markers\n')
  written = readme.update_readme('perf', 'table', tmp_path / 'R.md', page)
  assert written == tmp_path / 'R.md'
  assert page.read_text() == 'no markers\n'
  assert (tmp_path / 'R.md').read_text() == 'table\n'


def test_replace_between_markers_keeps_everything_else():
  text = 'a\n<!-- compat:begin -->\nx\n<!-- compat:end -->\nb\n'
  assert readme.replace_between_markers(text, 'compat', 'y\n') == (
      'a\n<!-- compat:begin -->\ny\n<!-- compat:end -->\nb\n')
  assert readme.replace_between_markers(text, 'perf', 'y') is None


def test_targets_fail_when_ours_is_slower_than_the_floor():
  fake = [dict(branch='b', layers=n, impl=i, ms_per_layer=ms,
               nodes_per_layer=1)
          for n, i, ms in [(10, 'contrib_compat', 2.0), (10, 'raw', 1.0),
                           (100, 'contrib_compat', 2.0), (100, 'raw', 1.0)]]
  rows = {t: ok for t, _, ok in report.targets(build=fake)}
  assert rows == {'build time/layer <= 1.10x raw floor, b': False,
                  'build time/layer at 100 layers <= 1.3x that at 10, b': True}


def _compat_matrix():
  loader = importlib.machinery.SourceFileLoader(
      'compat_matrix', str(REPO / 'tools' / 'compat_matrix'))
  spec = importlib.util.spec_from_loader('compat_matrix', loader)
  module = importlib.util.module_from_spec(spec)
  loader.exec_module(module)
  return module


def test_compat_matrix_counts_junit_and_writes_a_table(tmp_path):
  matrix = _compat_matrix()
  junit = tmp_path / 'junit.xml'
  junit.write_text(
      '<testsuites><testsuite>'
      '<testcase classname="t.a" name="ok"/>'
      '<testcase classname="t.a" name="bad"><failure message="x"/></testcase>'
      '<testcase classname="t.b" name="err"><error message="x"/></testcase>'
      '<testcase classname="t.b" name="skip"><skipped type="pytest.skip"/>'
      '</testcase>'
      '<testcase classname="t.b" name="xf"><skipped type="pytest.xfail"/>'
      '</testcase></testsuite></testsuites>')
  counts, failing = matrix._junit_counts(junit)
  assert counts == dict(passed=1, failed=1, skipped=1, xfailed=1, errors=1)
  assert failing == ['t.a::bad', 't.b::err']
  body = matrix.table(
      [dict(package='tensorflow-cpu', version='2.16.2', tf='2.16.2',
            python='3.11', status='ran', failing=failing, date='2026-01-01',
            source='abc1234', tests=['tests'], **counts),
       dict(package='tensorflow-cpu', version='2.13.1',
            status='install failed')])
  assert ('| 2.16.2 | 3.11 | 1 | 1 | 1 | 1 | 1 | 2026-01-01 | `abc1234` | '
          '`tests` |') in body
  assert '| 2.13.1 |  | install failed |' in body
  assert body.index('2.13.1') < body.index('2.16.2')
  assert '`t.a::bad`' in body


def test_compat_matrix_merges_rows_of_earlier_runs(tmp_path):
  matrix = _compat_matrix()
  old = tmp_path / 'old.json'
  old.write_text('{"date": "2026-01-01", "source": "aaa", "tests": ["tests"],'
                 ' "results": [{"package": "tensorflow-cpu", '
                 '"version": "2.13.1", "status": "ran"}, '
                 '{"package": "tensorflow-cpu", "version": "2.21.0", '
                 '"status": "ran"}]}')
  rows = matrix.load_results(old)
  assert rows[0]['source'] == 'aaa' and rows[0]['date'] == '2026-01-01'
  merged = matrix.merge(rows, [dict(package='tensorflow-cpu',
                                    version='2.21.0', status='new')])
  assert [(r['version'], r['status']) for r in merged] == [
      ('2.13.1', 'ran'), ('2.21.0', 'new')]


def test_compat_matrix_rejects_an_option_given_as_a_version(capsys):
  matrix = _compat_matrix()
  with pytest.raises(SystemExit) as exit_info:
    matrix.main(['--', '2.16.2', '--list'])
  assert exit_info.value.code == 2
  assert "not a TensorFlow version: '--list'" in capsys.readouterr().err


def test_compat_matrix_names_the_core_selection(tmp_path):
  matrix = _compat_matrix()
  row = dict(package='tensorflow-cpu', version='2.14.1', tf='2.14.1',
             python='3.11', status='ran', failing=[], date='2026-01-01',
             source='abc1234', tests=list(matrix.CORE_TESTS), passed=1,
             failed=0, errors=0, skipped=0, xfailed=0)
  body = matrix.table([row])
  assert '| `abc1234` | `core` |' in body
  assert '`core`: `tests/test_separable.py`' in body


def test_compat_matrix_versions_after_a_selection_stay_versions():
  # `--tests core 2.14.1` once read 2.14.1 as a test path, ran every release
  # with no tests and recorded 0 passed.
  args = _compat_matrix().parse_args(['--tests', 'core', '2.14.1', '2.15.1'])
  assert args.versions == ['2.14.1', '2.15.1']
  assert args.tests == _compat_matrix().CORE_TESTS


def test_compat_matrix_tests_resolve_to_existing_paths(capsys):
  matrix = _compat_matrix()
  assert matrix.parse_args([]).tests == ['tests']
  args = matrix.parse_args(['--tests', 'tests/test_argscope.py', '--tests',
                            'tests/test_variables.py::test_x', '2.21.0'])
  assert args.tests == ['tests/test_argscope.py',
                        'tests/test_variables.py::test_x']
  with pytest.raises(SystemExit):
    matrix.parse_args(['--tests', 'tests/no_such_test.py', '2.21.0'])
  assert 'no such test path: tests/no_such_test.py' in capsys.readouterr().err


def test_compat_matrix_counts_only_runs_that_ran(tmp_path):
  matrix = _compat_matrix()
  junit = tmp_path / 'junit.xml'
  junit.write_text('<testsuites><testsuite><testcase classname="t" name="a"/>'
                   '</testsuite></testsuites>')
  assert matrix._test_outcome(1, junit)['status'] == 'ran'
  assert matrix._test_outcome(0, junit)['passed'] == 1
  # pytest 4: a path it could not find; 5: nothing collected.
  assert matrix._test_outcome(4, junit) == {'status': 'pytest exit 4'}
  assert matrix._test_outcome(0, tmp_path / 'none.xml') == {
      'status': 'pytest exit 0'}


def test_step_rotates_build_and_run_order(monkeypatch):
  built, ran = [], []

  def make(impl, xla, batch, size, blocks):
    del xla, batch, size, blocks
    built.append(impl)
    return lambda: ran.append(impl)

  monkeypatch.setattr(step, 'MODES', {'fake': (make, False)})
  results = step.run(6, 1, modes=['fake'], impls=('a', 'b', 'c'),
                     log=lambda _: None)
  assert built == ['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']
  # Per trial: 3 warm-up calls each, then 2 rounds whose order rotates.
  rounds = [ran[9:12], ran[12:15], ran[24:27], ran[27:30], ran[39:42],
            ran[42:45]]
  assert rounds == [['a', 'b', 'c'], ['b', 'c', 'a'], ['b', 'c', 'a'],
                    ['c', 'a', 'b'], ['c', 'a', 'b'], ['a', 'b', 'c']]
  assert [len(r['runs']) for r in results] == [6, 6, 6]


def test_batch_norm_floor_builds_the_very_same_graph():
  """The raw floor is a floor only if it builds what batch_norm builds."""
  from benchmarks import batch_norm
  import tensorflow.compat.v1 as tf

  def nodes(norm, is_training):
    graph = tf.Graph()
    with graph.as_default():
      inputs = tf.placeholder(tf.float32, [8, 8, 8, 16])
      batch_norm.NORMS[norm](inputs, is_training, 'bn', 'NHWC')
    return sorted(n.SerializeToString(deterministic=True)
                  for n in graph.as_graph_def().node)

  for is_training in (True, False):
    ours = nodes('contrib_compat', is_training)
    assert len(ours) > 20
    assert ours == nodes('raw', is_training)


def test_batch_norm_benchmark_reports_build_and_steps_without_the_oracle():
  from benchmarks import batch_norm
  result = batch_norm.run(quick=True, dtypes=('float32', 'float16'),
                          oracle=False, log=lambda _: None)
  assert set(result['build']) == {'contrib_compat', 'raw'}
  assert all(r['ms'] > 0 for r in result['build'].values())
  assert [(s['dtype'], s['training']) for s in result['steps']] == [
      ('float32', True), ('float32', False), ('float16', True),
      ('float16', False)]
  for s in result['steps']:
    assert all('ms' in r for r in s['results'].values()), s
  table = batch_norm.markdown(result)
  assert '| training NHWC float16 |' in table


def test_models_benchmark_steps_each_implementation():
  from benchmarks import models
  from benchmarks import oracle
  local = oracle.Local()
  results = oracle.interleave(
      {'slim': (local, 'benchmarks.models:slim_step_fn',
                dict(net='mobilenet_v2', batch=2, size=32)),
       # v1: Keras traces fewer layers than v2's, the slowest part here.
       'keras': (local, 'benchmarks.models:keras_step_fn',
                 dict(net='mobilenet_v1', batch=2, size=32))},
      rounds=1, calls=1, warmup=1)
  assert all(r['ms'] > 0 for r in results.values()), results
  del models


def test_oracle_protocol_round_trip():
  """The cross-process side, served in this process over in-memory pipes."""
  import io
  import json
  from benchmarks import oracle
  requests = [
      {'op': 'make', 'spec': 'benchmarks.batch_norm:build_fn',
       'kwargs': {'norm': 'raw', 'layers': 2}},
      {'op': 'time', 'handle': 0, 'calls': 1, 'clock': 'cpu'},
      {'op': 'make', 'spec': 'benchmarks.batch_norm:no_such_fn',
       'kwargs': {}},
  ]
  out = io.StringIO()
  oracle.serve(io.StringIO(''.join(json.dumps(r) + '\n' for r in requests)),
               out)
  answers = [json.loads(line) for line in out.getvalue().splitlines()]
  assert answers[0] == {'result': 0}
  assert answers[1]['result'] > 0
  assert 'AttributeError' in answers[2]['error']


def test_ckpt_benchmark_measures_convert_and_copy(tmp_path):
  from benchmarks import ckpt
  report = ckpt.run(gb=0.01, big=1, big_mb=4, rounds=1,
                    directory=str(tmp_path / 'work'), log=lambda _: None)
  assert report['largest'] == 4 << 20
  assert set(report['wall']) == {'convert', 'copy'}
  assert report['rss']['convert'] > report['rss']['copy'] > 0
  assert 'convert / copy' in ckpt.markdown(report)
  assert list((tmp_path / 'work').iterdir()) == []  # its own files only


def test_interleave_varies_what_runs_before_each_entry():
  # A fixed rotation gave each entry the same predecessor every round, and
  # what ran just before (the other process) moved the measurement.
  from benchmarks import oracle

  class Recorder(object):
    order = []

    def make(self, spec, **kwargs):
      return spec

    def time(self, handle, calls, clock='wall'):
      if calls:  # not the warm-up
        self.order.append(handle)
      return 1.0

  runner = Recorder()
  entries = {label: (runner, label, {}) for label in 'abcd'}
  oracle.interleave(entries, rounds=40, calls=1, warmup=0)
  timed = runner.order
  assert sorted(timed) == sorted('abcd' * 40)
  for label in 'abcd':
    before = collections.Counter(timed[i - 1] for i in range(1, len(timed))
                                 if timed[i] == label)
    # A rotation gives 3 rounds in 4 the same predecessor.
    assert max(before.values()) <= 0.6 * sum(before.values()), (label, before)
  # Seeded: the same order again.
  runner.order = []
  oracle.interleave(entries, rounds=40, calls=1, warmup=0)
  assert runner.order == timed
