"""Mixed precision the TF1 way: float32 master variables, cast on read.

Before Keras' mixed-precision policies, TF1 models trained in float16 by
feeding float16 inputs and installing a custom getter on the model's
variable scope: layers asked for variables in the input dtype, the getter
created them in float32 (the "master" copy the optimizer updates) and
returned them cast to the compute dtype. Gradients flow through the cast
back to the float32 variable. This module provides that getter; it works
for graph mode, `tf.compat.v1.make_template` and `contrib_compat.Tf1Module`
alike.

    with tf.variable_scope('model', custom_getter=float32_storage_getter):
      logits = model_fn(tf.cast(images, tf.float16))
"""
import tensorflow.compat.v1 as tf

LOW_PRECISION_DTYPES = (tf.float16, tf.bfloat16)


def float32_storage_getter(getter, name, shape=None, dtype=None,
                           initializer=None, regularizer=None, trainable=True,
                           *args, **kwargs):
  """Custom getter: trainable low-precision variables kept in float32.

  A trainable variable requested as float16 or bfloat16 is created (or
  reused) as float32 and returned as `tf.cast(variable, dtype)`. The
  regularizer, if any, sees the float32 variable, so regularization losses
  stay float32 as in TF1 recipes. Non-trainable variables (batch-norm moving
  statistics) are made as requested: the layer assigns to them, which a
  cast tensor would not allow.

  Args:
    getter: The underlying getter (passed by `tf.variable_scope`).
    name: Variable name.
    shape: Variable shape.
    dtype: The dtype the layer asked for: the compute dtype.
    initializer: Initializer, run in float32 for master variables.
    regularizer: Optional regularizer, applied to the float32 variable.
    trainable: Whether the variable is trainable.
    *args: Passed through to `getter`.
    **kwargs: Passed through to `getter`.

  Returns:
    The variable, or for trainable low-precision requests a tensor holding
    its value cast to `dtype`.
  """
  dtype = tf.as_dtype(dtype) if dtype is not None else None
  master = bool(trainable) and dtype in LOW_PRECISION_DTYPES
  variable = getter(name, shape, *args,
                    dtype=tf.float32 if master else dtype,
                    initializer=initializer, regularizer=regularizer,
                    trainable=trainable, **kwargs)
  if master:
    return tf.cast(variable, dtype)
  return variable
