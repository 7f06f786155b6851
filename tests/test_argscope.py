"""Tests for contrib_compat/argscope.py: one stack with tf_slim, or our own."""
import os
import subprocess
import sys
import textwrap

import pytest
import tf_slim

from contrib_compat import argscope
from tests.conftest import REPO


def test_shares_tf_slims_stack_when_it_imports():
  assert argscope.tf_slim is tf_slim
  assert argscope.arg_scope is tf_slim.arg_scope
  assert argscope.add_arg_scope is tf_slim.add_arg_scope


@pytest.fixture
def own():
  """A private instance of the fallback implementation."""
  arg_scope, add_arg_scope, current, has = argscope._own_arg_scope_impl()

  @add_arg_scope
  def f(a, b=1, c=2):
    return a, b, c

  def plain(a, b=1):
    return a, b

  return arg_scope, add_arg_scope, current, has, f, plain


def test_fallback_defaults_nest_and_pop(own):
  arg_scope, _, current, has, f, plain = own
  assert has(f) and not has(plain)
  with arg_scope([f], b=10):
    assert f(0) == (0, 10, 2)
    with arg_scope([f], c=20) as scope:
      assert f(0) == (0, 10, 20)
      assert f(0, b=5) == (0, 5, 20)  # explicit arguments win
    with arg_scope(scope):
      assert f(0) == (0, 10, 20)  # a scope dict can be re-entered
    assert f(0) == (0, 10, 2)
  assert f(0) == (0, 1, 2)
  assert current() == {}


def test_fallback_errors(own):
  arg_scope, _, _, _, f, plain = own
  with pytest.raises(ValueError, match='not decorated with @add_arg_scope'):
    with arg_scope([plain], b=1):
      pass
  with pytest.raises(TypeError, match='list/tuple'):
    with arg_scope(f, b=1):
      pass
  with pytest.raises(ValueError, match='no keyword arguments'):
    with arg_scope({}, b=1):
      pass


def test_fallback_stack_pops_on_error(own):
  arg_scope, _, current, _, f, _ = own
  with pytest.raises(RuntimeError):
    with arg_scope([f], b=3):
      raise RuntimeError
  assert current() == {}


_WITHOUT_TF_SLIM = textwrap.dedent('''
    import sys
    sys.modules['tf_slim'] = None  # makes `import tf_slim` raise ImportError
    import tensorflow.compat.v1 as tf
    import contrib_compat as cc
    from contrib_compat import argscope, slim, variables
    assert argscope.tf_slim is None, argscope.tf_slim
    assert isinstance(argscope.TF_SLIM_IMPORT_ERROR, ImportError)
    with tf.Graph().as_default():
      x = tf.placeholder(tf.float32, [1, 8, 8, 3])
      with cc.arg_scope([cc.separable_conv2d], activation_fn=None,
                        padding='VALID'):
        with cc.arg_scope([variables.model_variable], device='/cpu:0'):
          y = cc.separable_conv2d(x, 4, 3, scope='a')
          z = cc.separable_conv2d(x, None, 3, scope='b')
      assert y.op.type == z.op.type == 'BiasAdd', (y.op.type, z.op.type)
      assert y.shape.as_list() == [1, 6, 6, 4]
      assert sorted(v.op.name for v in
                    tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)) == [
          'a/biases', 'a/depthwise_weights', 'a/pointwise_weights',
          'b/biases', 'b/depthwise_weights']
      assert {v.device for v in tf.global_variables()} == {'/device:CPU:0'}
    try:
      slim.conv2d
    except AttributeError as e:
      assert 'failed to import' in str(e), e
    else:
      raise AssertionError('slim.conv2d should not exist without tf_slim')
    print('OK')
''')


def test_package_works_when_tf_slim_import_fails():
  env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL='2')
  result = subprocess.run([sys.executable, '-c', _WITHOUT_TF_SLIM], env=env,
                          capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip().endswith('OK')


def test_layers_falls_through_to_the_tf_slim_layers_package():
  from contrib_compat import layers
  assert layers.l2_regularizer is tf_slim.l2_regularizer
  assert layers.conv2d is tf_slim.conv2d
  with pytest.raises(AttributeError, match='does not provide it'):
    layers.no_such_layer


def test_tf_slim_submodules_resolve_before_anyone_imports_them():
  # `import tf_slim` does not import tf_slim.nets; `slim.nets` once depended
  # on some other code having done so.
  code = ('import sys, contrib_compat.slim as slim\n'
          'assert "tf_slim.nets" not in sys.modules\n'
          'assert slim.nets.vgg.vgg_16 is sys.modules["tf_slim.nets.vgg"]'
          '.vgg_16\n'
          'print("OK")\n')
  env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL='2')
  result = subprocess.run([sys.executable, '-c', code], env=env,
                          capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip().endswith('OK')
