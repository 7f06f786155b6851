"""Tests for contrib_compat.hparams: tf.contrib.training.HParams's behaviour.

There is no TF1 stack to compare against here (contrib left with TF 1.15), so
each expectation is the TF 1.15 behaviour, written out.
"""
import copy
import json

import pytest

from contrib_compat.hparams import HParams
from contrib_compat.hparams import parse_values


def _nasnet_like():
  return HParams(stem_multiplier=3.0, num_cells=18, use_aux_head=1,
                 data_format='NHWC', skip_reduction_layer_input=0,
                 filter_sizes=[3, 5])


def test_values_are_attributes_typed_by_their_first_value():
  hparams = _nasnet_like()
  assert hparams.num_cells == 18 and hparams.filter_sizes == [3, 5]
  assert hparams.values() == dict(
      stem_multiplier=3.0, num_cells=18, use_aux_head=1, data_format='NHWC',
      skip_reduction_layer_input=0, filter_sizes=[3, 5])
  assert 'num_cells' in hparams and 'depth' not in hparams
  assert str(HParams(a=1, b='x')) == 'a=1,b=x'
  assert repr(HParams(b='x', a=1)) == "HParams([('a', 1), ('b', 'x')])"


def test_reserved_names_and_empty_lists_are_refused():
  with pytest.raises(ValueError, match='reserved: values'):
    HParams(values=1)
  with pytest.raises(ValueError, match='reserved: parse'):
    HParams().add_hparam('parse', 1)
  with pytest.raises(ValueError, match='cannot be empty: sizes'):
    HParams(sizes=[])


def test_parse_overrides_by_type():
  hparams = _nasnet_like().parse(
      'stem_multiplier=1, num_cells=6,data_format=NCHW,filter_sizes=[3 7]')
  assert hparams.stem_multiplier == 1.0
  assert isinstance(hparams.stem_multiplier, float)
  assert hparams.num_cells == 6 and hparams.data_format == 'NCHW'
  assert hparams.filter_sizes == [3, 7]


@pytest.mark.parametrize('text,value', [
    ('true', True), ('True', True), ('false', False), ('False', False),
    ('0', False), ('2', True)])
def test_parse_booleans_as_tf1_did(text, value):
  assert HParams(flag=False).parse('flag=' + text).flag is value


@pytest.mark.parametrize('text,message', [
    ('num_cells=0.5', "Could not parse hparam 'num_cells' of type 'int' "
                      "with value '0.5' in num_cells=0.5"),
    ('flag=maybe', "Could not parse hparam 'flag' of type 'bool'"),
    ('depth=3', 'Unknown hyperparameter type for depth'),
    ('num_cells=1,num_cells=2', "Multiple assignments to variable "
                                "'num_cells'"),
    ('sizes[0]=1,sizes[0]=2', r"Multiple assignments to variable "
                              r"'sizes\[0\]'"),
    ('sizes[0]=[1,2]', 'Assignment of a list to a list index'),
    ('=3', 'Malformed hyperparameter value: =3'),
    ('num_cells=[1,2]', 'Must not pass a list for single-valued parameter: '
                        'num_cells'),
    ('sizes=4', 'Must pass a list for multi-valued parameter: sizes'),
    # TF 1.15 parsed index clauses but its parse() could not apply them.
    ('sizes[1]=1', r'Must pass a list for multi-valued parameter: sizes\. '
                   r'HParams.parse does not apply index clauses'),
    ('num_cells[0]=1', r"Could not cast hparam 'num_cells' of type "
                       r"'<class 'int'>' from value \{0: 1\}"),
])
def test_parse_errors(text, message):
  hparams = HParams(num_cells=1, flag=True, sizes=[1, 2])
  before = hparams.values()
  with pytest.raises(ValueError, match=message):
    hparams.parse(text)
  assert hparams.values() == before


def test_parse_values_returns_index_clauses_as_dicts():
  assert parse_values('x=5,L=[1,2],arr[1]=3',
                      {'x': int, 'L': int, 'arr': float}) == {
                          'x': 5, 'L': [1, 2], 'arr': {1: 3.0}}
  assert parse_values('x=5,y=1', {'x': int}, ignore_unknown=True) == {'x': 5}


@pytest.mark.parametrize('name,value,expected', [
    ('rate', 1, 1.0),          # int -> float is allowed
    ('depth', True, None),     # bool is not an int here
    ('depth', 2.0, None),      # float -> int is refused
    ('rate', '1.0', None),     # no string -> number
    ('name', 3, None),         # no number -> string
    ('flag', 1, None),         # no number -> bool
    ('name', 'b', 'b'),
])
def test_set_hparam_casts_as_tf1(name, value, expected):
  hparams = HParams(rate=0.5, depth=3, name='a', flag=False)
  if expected is None:
    with pytest.raises(ValueError, match="Could not cast hparam '%s'" % name):
      hparams.set_hparam(name, value)
  else:
    hparams.set_hparam(name, value)
    assert getattr(hparams, name) == expected
    assert type(getattr(hparams, name)) is type(expected)


def test_set_hparam_unknown_name_is_a_key_error():
  with pytest.raises(KeyError):
    HParams(a=1).set_hparam('b', 1)


def test_declared_none_accepts_anything():
  hparams = HParams(schedule=None)
  hparams.set_hparam('schedule', 'cosine')
  assert hparams.schedule == 'cosine'


def test_json_round_trip_and_override_from_dict():
  hparams = _nasnet_like()
  text = hparams.to_json(sort_keys=True)
  assert json.loads(text) == hparams.values()
  other = HParams(**{k: v for k, v in hparams.values().items()})
  other.parse_json('{"num_cells": 6, "filter_sizes": [1]}')
  assert other.num_cells == 6 and other.filter_sizes == [1]
  assert other.override_from_dict({'num_cells': 7}) is other
  assert other.set_from_map({'num_cells': 8}).num_cells == 8


def test_get_checks_the_default_against_the_type():
  hparams = HParams(depth=3, sizes=[1])
  assert hparams.get('depth', 5) == 3
  assert hparams.get('missing', 'x') == 'x'
  with pytest.raises(ValueError, match="Hparam 'depth' of type"):
    hparams.get('depth', 'deep')
  with pytest.raises(ValueError, match='incompatible with default=3'):
    hparams.get('sizes', 3)


def test_del_hparam_and_deepcopy():
  hparams = _nasnet_like()
  copied = copy.deepcopy(hparams)
  hparams.del_hparam('num_cells')
  hparams.del_hparam('not_there')
  assert 'num_cells' not in hparams and not hasattr(hparams, 'num_cells')
  assert copied.num_cells == 18
  copied.set_hparam('data_format', 'NCHW')
  assert hparams.data_format == 'NHWC'


def test_proto_serialization_says_why_it_is_missing():
  with pytest.raises(NotImplementedError, match='to_json'):
    HParams().to_proto()
  with pytest.raises(NotImplementedError, match='HParamDef'):
    HParams(hparam_def=object())
  with pytest.raises(NotImplementedError, match='HParamDef'):
    HParams.from_proto(object())
