"""`tf.contrib.summary`'s writers, with TF1's arguments, on public TF 2 ops.

`tf.contrib.summary` was the prototype of TF 2's `tf.summary`; its writer,
`record_if` and `initialize` live on under other names (see `moved.py`). Its
writing functions do not map onto TF 2's: contrib took `family` where TF 2
takes `step` (`scalar(name, tensor, family=None, step=None)` against
`scalar(name, data, step=None, description=None)`), defaulted the step to the
global step where TF 2 fails without one, wrote classic `Summary` values
(`simple_value`, encoded images, histogram buckets) where TF 2 writes tensor
summaries, and TF 2's versions need the tensorboard package. So these keep
TF1's signatures and TF1's records: each builds the TF1 summary op of the
same name (`tf.compat.v1.summary.scalar`, ...: the same tag, `family`
included, and the same encoding, image scaling included) and writes it with
`tf.summary.experimental.write_raw_pb` to the default writer, under the
`record_if` condition, at `step` or else the global step (created if
missing), as TF1 did. `image`'s `bad_color` (TF1's colour for non-finite
pixels) has no public way through and raises ValueError.
"""
import tensorflow as tf

# The rest of tf.contrib.summary, as TF 2 has it, so that this module stands
# for the whole of it (`from tensorflow.contrib import summary` migrates to
# `from contrib_compat import summary`).
create_file_writer = tf.summary.create_file_writer
flush = tf.summary.flush
initialize = tf.compat.v1.summary.initialize
all_summary_ops = tf.compat.v1.summary.all_v2_summary_ops


def always_record_summaries():
  """Records every summary in its context; TF 2's `record_if(True)`."""
  return tf.summary.record_if(True)


def never_record_summaries():
  """Records no summary in its context; TF 2's `record_if(False)`."""
  return tf.summary.record_if(False)


def _write(summary, step):
  if step is None:
    step = tf.compat.v1.train.get_or_create_global_step()
  return tf.summary.experimental.write_raw_pb(summary, step=step)


def scalar(name, tensor, family=None, step=None):
  """Writes a scalar summary; TF1's `tf.contrib.summary.scalar`."""
  return _write(tf.compat.v1.summary.scalar(name, tensor, collections=[],
                                            family=family), step)


def histogram(name, tensor, family=None, step=None):
  """Writes a histogram summary; TF1's `tf.contrib.summary.histogram`."""
  return _write(tf.compat.v1.summary.histogram(name, tensor, collections=[],
                                               family=family), step)


def image(name, tensor, bad_color=None, max_images=3, family=None, step=None):
  """Writes an image summary; TF1's `tf.contrib.summary.image`."""
  if bad_color is not None:
    raise ValueError('tf.contrib.summary.image: `bad_color` cannot be set '
                     'through public TF 2 APIs; replace non-finite pixels '
                     'before the call (TF1 painted them red by default, as '
                     'this does)')
  return _write(tf.compat.v1.summary.image(name, tensor, max_outputs=max_images,
                                           collections=[], family=family),
                step)


def audio(name, tensor, sample_rate, max_outputs, family=None, step=None):
  """Writes an audio summary; TF1's `tf.contrib.summary.audio`."""
  return _write(tf.compat.v1.summary.audio(
      name, tensor, sample_rate, max_outputs=max_outputs, collections=[],
      family=family), step)


def generic(name, tensor, metadata=None, family=None, step=None):
  """Writes a tensor summary; TF1's `tf.contrib.summary.generic`.

  The tag is made as TF1 made it: the name scope, with `family` in front.
  """
  scope_name = name if family is None else '%s/%s' % (family, name)
  with tf.name_scope(scope_name) as scope:
    tag = scope.rstrip('/')
    if family is not None:
      tag = '%s/%s' % (family, tag)
    if step is None:
      step = tf.compat.v1.train.get_or_create_global_step()
    return tf.summary.write(tag, tensor, step=step, metadata=metadata)
