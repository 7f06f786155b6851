"""Moving-average updates with TF1's graph: batch_norm's statistics and
tf.contrib.quantize's activation ranges.

TF 2 has no public `assign_moving_average`; this is TF 1.15's, node for node
(`<scope>/decay` holds 1 - decay; with zero_debias, `<variable>/biased` and
`<variable>/local_step` shadow variables), including its averaging over
replicas under a distribution strategy.
"""
import contextlib

import tensorflow as tf2
import tensorflow.compat.v1 as tf

from contrib_compat import names


def colocate(var):
  """Where TF1 put an update: with its variable (nothing when eager)."""
  # Graph.colocate_with, not the deprecated tf.compat.v1.colocate_with (it
  # logs). TF1 placed every moving-average update with its variable.
  if tf.executing_eagerly():
    # Eager updates (make_template) run at once, where the variable lives.
    return contextlib.nullcontext()
  return tf.get_default_graph().colocate_with(var)


def assign_moving_average(variable, value, decay, zero_debias=True, name=None):
  """TF1's `tf.train.assign_moving_average` (not public in TF 2).

  Same graph as TF1: `decay` holds 1 - decay; with `zero_debias`, shadow
  variables `<variable>/biased` and `<variable>/local_step` are created in a
  variable scope named after the variable and the update divides by
  1 - decay ** step.
  """
  with tf.name_scope(name, 'AssignMovingAvg',
                     [variable, value, decay]) as scope:
    decay = tf.convert_to_tensor(1.0 - decay, name='decay')
    if decay.dtype != variable.dtype.base_dtype:
      decay = tf.cast(decay, variable.dtype.base_dtype)

    def update_fn(var, val):
      with colocate(var):
        if zero_debias:
          return _zero_debias(var, val, decay)
        return tf.assign_sub(var, (var - val) * decay, name=scope)

    if tf2.distribute.has_strategy():
      # Under a distribution strategy the moving statistics are averaged over
      # replicas before the update, as TF1's assign_moving_average did.
      def merge_fn(strategy, var, val):
        val = strategy.extended.reduce_to(tf2.distribute.ReduceOp.MEAN, val,
                                          var)
        return strategy.extended.update(var, update_fn, args=(val,))

      context = tf2.distribute.get_replica_context()
      if context is not None:
        return context.merge_call(merge_fn, args=(variable, value))
      return tf2.distribute.get_strategy().extended.update(
          variable, update_fn, args=(value,))
    return update_fn(variable, value)


def _zero_debias(unbiased_var, value, decay):
  """The zero-debiased update of `unbiased_var` (see assign_moving_average)."""
  var_name = names.op_name(unbiased_var.name)
  with tf.variable_scope(var_name, values=[unbiased_var, value, decay]):
    scope = tf.get_variable_scope()

    def unique(name):
      # A second layer writing to the same variable gets biased_1, ... as TF1.
      if scope.reuse:
        return name
      existing = {v.op.name for v in scope.global_variables()}
      full = scope.name + '/' + name
      if full not in existing:
        return name
      idx = 1
      while '%s_%d' % (full, idx) in existing:
        idx += 1
      return '%s_%d' % (name, idx)

    dtype = unbiased_var.dtype.base_dtype
    biased = tf.get_variable(
        unique('biased'), initializer=tf.zeros_initializer(),
        shape=unbiased_var.shape, dtype=dtype, trainable=False)
    local_step = tf.get_variable(
        unique('local_step'), shape=[], dtype=dtype,
        initializer=tf.zeros_initializer(), trainable=False)
  update_biased = tf.assign_sub(biased, (biased - value) * decay)
  update_local_step = local_step.assign_add(1)
  bias_factor = 1 - tf.pow(1.0 - decay, update_local_step)
  return tf.assign(unbiased_var, update_biased / bias_factor,
                   name=tf.get_default_graph().get_name_scope() + '/')
