"""Op-type patterns matched against a graph (what the rewrite looks for).

A pattern is a tree of op types read from an op towards its inputs: the op's
type, then (optionally) a pattern per input, in order or in any order. A
match maps every pattern of the tree to the op it matched and to the tensor
the parent read from it.

One behaviour of TF1's matcher is kept on purpose, since which layers the
rewrite finds depends on it: trying the input orders of an unordered
pattern, inputs matched by an order that then failed stay in the result.
"""
import itertools


class Match(object):
  """pattern -> (op, tensor) for every pattern a match went through."""

  def __init__(self):
    self._found = {}

  def add(self, pattern, op, tensor):
    self._found[pattern] = (op, tensor)

  def update(self, other):
    self._found.update(other._found)  # pylint: disable=protected-access

  def op(self, pattern):
    return self._found.get(pattern, (None, None))[0]

  def tensor(self, pattern):
    return self._found.get(pattern, (None, None))[1]


class OpType(object):
  """Matches an op whose type is one of `types` ('A|B', or '*' for any).

  Args:
    types: '|'-separated op types, or '*'.
    inputs: None (any inputs), or one pattern (or types string) per input.
    ordered: False to accept the inputs in any order.
  """

  def __init__(self, types, inputs=None, ordered=True):
    self._types = None if types == '*' else frozenset(types.split('|'))
    self._inputs = [p if isinstance(p, (OpType, OneOf)) else OpType(p)
                    for p in inputs or ()]
    self._ordered = ordered

  def match(self, op, tensor):
    if self._types is not None and op.type not in self._types:
      return None
    result = Match()
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
        result.update(found)  # kept even if this order fails later (TF1)
      else:
        return result
    return None


class OneOf(object):
  """Matches the first of `patterns` that matches."""

  def __init__(self, patterns):
    self._patterns = list(patterns)

  def match(self, op, tensor):
    for pattern in self._patterns:
      found = pattern.match(op, tensor)
      if found is not None:
        return found
    return None


def matches(pattern, graph):
  """Yields a Match for every op of `graph` (in creation order) that
  `pattern` matches, ops added meanwhile excluded."""
  for op in graph.get_operations():
    found = pattern.match(op, None)
    if found is not None:
      yield found
