"""Tests for contrib_compat/replacements.py."""
import re

import pytest
import tensorflow as tf

from contrib_compat import replacements


@pytest.mark.parametrize('name,expected', [
    ('rnn', 'tf.compat.v1.nn.rnn_cell'),
    ('rnn.LSTMCell', 'tf.compat.v1.nn.rnn_cell'),
    ('framework.nest', 'tf.nest'),
    ('layers.real_valued_column', 'tf.feature_column.numeric_column'),
    ('slim.layer_norm', 'LayerNormalization'),
])
def test_known_replacements(name, expected):
  assert expected in replacements.replacement_for(name)


@pytest.mark.parametrize('name', ['framework.arg_scope', 'no_such_module',
                                  'layers.separable_conv2d'])
def test_unknown_or_provided_names_have_none(name):
  assert replacements.replacement_for(name) is None


def _named_tf_paths():
  tables = {name: table for name, table in vars(replacements).items()
            if name.isupper() and isinstance(table, dict)}
  return sorted({(name, key, path)
                 for name, table in tables.items()
                 for key, text in table.items()
                 for path in re.findall(r'\btf(?:\.\w+)+', text)})


@pytest.mark.parametrize('table,key,path', _named_tf_paths())
def test_named_tensorflow_replacements_exist(table, key, path):
  # An error message that names a replacement the user cannot find is worse
  # than none (tf.estimator left TF in 2.16).
  del table, key
  obj = tf
  for part in path.split('.')[1:]:
    assert hasattr(obj, part), path
    obj = getattr(obj, part)


@pytest.mark.parametrize('contrib_name,stands_in', [
    ('layers.python.layers', 'layers'),
    ('layers.python.layers.layers', 'layers'),
    ('layers.python.layers.initializers', 'tf_slim.layers.initializers'),
    ('framework.python.ops', 'framework'),
    ('framework.python.ops.variables', 'tf_slim.ops.variables'),
    ('slim.python.slim', 'slim'),
    ('slim.python.slim.nets.resnet_v1', 'tf_slim.nets.resnet_v1'),
    ('slim.nets', 'tf_slim.nets'),
    ('rnn.python.ops', None),
    ('layers', None),  # a contrib module itself, not an implementation one
])
def test_implementation_module(contrib_name, stands_in):
  assert replacements.implementation_module(contrib_name) == stands_in
