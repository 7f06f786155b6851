"""`contrib-compat-ckpt`: will a TF1 checkpoint restore into the rebuilt graph?

    contrib-compat-ckpt inspect model.ckpt [--json]
    contrib-compat-ckpt diff model.ckpt --model my_models:build \\
        --input-shape 1,224,224,3 [--scope-filter REGEX] [--rename OLD=NEW]... \\
        [--write-converted OUT [--force]] [--json]
    contrib-compat-ckpt convert model.ckpt OUT --rename OLD=NEW... [--force]

`inspect` and `diff` read only the checkpoint's index (`CKPT.index`), so they
work on a checkpoint whose data files were never copied. Writing a converted
checkpoint needs the data files; values are copied bit for bit.

`--rename OLD=NEW` is a Python regular expression substitution
(`re.sub(OLD, NEW, name)`, every match, `\\1` back-references allowed),
applied to checkpoint names in the order given, before anything is compared
or written. A plain substring without regex metacharacters is its own
pattern; escape `.`, `[`, `(` and the like to match them literally. The text
is split at its first `=`.

Exit status: 0 clean, 1 differences found (diff), 2 usage or I/O errors.

A partitioned variable (`get_variable(..., partitioner=...)`) is compared
whole, under its full name and shape, because that is how a TF1 `Saver`
stores it; the converted checkpoint likewise stores every tensor whole.
"""
import argparse
import importlib
import importlib.util
import json
import os
import re
import signal
import sys
import threading

import numpy as np

from contrib_compat import cli
from contrib_compat import ckpt_io
from contrib_compat import names
from contrib_compat.ckpt_io import CkptError
from contrib_compat.ckpt_io import has_data
from contrib_compat.ckpt_io import read_index
from contrib_compat.ckpt_io import write_converted


def layer_of(name):
  """The layer a variable belongs to: its name up to the last '/'."""
  return name.rpartition('/')[0]


def group_by_layer(entries):
  """{layer: [(short name, shape, dtype), ...]}, both levels sorted."""
  layers = {}
  for name in sorted(entries):
    shape, dtype = entries[name]
    layers.setdefault(layer_of(name), []).append(
        (name.rpartition('/')[2], shape, dtype))
  return layers


def _num_elements(shape):
  return int(np.prod(shape, dtype=np.int64)) if shape else 1


def _fmt_shape(shape):
  return '[%s]' % ', '.join(str(d) for d in shape)


# --------------------------------------------------------------------------
# Renames.


def parse_renames(specs):
  """Compiles `--rename OLD=NEW` specs into [(pattern, replacement)]."""
  renames = []
  for spec in specs or ():
    old, sep, new = spec.partition('=')
    if not sep or not old:
      raise CkptError('--rename %r: expected OLD=NEW (OLD a non-empty '
                      'regular expression)' % (spec,))
    try:
      pattern = re.compile(old)
    except re.error as e:
      raise CkptError('--rename %r: OLD is not a valid regular expression: '
                      '%s' % (spec, e)) from e
    try:
      pattern.sub(new, '')  # Catches bad back-references before any work.
    except (re.error, IndexError) as e:
      raise CkptError('--rename %r: NEW is not a valid replacement: %s'
                      % (spec, e)) from e
    renames.append((pattern, new))
  return renames


def rename_map(names, renames):
  """{checkpoint name: new name} after applying `renames` in order.

  Raises:
    CkptError: if two checkpoint names end up with the same new name, or a
      name becomes empty.
  """
  mapping = {}
  owner = {}
  for name in sorted(names):
    new = name
    for pattern, replacement in renames:
      new = pattern.sub(replacement, new)
    if not new:
      raise CkptError('--rename turns %r into an empty name' % name)
    if new in owner:
      raise CkptError('--rename maps both %r and %r to %r'
                      % (owner[new], name, new))
    owner[new] = name
    mapping[name] = new
  return mapping


