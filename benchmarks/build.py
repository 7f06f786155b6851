"""Graph-construction time per layer, stacked in one graph.

Every implementation builds its own graph, and the layers are interleaved one
by one (layer i of A, of B, of C, then layer i+1 ...), each call timed in CPU
time of this process (`time.process_time`). On a shared machine other
processes' load then falls on all implementations alike instead of on
whichever happened to run during a busy second. The garbage collector is
paused while a layer is timed (and run between rounds) so that a collection
triggered by one implementation's garbage is not billed to another.
"""
import gc
import statistics
import time

import tensorflow.compat.v1 as tf

from benchmarks import layers

BRANCHES = {'depthwise (num_outputs=None)': None, 'pointwise (num_outputs=8)': 8}
CHANNELS = 8


def build_interleaved(impls, num_layers, num_outputs):
  """Builds `num_layers` stacked layers per impl, one graph each.

  Returns:
    {impl: (CPU seconds spent in the layer calls, graph nodes per layer)}.
  """
  graphs, nets, spent, before = {}, {}, {}, {}
  for impl in impls:
    graphs[impl] = tf.Graph()
    with graphs[impl].as_default():
      nets[impl] = tf.placeholder(tf.float32, [1, 8, 8, CHANNELS])
    before[impl] = len(graphs[impl].get_operations())
    spent[impl] = 0.0
  gc.collect()
  gc.disable()
  try:
    for i in range(num_layers):
      for impl in impls:
        layer = layers.LAYERS[impl]
        with graphs[impl].as_default():
          start = time.process_time()
          nets[impl] = layer(nets[impl], num_outputs, 1, 'layer_%d' % i)
          spent[impl] += time.process_time() - start
  finally:
    gc.enable()
  return {impl: (spent[impl], (len(graphs[impl].get_operations()) -
                               before[impl]) / num_layers) for impl in impls}


def run(sizes, rounds, impls=None, log=print):
  """Times every (branch, size, impl).

  Args:
    sizes: layer counts, e.g. (100, 1000).
    rounds: {size: number of rounds}; each round builds every impl once.
    impls: names from layers.LAYERS (default: all available).
    log: progress callback.

  Returns:
    A list of dicts: branch, layers, impl, ms_per_layer (median over rounds),
    runs (every round's ms per layer), nodes_per_layer.
  """
  impls = impls or layers.ORDER
  results = []
  for branch, num_outputs in BRANCHES.items():
    # Warm-up: first calls pay for lazy imports and op registrations.
    build_interleaved(impls, 3, num_outputs)
    for size in sizes:
      times = {impl: [] for impl in impls}
      for r in range(rounds[size]):
        measured = build_interleaved(impls, size, num_outputs)
        for impl in impls:
          times[impl].append(1000.0 * measured[impl][0] / size)
        log('build %s x%d round %d: %s' % (
            branch, size, r + 1, ', '.join(
                '%s %.2f' % (i, times[i][-1]) for i in impls)))
      for impl in impls:
        results.append(dict(branch=branch, layers=size, impl=impl,
                            ms_per_layer=statistics.median(times[impl]),
                            runs=times[impl],
                            nodes_per_layer=measured[impl][1]))
  return results
