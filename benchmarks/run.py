"""`python -m benchmarks [--quick]`: runs the benchmarks, writes the results.

A full run writes the README's Performance section (between
`<!-- perf:begin -->` and `<!-- perf:end -->`; benchmarks/RESULTS.md when the
markers are missing), benchmarks/build_time.png and benchmarks/results.json.
`--quick` uses small sizes and only prints, unless `--readme` is given.
"""
import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys
import time
import warnings

HERE = pathlib.Path(__file__).resolve().parent

FULL = dict(sizes=(100, 1000), build_rounds={100: 3, 1000: 1},
            step_rounds=300, step_steps=1, xla_rounds=30, xla_steps=1,
            import_repeats=7)
# The modules a layer call runs through.
MEASURED = ('__init__', 'argscope', 'variables', 'separable')
QUICK = dict(sizes=(20, 100), build_rounds={20: 3, 100: 1},
             step_rounds=5, step_steps=1, xla_rounds=2, xla_steps=1,
             import_repeats=3)


def _revision():
  """HEAD's short hash, '+changes' when the measured modules differ from it."""
  try:
    head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=HERE,
                          capture_output=True, text=True,
                          check=True).stdout.strip()
    dirty = subprocess.run(['git', 'diff', '--quiet', 'HEAD', '--'] + [
        'contrib_compat/%s.py' % m for m in MEASURED], cwd=HERE.parent,
                           check=False).returncode
  except (OSError, subprocess.CalledProcessError):
    return 'unknown'
  return head + ('+changes' if dirty else '')


def _settings_text(cfg):
  rounds = ', '.join('%d round(s) at %d layers' % (cfg['build_rounds'][s], s)
                     for s in cfg['sizes'])
  return ('build: %s; step: %d rounds of %d step(s) per implementation '
          '(XLA: %d x %d), build and run order rotating over the '
          'implementations; import: %d interpreters per variant.' % (
              rounds, cfg['step_rounds'], cfg['step_steps'],
              cfg['xla_rounds'], cfg['xla_steps'], cfg['import_repeats']))


def run(cfg, parts, log=print, tiny=False):
  """Runs the benchmark `parts` ('build', 'step', 'import') under `cfg`."""
  # Imported here so that `--help` does not pay for TensorFlow.
  from benchmarks import build, import_time, step
  results = dict(build=[], step=[], imports=[])
  if 'build' in parts:
    results['build'] = build.run(cfg['sizes'], cfg['build_rounds'], log=log)
  if 'step' in parts:
    shape = dict(batch=2, size=16, blocks=step.TINY_BLOCKS) if tiny else {}
    for mode in step.MODES:
      xla = step.MODES[mode][1]
      results['step'] += step.run(
          cfg['xla_rounds' if xla else 'step_rounds'],
          cfg['xla_steps' if xla else 'step_steps'], modes=[mode], log=log,
          **shape)
  if 'import' in parts:
    results['imports'] = import_time.run(cfg['import_repeats'], log=log)
  return results


def write(results, cfg, readme_path, chart_path, json_path, measured=None):
  """Writes the markdown section, the chart and the raw results.

  `measured` maps each part to when and on which code it was measured
  (parts kept from an earlier run keep theirs); default: today, HEAD.
  """
  from benchmarks import readme, report
  date = datetime.date.today().isoformat()
  now = '%s at `%s`' % (date, _revision())
  measured = dict({part: now for part in results if results[part]},
                  **(measured or {}))
  settings = _settings_text(cfg) + ' Measured: %s.' % '; '.join(
      '%s %s' % (part, measured[part]) for part in results if results[part])
  body = report.markdown(settings=settings, date=date, **results)
  written = []
  if readme_path:
    written.append(readme.update_readme('perf', body,
                                        HERE / 'RESULTS.md', readme_path))
  if chart_path and results['build']:
    report.chart(results['build'], chart_path)
    written.append(chart_path)
  if json_path:
    readme.write_atomically(json_path, json.dumps(
        dict(date=date, measured=measured, settings=cfg, **results),
        indent=1,
        default=str) + '\n')
    written.append(json_path)
  return body, written


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--quick', action='store_true',
                      help='small sizes, about a minute; prints only')
  parser.add_argument('--only', default='build,step,import',
                      help='comma-separated parts (build, step, import); a full run takes '
                      'the others from the last benchmarks/results.json')
  parser.add_argument('--readme', action='store_true',
                      help='write README.md even with --quick')
  parser.add_argument('--no-write', action='store_true',
                      help='print the tables, write nothing')
  args = parser.parse_args(argv)

  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  # tf-slim's Keras path warns on every layer; the benchmark is not about it.
  warnings.simplefilter('ignore')
  cfg = QUICK if args.quick else FULL
  parts = args.only.split(',')
  start = time.time()
  results = run(cfg, parts, log=lambda s: print(s, file=sys.stderr,
                                                 flush=True))
  previous = HERE / 'results.json'
  kept = {}
  if not args.quick and previous.exists():
    # A partial full run keeps the other parts of the last full run, so
    # the README section stays whole; each part says when it was measured.
    old = json.loads(previous.read_text())
    for part in results:
      if not results[part] and old.get(part):
        results[part] = old[part]
        kept[part] = old.get('measured', {}).get(part, '%s at `%s`' % (
            old.get('date', '?'), old.get('revision', '?')))
  write_readme = not args.no_write and (args.readme or not args.quick)
  body, written = write(
      results, cfg,
      readme_path=(HERE.parent / 'README.md') if write_readme else None,
      chart_path=None if args.no_write else HERE / 'build_time.png',
      json_path=None if args.no_write or args.quick else HERE / 'results.json',
      measured=kept)
  print(body)
  print('\n%.0f s; wrote: %s' % (time.time() - start,
                                 ', '.join(map(str, written)) or 'nothing'),
        file=sys.stderr)
  return 0
