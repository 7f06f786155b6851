"""Tests for contrib_compat/variables.py."""
import functools
import inspect

import pytest
import tensorflow.compat.v1 as tf

from contrib_compat import argscope
from contrib_compat import variables


def test_uses_tf_slims_model_variable_when_available():
  assert variables.model_variable is argscope.tf_slim.model_variable


@pytest.mark.parametrize('make', [variables._own_model_variable,
                                  variables.model_variable])
def test_model_variable_collections(graph, make):
  v = make('w', shape=[2], collections=['extra'], trainable=False)
  assert v in tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
  assert v in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)
  assert v in tf.get_collection('extra')
  assert v not in tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)


def test_own_variable_custom_getter_and_device(graph):
  calls = []

  def getter(*args, reuse=None, **kwargs):
    calls.append(reuse)
    return tf.get_variable(*args, **kwargs)

  with tf.variable_scope('s', reuse=tf.AUTO_REUSE):
    v = variables._own_variable('w', shape=[1], custom_getter=getter,
                                device='/cpu:0')
  assert calls == [tf.AUTO_REUSE]
  assert v.device == '/device:CPU:0'
  assert v.op.name == 's/w'


def test_get_variable_collections():
  assert variables.get_variable_collections(None, 'weights') is None
  assert variables.get_variable_collections(['a'], 'weights') == ['a']
  assert variables.get_variable_collections({'weights': ['w']},
                                            'biases') is None
  assert variables.get_variable_collections({'weights': ['w']},
                                            'weights') == ['w']


def test_add_variable_to_collections_is_idempotent(graph):
  v = tf.get_variable('w', shape=[1])
  variables.add_variable_to_collections(v, {'weights': ['c']}, 'weights')
  variables.add_variable_to_collections(v, {'weights': ['c']}, 'weights')
  variables.add_variable_to_collections(v, {'weights': ['c']}, 'biases')
  assert tf.get_collection('c') == [v]


def test_add_partitioned_variable_to_collections(graph):
  v = tf.get_variable('p', shape=[4, 2],
                      partitioner=tf.fixed_size_partitioner(2))
  variables.add_variable_to_collections(v, ['c'], 'weights')
  assert tf.get_collection('c') == list(v)


def test_collect_named_outputs(graph):
  t = tf.constant(1.0)
  assert variables.collect_named_outputs(None, 'a', t) is t
  assert not hasattr(t, 'aliases')
  variables.collect_named_outputs(['c1', 'c2'], 'scope/a/', t)
  variables.collect_named_outputs('c1', 'b', t)
  assert t.aliases == ['scope/a', 'b']
  assert tf.get_collection('c1') == [t, t] and tf.get_collection('c2') == [t]


def test_add_to_collections_accepts_a_getters_tensor(graph):
  # A casting custom getter (TF1 mixed precision) returns a tensor.
  t = tf.cast(tf.get_variable('w', shape=[1]), tf.float16)
  variables.add_variable_to_collections(t, ['c'], 'weights')
  assert tf.get_collection('c') == [t]


def test_layer_getter_makes_model_variables_renamed_without_constraint(graph):
  getter = variables.layer_variable_getter({'bias': 'biases'})
  with tf.variable_scope('layer', custom_getter=getter):
    bias = tf.get_variable('bias', [2], constraint=lambda v: v)
  assert bias.op.name == 'layer/biases'
  assert bias in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)
  # TF1's getter dropped the constraint (its **_ took it).
  assert bias.constraint is None


def test_layer_getter_is_cheap_for_get_variable_to_inspect():
  # get_variable inspects a custom getter on every call: whether it names
  # `constraint`, else whether it has **kwargs. This getter answers the
  # first question, from a signature computed once.
  getter = variables.layer_variable_getter()
  assert isinstance(getter, functools.partial)
  assert 'constraint' in inspect.getfullargspec(getter.func).args
  assert getter.func.__signature__ == inspect.signature(
      getter.func, follow_wrapped=False)


def test_own_model_variable_takes_variables_arguments(graph):
  assert (inspect.signature(variables._own_model_variable) ==
          inspect.signature(variables._own_variable))
  v = variables._own_model_variable('w', [3], tf.float64)
  assert (v.shape.as_list(), v.dtype.base_dtype) == ([3], tf.float64)
  assert v in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)
  with pytest.raises(TypeError):
    variables._own_model_variable('w2', shapes=[3])
