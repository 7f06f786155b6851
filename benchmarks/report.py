"""Markdown tables, targets and the build-time chart from benchmark results."""
import platform
import textwrap

import tensorflow as tf2

from benchmarks import layers

LABELS = {'contrib_compat': 'contrib_compat', 'tf_slim': 'tf-slim 1.1.0',
          'raw': 'raw floor'}
BUILD_VS_FLOOR = 1.10
BUILD_GROWTH = 1.3
STEP_TOLERANCE = 1.02
IMPORT_MS = 50.0


def _lookup(results, **keys):
  for r in results:
    if all(r.get(k) == v for k, v in keys.items()):
      return r
  return None


def _ratio(a, b):
  return a / b if a is not None and b else None


def _fmt(value, spec='%.2f'):
  return '-' if value is None else spec % value


def build_table(results):
  impls = [i for i in layers.ORDER if _lookup(results, impl=i)]
  head = (['branch', 'layers'] + ['%s ms/layer' % LABELS[i] for i in impls] +
          ['ours / floor', 'ours / tf-slim', 'nodes/layer ours',
           'nodes/layer tf-slim'])
  rows = []
  for r in results:
    if r['impl'] != 'contrib_compat':
      continue
    same = dict(branch=r['branch'], layers=r['layers'])
    ms = {i: (_lookup(results, impl=i, **same) or {}).get('ms_per_layer')
          for i in impls}
    slim = _lookup(results, impl='tf_slim', **same) or {}
    rows.append([r['branch'], str(r['layers'])] +
                [_fmt(ms[i]) for i in impls] +
                [_fmt(_ratio(ms['contrib_compat'], ms.get('raw')), '%.2fx'),
                 _fmt(_ratio(ms['contrib_compat'], ms.get('tf_slim')),
                      '%.2fx'),
                 _fmt(r['nodes_per_layer'], '%g'),
                 _fmt(slim.get('nodes_per_layer'), '%g')])
  return _markdown(head, rows)


def step_table(results):
  impls = [i for i in layers.ORDER if _lookup(results, impl=i)]
  head = (['mode'] + ['%s ms/step' % LABELS[i] for i in impls] +
          ['ours / tf-slim', 'ours / raw'])
  rows = []
  for mode in dict.fromkeys(r['mode'] for r in results):
    ms = {i: (_lookup(results, mode=mode, impl=i) or {}).get('ms_per_step')
          for i in impls}
    rows.append([mode] + [_fmt(ms[i]) for i in impls] +
                [_fmt(_ratio(ms['contrib_compat'], ms.get('tf_slim')),
                      '%.3fx'),
                 _fmt(_ratio(ms['contrib_compat'], ms.get('raw')), '%.3fx')])
  return _markdown(head, rows)


def import_table(results):
  return _markdown(['`import contrib_compat`', 'ms (median)', 'runs'],
                   [[r['variant'], '%.1f' % r['ms'], str(len(r['runs']))]
                    for r in results])


def targets(build=(), step=(), imports=()):
  """[(target, measured, passed)] for every target the results cover."""
  out = []
  for branch in dict.fromkeys(r['branch'] for r in build):
    ratios = [_ratio(r['ms_per_layer'],
                     (_lookup(build, impl='raw', branch=branch,
                              layers=r['layers']) or {}).get('ms_per_layer'))
              for r in build
              if r['impl'] == 'contrib_compat' and r['branch'] == branch]
    ratios = [x for x in ratios if x is not None]
    if ratios:
      worst = max(ratios)
      out.append(('build time/layer <= %.2fx raw floor, %s' % (
          BUILD_VS_FLOOR, branch), '%.2fx' % worst, worst <= BUILD_VS_FLOOR))
    for impl in layers.ORDER:
      sizes = sorted((r['layers'], r['ms_per_layer']) for r in build
                     if r['impl'] == impl and r['branch'] == branch)
      if len(sizes) >= 2 and impl == 'contrib_compat':
        growth = sizes[-1][1] / sizes[0][1]
        out.append(('build time/layer at %d layers <= %.1fx that at %d, %s' % (
            sizes[-1][0], BUILD_GROWTH, sizes[0][0], branch),
                    '%.2fx (raw floor: %s)' % (growth, _floor_growth(
                        build, branch)), growth <= BUILD_GROWTH))
  for r in step:
    if r['impl'] != 'contrib_compat' or 'ms_per_step' not in r:
      continue
    for other in ('tf_slim', 'raw'):
      ref = (_lookup(step, mode=r['mode'], impl=other) or {}).get(
          'ms_per_step')
      if ref:
        ratio = r['ms_per_step'] / ref
        out.append(('step time <= %.2fx %s, %s' % (
            STEP_TOLERANCE, LABELS[other], r['mode']), '%.3fx' % ratio,
                    ratio <= STEP_TOLERANCE))
  for r in imports:
    out.append(('import overhead < %g ms (%s)' % (IMPORT_MS, r['variant']),
                '%.1f ms' % r['ms'], r['ms'] < IMPORT_MS))
  return out


