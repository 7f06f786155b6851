"""Op-type patterns matched against a graph: TF1's `graph_matcher` API.

A pattern is a tree of op types read from an op towards its inputs: the op's
type, then (optionally) a pattern per input, in order or in any order. A
match maps every pattern of the tree to the op it matched and to the tensor
the parent read from it. The rewrite finds layers with it, and TF1 code
imported it as `tensorflow.contrib.quantize.python.graph_matcher` (the
Object Detection API's exporter does), so the names and arguments are TF
1.15's: OpTypePattern, OneofPattern, GraphMatcher, MatchResult.

One behaviour of TF1's matcher is kept on purpose, since which layers the
rewrite finds depends on it: trying the input orders of an unordered
pattern, inputs matched by an order that then failed stay in the result.
"""
import itertools


class Pattern(object):
  """What OpTypePattern and OneofPattern are."""

  def match(self, op, tensor):
    raise NotImplementedError('Method "match" not implemented.')


class OpTypePattern(Pattern):
  """Matches an op whose type is one of `op_type` ('A|B', or '*' for any).

  Args:
    op_type: '|'-separated op types, or '*'.
    name: optional name to look the match up by in a MatchResult.
    inputs: None (any inputs), or one pattern (or op_type string) per input.
    ordered_inputs: False to accept the inputs in any order.

  Raises:
    ValueError: more than 8 inputs (TF1's limit, for the permutations).
  """

  def __init__(self, op_type, name=None, inputs=None, ordered_inputs=True):
    inputs = list(inputs or ())
    if len(inputs) > 8:
      raise ValueError(
          'Only < 8 inputs are allowed when ordered_inputs is False.')
    self._types = None if op_type == '*' else frozenset(op_type.split('|'))
    self._name = name
    self._inputs = [p if isinstance(p, Pattern) else OpTypePattern(p)
                    for p in inputs]
    self._ordered = ordered_inputs

  @property
  def name(self):
    return self._name

  def match(self, op, tensor):
    if self._types is not None and op.type not in self._types:
      return None
    result = MatchResult()
    result.add(self, op, tensor)
    if not self._inputs:
      return result
    if len(op.inputs) != len(self._inputs):
      return None
    orders = ([self._inputs] if self._ordered else
              itertools.permutations(self._inputs))
    for order in orders:
      for tensor_in, pattern in zip(op.inputs, order):
        found = pattern.match(tensor_in.op, tensor_in)
        if found is None:
          break
        result.merge_from(found)  # kept even if this order fails later (TF1)
      else:
        return result
    return None


class OneofPattern(Pattern):
  """Matches the first of `sub_patterns` that matches."""

  def __init__(self, sub_patterns):
    self._sub_patterns = list(sub_patterns)

  def match(self, op, tensor):
    for pattern in self._sub_patterns:
      found = pattern.match(op, tensor)
      if found is not None:
        return found
    return None


class MatchResult(object):
  """pattern (or its name) -> the op and tensor it matched."""

  def __init__(self):
    self._found = {}
    self._names = {}

  def add(self, pattern, op, tensor):
    self._found[pattern] = (op, tensor)
    name = getattr(pattern, 'name', None)
    if name is not None:
      if name in self._names:
        raise ValueError('Name %s is already bound to another pattern' % name)
      self._names[name] = pattern

  def merge_from(self, other):
    self._found.update(other._found)
    self._names.update(other._names)

  def _lookup(self, pattern_or_name):
    if isinstance(pattern_or_name, str):
      pattern_or_name = self._names.get(pattern_or_name)
    elif not isinstance(pattern_or_name, Pattern):
      raise ValueError('pattern_or_name has type %s. Expect Pattern or str.'
                       % type(pattern_or_name))
    return self._found.get(pattern_or_name, (None, None))

  def get_op(self, pattern_or_name):
    return self._lookup(pattern_or_name)[0]

  def get_tensor(self, pattern_or_name):
    return self._lookup(pattern_or_name)[1]


class GraphMatcher(object):
  """Matches `pattern` against ops, a graph's in creation order."""

  def __init__(self, pattern):
    self._pattern = pattern

  def match_op(self, op):
    """The MatchResult of `op`, or None."""
    return self._pattern.match(op, None)

  def match_ops(self, ops):
    for op in ops:
      found = self.match_op(op)
      if found is not None:
        yield found

  def match_graph(self, graph):
    """Every match in `graph`; ops added while iterating are not visited."""
    return self.match_ops(graph.get_operations())