# --------------------------------------------------------------------------
# Building the model.


def _load_function(spec):
  """Resolves MODULE:FUNCTION; MODULE is a dotted module or a .py path."""
  module_name, sep, func_name = spec.rpartition(':')
  if not sep or not module_name or not func_name:
    raise CkptError('--model %r: expected MODULE:FUNCTION, e.g. '
                    'contrib_compat.models.mobilenet_v2:mobilenet_v2' % spec)
  try:
    if module_name.endswith('.py') or os.sep in module_name:
      path = os.path.abspath(module_name)
      if not os.path.isfile(path):
        raise CkptError('--model %r: no such file %s' % (spec, path))
      unique = '_contrib_compat_ckpt_model_%x' % (hash(path) & 0xffffffff)
      loader_spec = importlib.util.spec_from_file_location(unique, path)
      module = importlib.util.module_from_spec(loader_spec)
      # Registered first so that dataclasses / pickling inside it work.
      sys.modules[unique] = module
      loader_spec.loader.exec_module(module)
    else:
      # A console script does not put the working directory on sys.path;
      # `python -m` does. Behave like the latter for local modules.
      if os.getcwd() not in sys.path and '' not in sys.path:
        sys.path.insert(0, os.getcwd())
      module = importlib.import_module(module_name)
  except CkptError:
    raise
  except Exception as e:
    raise CkptError('--model %r: importing %s failed: %s: %s'
                    % (spec, module_name, type(e).__name__, e)) from e
  func = getattr(module, func_name, None)
  if not callable(func):
    raise CkptError('--model %r: %s has no function %r'
                    % (spec, module_name, func_name))
  return func


def parse_input_shape(text):
  """'1,224,224,3' -> [1, 224, 224, 3]; '?' or -1 leaves a dimension unknown."""
  dims = []
  for part in text.split(','):
    part = part.strip()
    if part in ('?', '-1', 'None'):
      dims.append(None)
      continue
    try:
      value = int(part)
    except ValueError:
      value = 0
    if value < 1:
      raise CkptError('--input-shape %r: expected comma-separated positive '
                      'ints such as 1,224,224,3' % text)
    dims.append(value)
  return dims


def model_variables(spec, input_shape, input_dtype='float32'):
  """Builds FUNCTION(inputs) in a fresh graph; returns its global variables.

  Args:
    spec: 'MODULE:FUNCTION'; FUNCTION is called with one placeholder.
    input_shape: list of dims for the placeholder.
    input_dtype: dtype name of the placeholder.

  Returns:
    {name: (shape list, dtype name)} for tf.compat.v1.global_variables(),
    the parts of a partitioned variable as one whole variable (its full name
    and shape), as a `Saver` writes them.

  Raises:
    CkptError: if the function cannot be found or fails to build.
  """
  func = _load_function(spec)
  v1 = ckpt_io.tensorflow().compat.v1
  try:
    dtype = ckpt_io.tensorflow().as_dtype(input_dtype)
  except TypeError as e:
    raise CkptError('--input-dtype %r is not a TensorFlow dtype (float32, '
                    'float16, uint8, ...)' % (input_dtype,)) from e
  graph = v1.Graph()
  with graph.as_default():
    inputs = v1.placeholder(dtype, input_shape, name='inputs')
    try:
      func(inputs)
    except Exception as e:
      raise CkptError('--model %r: building the model failed: %s: %s'
                      % (spec, type(e).__name__, e)) from e
    found = {}
    for v in v1.global_variables():
      # VariableDef.save_slice_info_def says what a part is part of.
      whole = v.to_proto().save_slice_info_def
      if whole.full_name:
        found[whole.full_name] = (list(whole.full_shape),
                                  v.dtype.base_dtype.name)
      else:
        found[names.op_name(v.name)] = (
            v.shape.as_list(), v.dtype.base_dtype.name)
  return found


# --------------------------------------------------------------------------
# Comparing.


