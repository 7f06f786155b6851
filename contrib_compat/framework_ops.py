"""tf.contrib.framework's graph helpers that TensorFlow 2 has no name for.

`tf.contrib.framework.get_name_scope`, `get_graph_from_inputs`,
`get_placeholders` and `reduce_sum_n`, on public `tf.compat.v1` APIs, with
TF 1.15's arguments and node names. `install()` and the runner serve them as
`tf.contrib.framework.<name>`; contrib-compat-migrate rewrites uses to
`contrib_compat.framework_ops.<name>` (see moved.py).
"""
import tensorflow.compat.v1 as tf


def get_name_scope():
  """The current name scope of the default graph, as a string.

  As TF1's: inside `tf.name_scope('a')` and `tf.name_scope('b')` it is
  `'a/b'`; at the root, `''`.
  """
  return tf.get_default_graph().get_name_scope()


def get_graph_from_inputs(op_input_list, graph=None):
  """The graph the inputs of an op belong to (TF1's semantics).

  Args:
    op_input_list: a list or tuple of inputs: tensors, operations, variables
      or values convertible to tensors.
    graph: the graph expected, or None to take it from the first input that
      has one (else the default graph).

  Returns:
    The graph.

  Raises:
    TypeError: if `op_input_list` is not a list or tuple, or `graph` is not a
      `tf.Graph`.
    ValueError: if the inputs come from more than one graph, or not from
      `graph`.
  """
  if not isinstance(op_input_list, (list, tuple)):
    raise TypeError('get_graph_from_inputs: `op_input_list` must be a list '
                    'or tuple, got %s' % type(op_input_list).__name__)
  if graph is not None and not isinstance(graph, tf.Graph):
    raise TypeError('get_graph_from_inputs: `graph` must be a tf.Graph, got '
                    '%r' % (graph,))
  found, source = graph, None
  for item in op_input_list:
    item_graph = getattr(item, 'graph', None)
    if not isinstance(item_graph, tf.Graph):
      continue
    if found is None:
      found, source = item_graph, item
    elif item_graph is not found:
      raise ValueError('%s must be from the same graph as %s' % (
          getattr(item, 'name', item),
          getattr(source, 'name', None) or 'the graph passed as `graph`'))
  return found if found is not None else tf.get_default_graph()


def get_placeholders(graph):
  """The outputs of every Placeholder op in `graph`, in creation order."""
  return [op.outputs[0] for op in graph.get_operations()
          if op.type == 'Placeholder']


def reduce_sum_n(tensors, name=None):
  """The sum of every element of every tensor in `tensors`, as a scalar.

  As TF1's: each tensor is reduced by `reduce_sum` into `<op name>/sum`,
  then (for more than one) added with `add_n` named after the scope
  (`reduce_sum_n` by default).

  Raises:
    ValueError: if `tensors` is empty.
  """
  if not tensors:
    raise ValueError('reduce_sum_n: `tensors` is empty; no tensors provided.')
  with tf.name_scope(name, 'reduce_sum_n', tensors) as scope:
    sums = [tf.reduce_sum(t, name='%s/sum' % t.op.name) for t in tensors]
    if len(sums) == 1:
      return sums[0]
    return tf.add_n(sums, name=scope)
