"""Tests for contrib_compat/replacements.py."""
import pytest

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
