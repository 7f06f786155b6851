"""The rewrite's two private TensorFlow calls, here and nowhere else.

tf.contrib.quantize changed a built graph in place: it rewired the inputs of
existing operations to the new fake-quant and folded ops
(`Operation._update_input`), and gave training FusedBatchNorms a gradient of
its own (`Operation._set_attr('_gradient_op_type', ...)`), so that the
script's loss and train op see the quantized graph. TF 2 has no public way
to do either; both methods are still there (TensorFlow's own graph
transforms call them). They are checked when this module is imported, so a
TensorFlow without them fails at `import`, with its version, not midway
through a rewrite.
"""
import tensorflow as tf

_NEEDED = ('_update_input', '_set_attr')
_MISSING = [name for name in _NEEDED if not hasattr(tf.Operation, name)]
if _MISSING:
  raise ImportError(
      'contrib_compat.quantize rewires graphs with tf.Operation.%s, which '
      'TensorFlow %s does not have; use a TensorFlow release from 2.4 to '
      '2.21 (the ones tested)' % (' and .'.join(_MISSING), tf.__version__))


def reroute(new, old, can_modify=None):
  """Makes consumers of tensor `old` read tensor `new` instead.

  Args:
    new: the tensor consumers read from now on.
    old: the tensor they read until now.
    can_modify: if given, only these operations are changed.

  Returns:
    How many inputs were changed (an op reading `old` twice counts twice).
  """
  changed = 0
  consumers = old.consumers()
  if can_modify is not None:
    consumers = [c for c in consumers if c in can_modify]
  # Indices first: changing an input changes `c.inputs`.
  indices = [(c, [i for i, t in enumerate(c.inputs) if t is old])
             for c in consumers]
  for consumer, positions in indices:
    for i in positions:
      consumer._update_input(i, new)
      changed += 1
  return changed


def set_gradient(op, gradient_name):
  """Makes tf.gradients use the gradient registered as `gradient_name` for
  the existing `op` (what `gradient_override_map` does for new ops)."""
  value = tf.compat.v1.AttrValue(s=gradient_name.encode())
  op._set_attr('_gradient_op_type', value)
