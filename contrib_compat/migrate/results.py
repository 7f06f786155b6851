"""What rewriting a file gives: frozen, typed results.

`rewrite.rewrite_sources` returns a `Result`; the notes in it (and in the
cache, cache.py) are `Note`s; a module that does not parse raises
`SourceError`.
"""
import collections
import dataclasses


class SourceError(Exception):
  """A module that does not parse; `module` is its index in the file."""

  def __init__(self, module, message):
    super().__init__(message)
    self.module = module


@dataclasses.dataclass(frozen=True)
class Note:
  """A use left for a human: where (module index, line), what, what to do."""
  module: int
  line: int
  name: str
  advice: str


@dataclasses.dataclass
class Result:
  """What `rewrite_sources` did to one file."""
  outputs: list
  counts: collections.Counter
  notes: list