# What tf.train.Checkpoint writes beside the variables: not a variable.
_BOOKKEEPING = frozenset(['_CHECKPOINTABLE_OBJECT_GRAPH'])


def compare(checkpoint, model, scope_filter=None):
  """Differences between checkpoint and model variables, as TF1's Saver saw
  them: a name restores only into a variable of the same dtype and shape.

  The one comparison of checkpoints and models: `contrib-compat-ckpt diff`
  and `Tf1Module.load_tf1_checkpoint` both use it.

  Args:
    checkpoint: {name: (shape, dtype name)} (already renamed).
    model: {name: (shape, dtype name)}.
    scope_filter: optional compiled regex; only names it matches
      (`re.search`) on either side take part.

  Returns:
    A dict with 'missing', 'unexpected', 'mismatched' lists, 'matched' and
    the counts compared on each side.
  """
  checkpoint = {k: v for k, v in checkpoint.items() if k not in _BOOKKEEPING}
  if scope_filter is not None:
    checkpoint = {k: v for k, v in checkpoint.items() if scope_filter.search(k)}
    model = {k: v for k, v in model.items() if scope_filter.search(k)}
  missing = [{'name': n, 'shape': model[n][0], 'dtype': model[n][1]}
             for n in sorted(set(model) - set(checkpoint))]
  unexpected = [{'name': n, 'shape': checkpoint[n][0],
                 'dtype': checkpoint[n][1]}
                for n in sorted(set(checkpoint) - set(model))]
  mismatched = []
  matched = 0
  for name in sorted(set(model) & set(checkpoint)):
    (cshape, cdtype), (mshape, mdtype) = checkpoint[name], model[name]
    # An unknown model dimension (None) accepts any checkpoint size.
    shape_ok = len(cshape) == len(mshape) and all(
        m is None or m == c for c, m in zip(cshape, mshape))
    if shape_ok and cdtype == mdtype:
      matched += 1
    else:
      mismatched.append({'name': name,
                         'checkpoint': {'shape': cshape, 'dtype': cdtype},
                         'model': {'shape': mshape, 'dtype': mdtype}})
  return {'compared_checkpoint': len(checkpoint), 'compared_model': len(model),
          'matched': matched, 'missing': missing, 'unexpected': unexpected,
          'mismatched': mismatched}


# --------------------------------------------------------------------------
# Commands.


def _inspect(args, out):
  prefix, entries = read_index(args.ckpt)
  layers = group_by_layer(entries)
  total = sum(_num_elements(shape) for shape, _ in entries.values())
  if args.json:
    json.dump({
        'checkpoint': prefix,
        'has_data': has_data(prefix),
        'num_variables': len(entries),
        'num_parameters': total,
        'layers': [{'layer': layer,
                    'variables': [{'name': (layer + '/' if layer else '') + n,
                                   'shape': shape, 'dtype': dtype}
                                  for n, shape, dtype in rows]}
                   for layer, rows in layers.items()],
    }, out, indent=1)
    out.write('\n')
    return 0
  width = max([len(n) for rows in layers.values() for n, _, _ in rows] + [4])
  shape_width = max([len(_fmt_shape(s)) for s, _ in entries.values()] + [5])
  out.write('checkpoint %s%s\n' % (
      prefix, '' if has_data(prefix) else '  (index only, no data file)'))
  for layer, rows in layers.items():
    params = sum(_num_elements(shape) for _, shape, _ in rows)
    out.write('\n%s  (%d variable%s, %s parameters)\n' % (
        layer or '(top level)', len(rows), '' if len(rows) == 1 else 's',
        format(params, ',')))
    for name, shape, dtype in rows:
      out.write('  %-*s  %-*s  %s\n' % (width, name, shape_width,
                                         _fmt_shape(shape), dtype))
  out.write('\n%d variables in %d layers, %s parameters\n'
            % (len(entries), len(layers), format(total, ',')))
  return 0