def _floor_growth(build, branch):
  sizes = sorted((r['layers'], r['ms_per_layer']) for r in build
                 if r['impl'] == 'raw' and r['branch'] == branch)
  return '%.2fx' % (sizes[-1][1] / sizes[0][1]) if len(sizes) >= 2 else '-'


def targets_table(rows):
  return _markdown(['target', 'measured', 'result'],
                   [[t, m, 'pass' if ok else '**FAIL**'] for t, m, ok in rows])


def _markdown(head, rows):
  lines = ['| %s |' % ' | '.join(head),
           '|%s|' % '|'.join(['---'] + ['---:'] * (len(head) - 1))]
  lines += ['| %s |' % ' | '.join(row) for row in rows]
  return '\n'.join(lines)


def markdown(build=(), step=(), imports=(), settings='', date=''):
  """The whole Performance section."""
  parts = ['Measured by `python -m benchmarks` on %s: TensorFlow %s, '
           'Python %s, %s. Medians of interleaved runs in one process (build: CPU time, layers interleaved one by one; step: wall time); %s' % (
               date, tf2.__version__, platform.python_version(),
               platform.machine(), settings),
           '']
  rows = targets(build, step, imports)
  if rows:
    parts += ['Targets:', '', targets_table(rows), '']
  if build:
    parts += ['Graph construction (3x3 separable layers with biases and '
              'ReLU on an 8x8x8 input, stacked in one graph; the raw floor '
              'is `variable_scope` + `get_variable` + `tf.nn` ops building '
              'the same nodes):', '', build_table(build), '',
              '![build time per layer](benchmarks/build_time.png)', '']
  if step:
    parts += ['Forward+backward step (MobileNet/Xception-style model, '
              'SGD, no normalizer; only the separable layers differ):', '',
              step_table(step), '']
    errors = [r for r in step if 'error' in r]
    parts += ['- %s did not run in %s: %s' % (LABELS[r['impl']], r['mode'],
                                             r['error']) for r in errors]
    if errors:
      parts.append('')
  if imports:
    parts += ['Import cost (fresh interpreters):', '', import_table(imports),
              '']
  # Prose wrapped like the rest of the README; tables stay one row a line.
  parts = [part if part.startswith(('|', '!', '- ')) else
           textwrap.fill(part, 79, break_on_hyphens=False,
                         break_long_words=False) for part in parts]
  return '\n'.join(parts).rstrip('\n')


def chart(build, path):
  """Plots ms/layer against layer count per impl and branch into `path`."""
  import matplotlib
  matplotlib.use('Agg')
  from matplotlib import pyplot
  branches = list(dict.fromkeys(r['branch'] for r in build))
  fig, axes = pyplot.subplots(1, len(branches), figsize=(5 * len(branches), 4),
                              squeeze=False)
  for ax, branch in zip(axes[0], branches):
    for impl in layers.ORDER:
      points = sorted((r['layers'], r['ms_per_layer']) for r in build
                      if r['impl'] == impl and r['branch'] == branch)
      if points:
        xs, ys = zip(*points)
        ax.plot(xs, ys, marker='o', label=LABELS[impl])
    ax.set_xscale('log')
    ax.set_ylim(bottom=0)
    ax.set_title(branch)
    ax.set_xlabel('layers in the graph')
    ax.set_ylabel('build time per layer (ms)')
    ax.grid(True, alpha=0.3)
    ax.legend()
  fig.tight_layout()
  fig.savefig(path, dpi=80)
  pyplot.close(fig)
