"""cProfile of graph construction: contrib_compat against the raw floor.

    python -m benchmarks.profile_build [--layers 50] [--rounds 8] [--branch pointwise]

Both are profiled in one process, round by round, so that load from other
processes falls on both alike. Prints per-layer call counts and the functions
whose cumulative time differs most, then the time spent in frames of
contrib_compat and tf_slim themselves.
"""
import argparse
import cProfile
import pstats
import warnings

from benchmarks import build


def _stats(profile):
  out = {}
  for (path, line, func), (_, calls, tottime, cumtime, _) in (
      pstats.Stats(profile).stats.items()):
    short = path.split('site-packages/')[-1].split('/work/main/')[-1]
    out['%s:%d(%s)' % (short, line, func)] = (calls, tottime, cumtime)
  return out


def profile(impls, num_outputs, layers, rounds):
  """{impl: {function: (calls, tottime, cumtime)}} summed over `rounds`."""
  profiles = {impl: cProfile.Profile() for impl in impls}
  for impl in impls:
    build.build_once(impl, 5, num_outputs)
  for _ in range(rounds):
    for impl in impls:
      profiles[impl].enable()
      build.build_once(impl, layers, num_outputs)
      profiles[impl].disable()
  return {impl: _stats(p) for impl, p in profiles.items()}


def report(stats, ours, floor, per, top=25):
  a, b = stats[ours], stats[floor]
  total = {k: sum(v[1] for v in s.values()) / per for k, s in stats.items()}
  print('CPU ms per layer (profiled): ' + ', '.join(
      '%s %.3f' % (k, 1000 * v) for k, v in total.items()))
  print('\ncalls/layer differing (%s vs %s):' % (ours, floor))
  rows = []
  for key in set(a) | set(b):
    ca, cb = a.get(key, (0,))[0] / per, b.get(key, (0,))[0] / per
    if ca != cb:
      rows.append((abs(ca - cb), ca, cb, key))
  for _, ca, cb, key in sorted(rows, reverse=True)[:top]:
    print('  %7.2f vs %7.2f  %s' % (ca, cb, key))
  print('\nown time (tottime) in contrib_compat / tf_slim frames, us/layer:')
  own = sorted(((v[1], v[0], k) for k, v in a.items()
                if k.startswith(('contrib_compat', 'tf_slim'))), reverse=True)
  for tottime, calls, key in own[:top]:
    print('  %8.1f  (%5.2f calls)  %s' % (1e6 * tottime / per, calls / per,
                                          key))


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--layers', type=int, default=50)
  parser.add_argument('--rounds', type=int, default=8)
  parser.add_argument('--branch', choices=['depthwise', 'pointwise', 'both'],
                      default='both')
  args = parser.parse_args()
  warnings.simplefilter('ignore')
  branches = {'depthwise': None, 'pointwise': 8}
  for name, num_outputs in branches.items():
    if args.branch not in (name, 'both'):
      continue
    print('=== %s branch, %d layers x %d rounds' % (name, args.layers,
                                                    args.rounds))
    stats = profile(['contrib_compat', 'raw'], num_outputs, args.layers,
                    args.rounds)
    report(stats, 'contrib_compat', 'raw', args.layers * args.rounds)


if __name__ == '__main__':
  main()