def _diff(args, out):
  prefix, entries = read_index(args.ckpt)
  renames = parse_renames(args.rename)
  mapping = rename_map(entries, renames)
  renamed = {mapping[name]: value for name, value in entries.items()}
  scope_filter = None
  if args.scope_filter is not None:
    try:
      scope_filter = re.compile(args.scope_filter)
    except re.error as e:
      raise CkptError('--scope-filter %r is not a valid regular expression: '
                      '%s' % (args.scope_filter, e)) from e
  if args.write_converted and not has_data(prefix):
    # Fail before the (possibly slow) model build.
    raise CkptError('--write-converted needs the checkpoint data file(s) '
                    '%s.data-*, which are missing (only the index is there)'
                    % prefix)
  model = model_variables(args.model, parse_input_shape(args.input_shape),
                          args.input_dtype)
  result = compare(renamed, model, scope_filter)
  problems = (len(result['missing']) + len(result['unexpected']) +
              len(result['mismatched']))
  result.update(checkpoint=prefix, model=args.model,
                renamed=sum(1 for k, v in mapping.items() if k != v),
                problems=problems, written=[])
  if args.write_converted:
    if problems:
      result['not_written'] = ('%d difference(s); fix them (or narrow '
                               '--scope-filter) first' % problems)
    else:
      result['written'] = write_converted(prefix, mapping,
                                          args.write_converted, args.force)
  if args.json:
    json.dump(result, out, indent=1)
    out.write('\n')
  else:
    _print_diff(result, len(entries), len(model), args, out)
  return 1 if problems else 0


def _print_diff(result, n_ckpt, n_model, args, out):
  flt = (' matching --scope-filter %r' % args.scope_filter
         if args.scope_filter is not None else '')
  out.write('checkpoint %s: %d variables, %d compared%s\n'
            % (result['checkpoint'], n_ckpt, result['compared_checkpoint'],
               flt))
  out.write('model %s: %d variables, %d compared\n'
            % (args.model, n_model, result['compared_model']))
  if result['renamed']:
    out.write('--rename changed %d checkpoint name(s)\n' % result['renamed'])
  for key, title in (('missing', 'missing (in model, not in checkpoint)'),
                     ('unexpected', 'unexpected (in checkpoint, not in '
                                    'model)')):
    rows = result[key]
    if rows:
      out.write('\n%s: %d\n' % (title, len(rows)))
      for row in rows:
        out.write('  %s  %s  %s\n' % (row['name'], _fmt_shape(row['shape']),
                                      row['dtype']))
  if result['mismatched']:
    out.write('\nshape/dtype mismatches: %d\n' % len(result['mismatched']))
    for row in result['mismatched']:
      c, m = row['checkpoint'], row['model']
      out.write('  %s  checkpoint %s %s  model %s %s\n' % (
          row['name'], _fmt_shape(c['shape']), c['dtype'],
          _fmt_shape(m['shape']), m['dtype']))
  out.write('\n%d matched, %d missing, %d unexpected, %d mismatched\n' % (
      result['matched'], len(result['missing']), len(result['unexpected']),
      len(result['mismatched'])))
  if result.get('not_written'):
    out.write('converted checkpoint NOT written: %s\n' % result['not_written'])
  for path in result['written']:
    out.write('wrote %s\n' % path)


def _convert(args, out):
  prefix, entries = read_index(args.ckpt)
  mapping = rename_map(entries, parse_renames(args.rename))
  for path in write_converted(prefix, mapping, args.out, args.force,
                              option='convert OUT'):
    out.write('wrote %s\n' % path)
  changed = sum(1 for k, v in mapping.items() if k != v)
  out.write('%d variables, %d renamed\n' % (len(mapping), changed))
  return 0


