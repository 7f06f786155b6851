"""Plain-data views of a TF1 graph, so that two graphs compare with `==`.

Shared by the conformance tests and by the golden producers, which run on
the oracle stack (TF 2.12): public `tf.compat.v1` and numpy only.
"""
import contextlib
import re

import numpy as np
import tensorflow.compat.v1 as tf


def nodes(graph_def, keep=None, rename=None, attrs=False):
  """[(name, op, inputs[, attrs])] in creation order.

  Args:
    graph_def: a GraphDef.
    keep: optional predicate on a node name; other nodes are dropped.
    rename: optional function applied to every input name (e.g. to replace
      the layer's external input by a placeholder token).
    attrs: also give each node's attributes, serialized, sorted by key.

  Returns:
    A list of tuples.
  """
  rename = rename or (lambda name: name)
  out = []
  for node in graph_def.node:
    if keep is not None and not keep(node.name):
      continue
    row = (node.name, node.op, [rename(i) for i in node.input])
    if attrs:
      row += (sorted((k, v.SerializeToString(deterministic=True))
                     for k, v in node.attr.items()),)
    out.append(row)
  return out


def variables(graph):
  """[(name, shape, dtype, kind)] of GLOBAL_VARIABLES, in order."""
  return [(v.op.name, v.shape.as_list(), v.dtype.base_dtype.name, v.op.type)
          for v in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)]


def item_name(item):
  """A collection item as a string: tensors/variables by name, with aliases."""
  name = getattr(item, 'name', None)
  if name is None:
    return '<%s>' % type(item).__name__
  aliases = getattr(item, 'aliases', None)
  return '%s aliases=%s' % (name, list(aliases)) if aliases else name


def collections(graph):
  """{collection key: [item_name(item), ...]} for every key in the graph.

  Keys with empty collections count: TF1 writes them into MetaGraphDefs.
  """
  return {str(key): [item_name(i) for i in graph.get_collection(key)]
          for key in graph.get_all_collection_keys()}


def const_value(node):
  """The numpy value of a Const NodeDef."""
  return tf.make_ndarray(node.attr['value'].tensor)


def fixed_values(name, shape, seed=0):
  """Deterministic values in [-1, 1) for `name`: the same on every TF/numpy.

  Seeded from the name's bytes so that the value does not depend on the order
  in which variables were created.
  """
  seed = (sum(name.encode()) * 7919 + seed) % (2 ** 31)
  return np.random.RandomState(seed).uniform(-1., 1., shape)


def run_with_values(graph, fetch, feeds, values):
  """Initializes `graph`'s variables to `values` (name -> array), runs fetch.

  The values are fed to each variable's initial value, so no node is added to
  the graph.
  """
  with graph.as_default(), tf.Session(graph=graph) as sess:
    for var in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES):
      sess.run(var.initializer, {var.initial_value: values[var.op.name]})
    return sess.run(fetch, feeds)


def initial_values(graph):
  """name -> value of every global variable after running its initializer."""
  global_vars = graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
  with graph.as_default(), tf.Session(graph=graph) as sess:
    sess.run([v.initializer for v in global_vars])
    return dict(zip([v.op.name for v in global_vars], sess.run(global_vars)))


@contextlib.contextmanager
def resource_variables(enabled):
  """Sets the process-wide resource-variable default, restoring it after."""
  was = tf.resource_variables_enabled()
  (tf.enable_resource_variables if enabled else tf.disable_resource_variables)()
  try:
    yield
  finally:
    (tf.enable_resource_variables if was else
     tf.disable_resource_variables)()


@contextlib.contextmanager
def tf1_behaviour():
  """TF1's variables and control flow (`cond` as Switch / Merge), as under
  `disable_v2_behavior()`, for this block only."""
  control_flow_v2 = tf.control_flow_v2_enabled()
  tf.disable_control_flow_v2()
  try:
    with resource_variables(False):
      yield
  finally:
    if control_flow_v2:
      tf.enable_control_flow_v2()


# TF 2's get_variable calls a regularizer once more outside every name scope
# (only to see whether it returns None), leaving root-level nodes such as
# `l2_regularizer/scale`, `l2_regularizer_1/L2Loss`. TF1 never built them and
# neither does this package, so graphs built by tf-slim on TF 2 (the oracle)
# are compared without them.
_TF2_REGULARIZER_PROBE = re.compile(r'^\w*regularizer(_\d+)?(/|$)')


def without_tf2_regularizer_probe(rows):
  """`rows` ((name, ...) per node) less TF 2's root-level regularizer nodes."""
  return [row for row in rows if not _TF2_REGULARIZER_PROBE.match(row[0])]


def assert_same_as_tf_slim_on_tf2(ours, theirs):
  """Node rows of our graph against tf-slim's on TF 2, less TF 2's quirks.

  TF 2's get_variable leaves a root-level regularizer probe (dropped here)
  and defers the named loss until its collection is read, so the loss nodes
  land at the end of tf-slim's graph; ours are where TF1 built them (checked
  against TF1 by test_tf1_reference.py), so they are compared as a set.
  Read the reference graph's REGULARIZATION_LOSSES before taking its
  GraphDef, or its losses are missing.
  """
  theirs = without_tf2_regularizer_probe(theirs)
  losses = lambda rows: sorted(r for r in rows if '/Regularizer/' in r[0])
  rest = lambda rows: [r for r in rows if '/Regularizer/' not in r[0]]
  assert rest(ours) == rest(theirs)
  assert losses(ours) == losses(theirs)
