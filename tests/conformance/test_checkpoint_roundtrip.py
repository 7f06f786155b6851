"""A checkpoint written with tf-slim 1.1.0's separable_conv2d restores here.

The writer runs in a separate process that never imports contrib_compat, so
its layers are tf-slim's own: with the installed TensorFlow (where tf-slim's
separable_conv2d still builds, both branches) and with the oracle stack
(TF 2.12.1, where tf-slim's batch_norm builds too, so normalized layers are
covered). It sets every variable to random values, saves a TF1 checkpoint
and the outputs for fixed inputs. Here the same layers are built with this
package, the checkpoint is restored with a plain `tf.train.Saver`, and the
outputs must match.
"""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

from contrib_compat import numerics
import contrib_compat as cc
from contrib_compat import ckpt

ORACLE_PYTHON = pathlib.Path(os.environ.get('CONTRIB_COMPAT_ORACLE',
                                            '/tmp/oracle')) / 'bin' / 'python'
INPUT_SHAPE = [2, 16, 16, 3]

# separable_conv2d calls, as JSON: 'linear' means activation_fn=None,
# 'no_biases' biases_initializer=None, 'batch_norm' normalizer_fn=batch_norm.
LAYERS = [
    {'scope': 'pointwise', 'num_outputs': 8, 'kernel_size': [3, 3],
     'depth_multiplier': 2},
    {'scope': 'depthwise_atrous', 'num_outputs': None, 'kernel_size': 3,
     'rate': 2},
    {'scope': 'pointwise_strided', 'num_outputs': 6, 'kernel_size': [3, 1],
     'stride': 2, 'padding': 'VALID'},
    {'scope': 'pointwise_atrous', 'num_outputs': 4, 'kernel_size': 3,
     'rate': [2, 1], 'linear': True},
    {'scope': 'depthwise_strided', 'num_outputs': None, 'kernel_size': 5,
     'depth_multiplier': 3, 'stride': 2},
    {'scope': 'depthwise_no_biases', 'num_outputs': None, 'kernel_size': 3,
     'no_biases': True, 'linear': True},
]
BATCH_NORM_LAYERS = [
    {'scope': 'pointwise_bn', 'num_outputs': 8, 'kernel_size': 3,
     'batch_norm': True},
    {'scope': 'depthwise_bn', 'num_outputs': None, 'kernel_size': 3,
     'depth_multiplier': 2, 'batch_norm': True},
]

# Runs in the writer process: argv = spec JSON, output directory.
WRITER = r'''
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
import tf_slim
assert tf_slim.separable_conv2d.__module__.startswith('tf_slim.'), (
    tf_slim.separable_conv2d)
spec, out = json.loads(sys.argv[1]), sys.argv[2]
rng = np.random.RandomState(0)
with tf.Graph().as_default():
  x = tf.placeholder(tf.float32, spec['input_shape'])
  net = x
  for layer in spec['layers']:
    kwargs = {k: v for k, v in layer.items()
              if k not in ('linear', 'no_biases', 'batch_norm')}
    if layer.get('linear'):
      kwargs['activation_fn'] = None
    if layer.get('no_biases'):
      kwargs['biases_initializer'] = None
    if layer.get('batch_norm'):
      kwargs['normalizer_fn'] = tf_slim.batch_norm
      kwargs['normalizer_params'] = {'is_training': False}
    net = tf_slim.separable_conv2d(net, **kwargs)
  with tf.Session() as sess:
    for v in tf.global_variables():
      value = rng.uniform(0.5, 1.5, v.shape.as_list()) * rng.choice(
          [-1, 1], v.shape.as_list())
      if 'moving_variance' in v.op.name:
        value = np.abs(value)
      v.load(value.astype(np.float32), sess)
    tf.train.Saver().save(sess, out + '/model.ckpt', write_meta_graph=False)
    inputs = rng.standard_normal(spec['input_shape']).astype(np.float32)
    np.save(out + '/inputs.npy', inputs)
    np.save(out + '/outputs.npy', sess.run(net, {x: inputs}))
'''


def build(inputs, layers):
  """The writer's network, built with this package's layers."""
  net = inputs
  for layer in layers:
    kwargs = {k: v for k, v in layer.items()
              if k not in ('linear', 'no_biases', 'batch_norm')}
    if layer.get('linear'):
      kwargs['activation_fn'] = None
    if layer.get('no_biases'):
      kwargs['biases_initializer'] = None
    if layer.get('batch_norm'):
      kwargs['normalizer_fn'] = cc.batch_norm
      kwargs['normalizer_params'] = {'is_training': False}
    net = cc.separable_conv2d(net, **kwargs)
  return net


def build_plain(inputs):
  """`--model` entry point for contrib-compat-ckpt diff."""
  return build(inputs, LAYERS)


def write_with_tf_slim(python, layers, out_dir):
  spec = json.dumps({'input_shape': INPUT_SHAPE, 'layers': layers})
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  proc = subprocess.run([str(python), '-c', WRITER, spec, str(out_dir)],
                        capture_output=True, text=True, env=env, check=False)
  assert proc.returncode == 0, proc.stderr[-3000:]
  return (out_dir / 'model.ckpt', np.load(out_dir / 'inputs.npy'),
          np.load(out_dir / 'outputs.npy'))


def restore_and_run(prefix, inputs, layers):
  with tf.Graph().as_default():
    x = tf.placeholder(tf.float32, inputs.shape)
    y = build(x, layers)
    names = sorted(v.op.name for v in tf.global_variables())
    with tf.Session() as sess:
      # Saver.restore fails on any variable the checkpoint lacks.
      tf.train.Saver().restore(sess, str(prefix))
      return sess.run(y, {x: inputs}), names


def checkpoint_names(prefix):
  return sorted(n for n, _ in tf.train.list_variables(str(prefix)))


def test_tf_slim_checkpoint_restores_with_identical_outputs(tmp_path):
  """Same TensorFlow on both sides: the outputs are bit-identical."""
  prefix, inputs, expected = write_with_tf_slim(sys.executable, LAYERS,
                                                tmp_path)
  outputs, names = restore_and_run(prefix, inputs, LAYERS)
  assert names == checkpoint_names(prefix)
  assert len(names) == 14
  assert outputs.shape == expected.shape == (2, 4, 4, 12)
  # The writer's graph also holds its assign ops: another graph, which
  # oneDNN may fuse differently, so float32 rounding apart.
  numerics.different_graphs(outputs, expected)
  # And the checkpoint tool agrees.
  status = ckpt.main(['diff', str(prefix), '--model',
                      'tests.conformance.test_checkpoint_roundtrip:'
                      'build_plain', '--input-shape',
                      ','.join(map(str, INPUT_SHAPE))])
  assert status == 0


@pytest.mark.skipif(not ORACLE_PYTHON.exists(),
                    reason='oracle stack (TF 2.12.1 + tf-slim) not installed '
                           'at %s' % ORACLE_PYTHON)
def test_oracle_checkpoint_with_batch_norm_restores(tmp_path):
  """TF 2.12 tf-slim, normalized layers included; kernels may round apart."""
  layers = LAYERS + BATCH_NORM_LAYERS
  prefix, inputs, expected = write_with_tf_slim(ORACLE_PYTHON, layers,
                                                tmp_path)
  outputs, names = restore_and_run(prefix, inputs, layers)
  assert names == checkpoint_names(prefix)
  assert len(names) == 14 + 9
  numerics.different_graphs(outputs, expected)