def _parser():
  parser = argparse.ArgumentParser(
      prog='contrib-compat-ckpt',
      description='Inspect TF1 checkpoints and check them against a model '
                  'rebuilt with contrib_compat.',
      epilog='--rename OLD=NEW is a Python regex substitution on checkpoint '
             'names (re.sub, all matches), applied in order; split at the '
             'first "=". Exit status: 0 clean, 1 differences, 2 errors.')
  sub = parser.add_subparsers(dest='command', required=True)

  p = sub.add_parser('inspect', help='list variables grouped by layer')
  p.add_argument('ckpt', help='checkpoint prefix, .index file or directory')
  p.add_argument('--json', action='store_true', help='machine output')
  p.set_defaults(run=_inspect)

  p = sub.add_parser('diff', help='compare a checkpoint with a model')
  p.add_argument('ckpt', help='checkpoint prefix, .index file or directory')
  p.add_argument('--model', required=True, metavar='MODULE:FUNCTION',
                 help='FUNCTION(inputs) builds the model; MODULE is a dotted '
                      'module name or a path to a .py file')
  p.add_argument('--input-shape', required=True, metavar='N,H,W,C',
                 help="placeholder shape; '?' for an unknown dimension")
  p.add_argument('--input-dtype', default='float32',
                 help='placeholder dtype (default float32)')
  p.add_argument('--scope-filter', metavar='REGEX',
                 help='compare only variables whose (renamed) name matches '
                      '(re.search), on both sides')
  p.add_argument('--rename', action='append', metavar='OLD=NEW',
                 help='regex substitution on checkpoint names; repeatable')
  p.add_argument('--write-converted', metavar='OUT',
                 help='if the comparison is clean, write the checkpoint with '
                      'the renames applied to prefix OUT (needs data files)')
  p.add_argument('--force', action='store_true',
                 help='replace an existing checkpoint at OUT')
  p.add_argument('--json', action='store_true', help='machine output')
  p.set_defaults(run=_diff)

  p = sub.add_parser('convert', help='write a renamed copy of a checkpoint')
  p.add_argument('ckpt', help='checkpoint prefix, .index file or directory')
  p.add_argument('out', help='destination checkpoint prefix')
  p.add_argument('--rename', action='append', metavar='OLD=NEW',
                 help='regex substitution on checkpoint names; repeatable')
  p.add_argument('--force', action='store_true',
                 help='replace an existing checkpoint at OUT')
  p.set_defaults(run=_convert)
  cli.add_common_arguments(parser)
  for p in sub.choices.values():
    cli.add_common_arguments(p, subcommand=True)
  return parser


def _exit_cleanly_on_sigterm():
  """SIGTERM (`kill`, a job scheduler) ends the tool through SystemExit, so
  a convert in progress removes its staging directory and puts back the
  checkpoint it was replacing, as on any other failure. Returns the
  handler it replaced (None off the main thread, where none can be set)."""
  if threading.current_thread() is not threading.main_thread():
    return None
  return signal.signal(signal.SIGTERM, lambda *unused: sys.exit(128 + 15))


def main(argv=None, out=None):
  """Runs the command line; returns the exit status."""
  args = _parser().parse_args(argv)
  cli.quiet_tensorflow(args.verbose)
  out = sys.stdout if out is None else out
  previous = _exit_cleanly_on_sigterm()
  try:
    return args.run(args, out)
  except CkptError as e:
    sys.stderr.write('contrib-compat-ckpt %s: error: %s\n' % (args.command, e))
    return 2
  except ModuleNotFoundError as e:
    return cli.report_missing_tensorflow('contrib-compat-ckpt', e)
  except BrokenPipeError:
    # `inspect CKPT | head`: the reader left; end quietly, as `cat` would.
    # Later writes (and the interpreter's final flush) go to /dev/null.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, out.fileno() if hasattr(out, 'fileno') else 1)
    return cli.EXIT_SIGPIPE
  finally:
    if previous is not None:
      signal.signal(signal.SIGTERM, previous)


if __name__ == '__main__':
  sys.exit(main())
