"""Fake-quant ops with learned ranges: TF1's `quant_ops`, same graph.

Each call makes a variable scope `<name_prefix>` (made unique) holding `min`
and `max` (not trainable, in GLOBAL_VARIABLES, averaged over replicas). In an
eval graph the fake quant reads them; in a training graph it reads their
update from the batch's range (which always contains 0): the last value for
weights, an exponential moving average (zero-debiased, as TF1's
assign_moving_average) for activations.
"""
import collections

import tensorflow as tf2
import tensorflow.compat.v1 as tf

from contrib_compat import moving_averages


class RangeConfig(collections.namedtuple('RangeConfig', [
    'moving_average', 'init_min', 'init_max', 'ema_decay', 'is_training',
    'bits', 'narrow_range', 'symmetric', 'vars_collection'])):
  """How one fake quant learns its range (TF1's keyword arguments)."""


def quantize(inputs, name_prefix, config):
  """`inputs` fake-quantized over a learned range (per tensor)."""
  with tf.variable_scope(None, default_name=name_prefix,
                         values=[inputs]) as scope:
    scope.set_partitioner(None)
    collections_ = ([config.vars_collection] if config.vars_collection
                    else []) + [tf.GraphKeys.GLOBAL_VARIABLES]
    min_var, max_var = (tf.get_variable(
        name, shape=[], initializer=tf.constant_initializer(value),
        collections=collections_, trainable=False,
        aggregation=tf2.VariableAggregation.MEAN)
                        for name, value in (('min', config.init_min),
                                            ('max', config.init_max)))
    if not config.is_training:
      return _fake_quant(inputs, min_var, max_var, config)
    batch_min = tf.reduce_min(inputs, name='BatchMin')
    batch_max = tf.reduce_max(inputs, name='BatchMax')
    if config.symmetric:
      # Two's complement: the negative side is one step longer.
      ratio = (-1 if config.narrow_range else
               -((1 << config.bits) - 2) / (1 << config.bits))
      range_min = tf.minimum(batch_min, batch_max / ratio)
      range_max = tf.maximum(batch_max, batch_min * ratio)
    else:
      # TFLite needs 0.0 inside every range.
      range_min = tf.minimum(batch_min, 0.0)
      range_max = tf.maximum(batch_max, 0.0)
    if config.moving_average:
      new_min = moving_averages.assign_moving_average(
          min_var, range_min, config.ema_decay, name='AssignMinEma')
      new_max = moving_averages.assign_moving_average(
          max_var, range_max, config.ema_decay, name='AssignMaxEma')
    else:
      new_min = tf.assign(min_var, range_min, name='AssignMinLast')
      new_max = tf.assign(max_var, range_max, name='AssignMaxLast')
    return _fake_quant(inputs, new_min, new_max, config)


def _fake_quant(inputs, min_value, max_value, config):
  return tf.quantization.fake_quant_with_min_max_vars(
      inputs, min_value, max_value, num_bits=config.bits,
      narrow_range=config.narrow_range)


def quantization_step():
  """The graph's `fake_quantization_step/Identity:0`, made on first use.

  A non-trainable int64 variable at the root, incremented once per run by
  every graph execution that reads it (quant_delay, freeze_bn_delay).
  """
  graph = tf.get_default_graph()
  try:
    return graph.get_tensor_by_name('fake_quantization_step/Identity:0')
  except KeyError:
    pass
  with graph.name_scope(None):
    step = tf.get_variable(
        'fake_quantization_step', shape=[], dtype=tf.int64,
        initializer=tf.zeros_initializer(), trainable=False,
        collections=[tf.GraphKeys.GLOBAL_VARIABLES],
        aggregation=tf2.VariableAggregation.ONLY_FIRST_REPLICA)
    with graph.name_scope(step.op.name + '/'):
      # An Identity, so that resource and ref variables give one name.
      return tf.identity(tf.assign_add(step, 1))
