"""What rewriting a file gives: frozen, typed results.

`rewrite.rewrite_sources` returns a `Result`; the notes in it (and in the
cache, cache.py) are `Note`s; a module that does not parse raises
`SourceError`. The command line (migrate/__init__.py) turns each file into
a `FileOutcome`: its `FileRewrite`, or the errors that left it untouched.
"""
import collections
import dataclasses
from typing import List, Optional, Sequence, Tuple


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


@dataclasses.dataclass(frozen=True)
class Result:
  """What `rewrite_sources` did to one file: `outputs` one per module
  (None when it came from the cache), `counts` rewrites by kind, `notes`."""
  outputs: Optional[list]
  counts: collections.Counter
  notes: List[Note]


@dataclasses.dataclass(frozen=True)
class FileRewrite:
  """One file rewritten (maybe to the same bytes)."""
  new: bytes
  diffs: Sequence[Tuple[str, str, str]]  # (name, old text, new text)
  result: Result
  cells: Optional[Sequence[int]]  # a notebook's code cell numbers


@dataclasses.dataclass(frozen=True)
class FileOutcome:
  """What happened to one file: `rewrite`, or `errors` [(where, message)]
  that left it untouched. `data` is the bytes read (None if unreadable)."""
  path: str
  data: Optional[bytes]
  rewrite: Optional[FileRewrite] = None
  errors: Sequence[Tuple[str, str]] = ()

  @property
  def unchanged(self):
    return self.rewrite is not None and self.rewrite.new == self.data
