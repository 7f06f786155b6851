"""XLA: a MobileNet-style model compiled with tf.function(jit_compile=True).

XLA is what TPUs execute, so compiling forward and backward of a separable /
batch-norm model on the CPU XLA backend is the stand-in for TPU support here:
it shows every op the layers emit has an XLA kernel and that the compiled
results match the uncompiled ones. It says nothing about TPU-specific
lowering, bfloat16 numerics on the MXU, or TPUStrategy (no TPU is available).
"""
import numpy as np
import pytest
import tensorflow as tf2

import contrib_compat
from tests.helpers.tf1_models import images
from tests.helpers.tf1_models import randomize
from tests.helpers.tf1_models import small_mobilenet


def _step(module, is_training):

  def step(x, labels):
    with tf2.GradientTape() as tape:
      logits = module(x, is_training=is_training)
      loss = tf2.reduce_mean(
          tf2.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
      loss += tf2.add_n(module.regularization_losses)
    return [logits, loss] + list(
        tape.gradient(loss, module.trainable_variables))

  return step


@pytest.mark.parametrize('is_training', [True, False],
                         ids=['training', 'inference'])
def test_forward_and_backward_compile_and_match(is_training):
  x = tf2.constant(images())
  labels = tf2.constant([0, 1, 2, 3])
  module = contrib_compat.Tf1Module(small_mobilenet)
  module(x, is_training=False)
  randomize(module)
  # Moving averages move in training calls: both runs start from the same.
  start = [v.numpy() for v in module.variables]
  step = _step(module, is_training)
  plain = tf2.function(step)
  compiled = tf2.function(step, jit_compile=True)
  expected = [t.numpy() for t in plain(x, labels)]
  after_plain = [v.numpy() for v in module.variables]
  for var, value in zip(module.variables, start):
    var.assign(value)
  # experimental_get_compiler_ir fails unless XLA can compile every op.
  assert 'HloModule' in compiled.experimental_get_compiler_ir(x, labels)(
      stage='hlo')
  got = [t.numpy() for t in compiled(x, labels)]
  assert len(got) == 2 + len(module.trainable_variables)
  for e, g in zip(expected, got):
    np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
  for var, value in zip(module.variables, after_plain):
    np.testing.assert_allclose(var.numpy(), value, rtol=1e-5, atol=1e-5,
                               err_msg=var.name)
