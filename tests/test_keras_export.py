"""Unit tests for contrib_compat/keras_export.py (`to_keras`)."""
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import contrib_compat
from tests.helpers.tf1_models import images
from tests.helpers.tf1_models import randomize

keras = pytest.importorskip('keras', reason='Keras 3 is not installed')
if int(keras.__version__.split('.')[0]) < 3:
  # TF 2.13-2.15 ship Keras 2; to_keras targets Keras 3's layers and says so.
  pytest.skip('to_keras needs Keras 3, found Keras %s' % keras.__version__,
              allow_module_level=True)


def _model(x, is_training=False):
  """Every kind of layer to_keras converts, slim style."""
  bn = {'is_training': is_training, 'scale': True}
  net = contrib_compat.separable_conv2d(
      x, 8, [3, 3], stride=2, normalizer_fn=contrib_compat.batch_norm,
      normalizer_params=bn, activation_fn=tf.nn.relu6, scope='sep_bn')
  net = contrib_compat.separable_conv2d(
      net, None, [3, 3], depth_multiplier=2, rate=2, padding='VALID',
      normalizer_fn=contrib_compat.batch_norm, normalizer_params=bn,
      scope='dw_bn')
  net = contrib_compat.separable_conv2d(net, 6, [1, 1], activation_fn=None,
                                        scope='sep_bias')
  return contrib_compat.separable_conv2d(net, None, [3, 3], scope='dw_bias')


LAYERS = [{'scope': 'sep_bn', 'stride': 2, 'activation': tf.nn.relu6},
          {'scope': 'dw_bn', 'rate': 2, 'padding': 'VALID'},
          {'scope': 'sep_bias', 'activation': None},
          'dw_bias']


def _module():
  module = contrib_compat.Tf1Module(_model)
  module(images(size=17))
  randomize(module)
  return module


def test_keras_layers_reproduce_the_tf1_model():
  module = _module()
  model = contrib_compat.to_keras(module, LAYERS)
  kinds = [type(layer).__name__ for layer in model.layers]
  assert kinds == ['SeparableConv2D', 'BatchNormalization', 'Activation',
                   'DepthwiseConv2D', 'BatchNormalization', 'Activation',
                   'SeparableConv2D', 'DepthwiseConv2D', 'Activation']
  for size in (17, 12):  # any spatial size
    x = images(size=size, seed=size)
    np.testing.assert_allclose(model(x), module(x, is_training=False),
                               rtol=1e-5, atol=1e-5)


# tf_slim's conv2d goes through a TF-internal Keras layer that warns.
@pytest.mark.filterwarnings('ignore:`layer.apply` is deprecated')
def test_from_a_dict_of_tf1_values_and_conv2d():
  tf_slim = pytest.importorskip('tf_slim')
  values = {
      'conv/weights': np.random.RandomState(0).randn(3, 3, 3, 4),
      'conv/biases:0': np.arange(4.0),
  }
  model = contrib_compat.to_keras(values, [{'scope': 'conv', 'stride': 2}])
  assert type(model.layers[0]).__name__ == 'Conv2D'
  x = images(size=9)
  with tf.Graph().as_default():
    y = tf_slim.conv2d(tf.constant(x), 4, [3, 3], stride=2, scope='conv')
    with tf.Session() as sess:
      for var in tf.global_variables():
        sess.run(var.assign(values.get(var.op.name,
                                       values.get(var.op.name + ':0'))))
      expected = sess.run(y)
  np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-5)


def test_unused_weights_and_bad_layers_raise():
  module = _module()
  with pytest.raises(ValueError, match=r'not used.*dw_bias/biases'):
    contrib_compat.to_keras(module, LAYERS[:3])
  assert len(contrib_compat.to_keras(module, LAYERS[:3],
                                     strict=False).layers) == 7
  with pytest.raises(ValueError, match="no convolution weights under scope "
                     "'nope'"):
    contrib_compat.to_keras(module, ['nope'], strict=False)
  with pytest.raises(ValueError, match='`stride`'):
    contrib_compat.to_keras(module, [{'scope': 'sep_bn', 'stride': 0}],
                            strict=False)
  with pytest.raises(ValueError, match='`padding`'):
    contrib_compat.to_keras(module, [{'scope': 'sep_bn', 'padding': 'full'}],
                            strict=False)
  with pytest.raises(ValueError, match='"scope"'):
    contrib_compat.to_keras(module, [{'stride': 2}])
  with pytest.raises(ValueError, match='at least one'):
    contrib_compat.to_keras(module, [])
  with pytest.raises(TypeError, match='`source`'):
    contrib_compat.to_keras(42, LAYERS)
