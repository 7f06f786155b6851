"""The public API is typed: every parameter and return of contrib_compat's
top-level functions and of Tf1Module's public members is annotated, and the
annotations resolve (typing.get_type_hints), so type checkers see them
(the package ships py.typed)."""
import inspect
import typing

import pytest

import contrib_compat
from contrib_compat import tf2
from tests.conftest import REPO

# arg_scope / add_arg_scope are tf_slim's own when tf_slim imports.
_OURS = sorted(n for n in contrib_compat._LAZY
               if n not in ('arg_scope', 'add_arg_scope', 'Tf1Module'))
_TF1MODULE = sorted(
    n for n, v in vars(tf2.Tf1Module).items()
    if (not n.startswith('_') or n in ('__init__', '__call__')) and
    (callable(v) or isinstance(v, property)))


def _assert_annotated(function, what):
  signature = inspect.signature(function)
  for name, parameter in signature.parameters.items():
    if name != 'self':
      assert parameter.annotation is not inspect.Parameter.empty, (what, name)
  assert signature.return_annotation is not inspect.Signature.empty, what
  typing.get_type_hints(function)


@pytest.mark.parametrize('name', _OURS)
def test_top_level_function_is_annotated(name):
  function = getattr(contrib_compat, name)
  _assert_annotated(inspect.unwrap(function), name)


@pytest.mark.parametrize('name', _TF1MODULE)
def test_tf1module_member_is_annotated(name):
  member = vars(tf2.Tf1Module)[name]
  _assert_annotated(member.fget if isinstance(member, property) else member,
                    'Tf1Module.' + name)


def test_ships_py_typed():
  assert (REPO / 'contrib_compat' / 'py.typed').is_file()
  assert 'py.typed' in (REPO / 'pyproject.toml').read_text()
