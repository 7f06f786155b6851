"""Tests for contrib_compat/names.py."""
import pytest

from contrib_compat import names


@pytest.mark.parametrize('name, expected', [
    ('scope/w:0', 'scope/w'),
    ('scope/w/part_1:0', 'scope/w/part_1'),
    ('op:12', 'op'),
    ('scope/w', 'scope/w'),
    ('odd:name', 'odd:name'),  # not an output index
])
def test_op_name(name, expected):
  assert names.op_name(name) == expected
