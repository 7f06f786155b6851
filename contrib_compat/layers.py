"""The layers, under the names `tf.contrib.layers` used for them."""
from contrib_compat.separable import separable_conv2d
from contrib_compat.separable import separable_convolution2d


def __getattr__(name):
  if name == 'batch_norm':
    from contrib_compat.normalization import batch_norm  # pylint: disable=g-import-not-at-top
    return batch_norm
  raise AttributeError('module %r has no attribute %r' % (__name__, name))
