"""tf.contrib.opt's MovingAverageOptimizer, rebuilt on tf.compat.v1.train.

The Object Detection API wraps every optimizer in it unless a pipeline
config says `use_moving_average: false`, and slim training scripts saved
its averages with `swapping_saver()`. As in TF 1.15 it keeps an
`ExponentialMovingAverage` of every variable it trains (variables
`<name>/ExponentialMovingAverage`), updated after each step (or beside it,
`sequential_update=False`), groups both into an op named `train_with_avg`,
and its `swapping_saver()` writes each average under its variable's name
and the variable under its average's, so that restoring that checkpoint
into a model without the optimizer gives the averaged weights.

The rest of tf.contrib.opt is refused with a message naming a replacement
(see replacements.py).
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import tensorflow.compat.v1 as tf

from contrib_compat import names


class MovingAverageOptimizer(tf.train.Optimizer):
  """An optimizer that also keeps a moving average of what it trains.

  As tf.contrib.opt.MovingAverageOptimizer (TF 1.15):

    opt = MovingAverageOptimizer(tf.train.MomentumOptimizer(0.1, 0.9))
    train_op = opt.minimize(loss)        # named 'train_with_avg'
    saver = opt.swapping_saver()         # averages saved as the variables

  Like TF1's it does not initialize `tf.train.Optimizer` itself: gradients,
  slots and names are the wrapped optimizer's.
  """

  def __init__(self, opt: Any, average_decay: float = 0.9999,
               num_updates: Optional[Any] = None,
               sequential_update: bool = True) -> None:
    """Wraps `opt`.

    Args:
      opt: the tf.compat.v1.train.Optimizer computing and applying gradients.
      average_decay: the decay of the moving averages (see
        tf.train.ExponentialMovingAverage).
      num_updates: optional count of updates, which lowers the decay early
        on (see tf.train.ExponentialMovingAverage).
      sequential_update: if True the averages update after the step's
        variable updates; if False at the same time (benign races, as TF1).

    Raises:
      TypeError: `opt` has no compute_gradients / apply_gradients (TF1
        took it and failed at minimize(); a Keras optimizer is one).
    """
    if not all(callable(getattr(opt, method, None))
               for method in ('compute_gradients', 'apply_gradients')):
      raise TypeError('MovingAverageOptimizer: `opt` must be a '
                      'tf.compat.v1.train.Optimizer (with compute_gradients '
                      'and apply_gradients), got %r' % (opt,))
    self._optimizer = opt
    self._ema = tf.train.ExponentialMovingAverage(average_decay,
                                                  num_updates=num_updates)
    self._swapped_variable_name_map = None
    self._sequential_update = sequential_update

  def compute_gradients(self, *args: Any, **kwargs: Any) -> List[Tuple]:
    return self._optimizer.compute_gradients(*args, **kwargs)

  def apply_gradients(self, grads_and_vars: Sequence[Tuple],
                      global_step: Optional[tf.Variable] = None,
                      name: Optional[str] = None) -> tf.Operation:
    """The wrapped optimizer's update, then the moving averages' update.

    Returns:
      One op, `train_with_avg`, grouping both.
    """
    grads_and_vars = list(grads_and_vars)
    train_op = self._optimizer.apply_gradients(
        grads_and_vars, global_step=global_step, name=name)
    trained = [var for grad, var in grads_and_vars if grad is not None]
    self._swapped_variable_name_map = {}
    if self._sequential_update:
      with tf.control_dependencies([train_op]):
        average_op = self._ema.apply(trained)
    else:
      average_op = self._ema.apply(trained)
    for var in trained:
      average = names.op_name(self._ema.average(var).name)
      self._swapped_variable_name_map[names.op_name(var.name)] = average
      self._swapped_variable_name_map[average] = names.op_name(var.name)
    return tf.group(train_op, average_op, name='train_with_avg')

  def swapping_saver(self, var_list: Optional[Any] = None,
                     name: str = 'swapping_saver',
                     **kwargs: Any) -> tf.train.Saver:
    """A Saver writing each average under its variable's name and back.

    Use it while training; evaluate with a plain Saver (or restore this
    one's checkpoint into a model without the optimizer).

    Args:
      var_list: what to save, as for `tf.train.Saver` (a list, or a dict
        from checkpoint name to variable or list of partitions); None saves
        every global variable.
      name: the Saver's name.
      **kwargs: the rest of `tf.train.Saver`'s arguments.

    Returns:
      A tf.compat.v1.train.Saver.

    Raises:
      RuntimeError: minimize() / apply_gradients() was not called first.
      ValueError: `var_list` holds a trained variable but not its average
        (or the reverse).
    """
    if self._swapped_variable_name_map is None:
      raise RuntimeError('MovingAverageOptimizer.swapping_saver: call '
                         'apply_gradients or minimize before creating the '
                         'swapping_saver')
    if var_list is None:
      var_list = tf.global_variables()
    saved = var_list if isinstance(var_list, dict) else _by_checkpoint_name(
        var_list)
    by_name = {}
    for key, value in saved.items():
      if isinstance(value, list) or _is_partitioned(value):
        by_name.update((names.op_name(part.name), part) for part in value)
      else:
        by_name[key] = value

    def swapped(key, value):
      other = self._swapped_variable_name_map.get(key)
      if other is None:
        return value
      if other not in by_name:
        raise ValueError('MovingAverageOptimizer.swapping_saver: variable to '
                         'swap %s is not among the variables to save (`var_'
                         'list`); it must be saved with %s' % (other, key))
      return by_name[other]

    # A PartitionedVariable given whole passes unswapped: TF1 looked it up
    # by its own name, which the map (of its parts' names) never holds.
    return tf.train.Saver(
        {key: [swapped(names.op_name(part.name), part) for part in value]
         if isinstance(value, list) else swapped(key, value)
         for key, value in saved.items()}, name=name, **kwargs)


def _is_partitioned(value) -> bool:
  # PartitionedVariable has no public class; it is the variable-like value
  # that is neither a Variable nor a tensor and iterates its parts.
  return not isinstance(value, (tf.Variable, tf.Tensor, list))


def _by_checkpoint_name(var_list) -> Dict[str, Any]:
  """{checkpoint name: variable, PartitionedVariable, or the list of the
  parts of one}, the names TF1's Saver gave a list of variables."""
  found = {}
  for var in var_list:
    if _is_partitioned(var):
      found[names.op_name(var.name)] = var
      continue
    whole = var.to_proto().save_slice_info_def.full_name
    if whole:
      found.setdefault(whole, []).append(var)
    else:
      found[names.op_name(var.name)] = var
  return found
