"""Golden variable lists of the model definitions, as tf-slim builds them.

The `models` family of generate.py, made on the oracle stack (TF 2.12.1 +
tf-slim 1.1.0, where tf-slim's batch_norm still builds):

    python tests/conformance/generate.py models [--check]

For each model in BUILDS it builds every configuration in a fresh graph with
`layers=tf_slim` -- the same model code, tf-slim's conv2d, separable_conv2d
and batch_norm -- and writes tests/conformance/golden/models_<model>.json:
global variables (name, dtype, shape and whether trainable / model /
moving-average variables), the number of UPDATE_OPS and REGULARIZATION_LOSSES, and the
end point shapes. tests/test_models.py and test_models_mobilenet_v1.py build the same configurations with
`contrib_compat.slim` and compares.
"""
import functools
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
INPUT_SHAPE = (4, 32, 32, 3)


def _build(module_name, model_fn, arg_scope_fn, layers, **kwargs):
  import importlib
  import tensorflow.compat.v1 as tf
  module = importlib.import_module('contrib_compat.models.' + module_name)
  inputs = tf.placeholder(tf.float32, INPUT_SHAPE, name='inputs')
  with layers.arg_scope(getattr(module, arg_scope_fn)(layers=layers)):
    return getattr(module, model_fn)(inputs, layers=layers, **kwargs)


_mobilenet_v1 = functools.partial(_build, 'mobilenet_v1', 'mobilenet_v1',
                                  'mobilenet_v1_arg_scope')
_mobilenet_v2 = functools.partial(_build, 'mobilenet_v2', 'mobilenet_v2',
                                  'mobilenet_v2_arg_scope')
_xception = functools.partial(_build, 'xception', 'xception_entry_flow',
                              'xception_arg_scope')
_nasnet = functools.partial(_build, 'nasnet', 'nasnet', 'nasnet_arg_scope')
_nasnet_towers = functools.partial(_build, 'nasnet', 'nasnet_towers',
                                   'nasnet_arg_scope')

# model -> configuration -> build(layers) returning (output, end_points).
BUILDS = {
    'mobilenet_v1': {
        'depth_multiplier_0.25': functools.partial(
            _mobilenet_v1, num_classes=10, depth_multiplier=0.25),
        'features_inference': functools.partial(
            _mobilenet_v1, num_classes=None, depth_multiplier=0.5,
            is_training=False),
    },
    'mobilenet_v2': {
        'default': _mobilenet_v2,
        'depthwise_multiplier_2': functools.partial(
            _mobilenet_v2, depthwise_channel_multiplier=2,
            depth_multiplier=0.5),
        'inference_features': functools.partial(
            _mobilenet_v2, num_classes=None, is_training=False),
    },
    'xception': {
        'split_output_stride_8': functools.partial(
            _xception, num_classes=10, output_stride=8),
        'fused_output_stride_4': functools.partial(
            _xception, num_classes=10, output_stride=4,
            split_separable=False),
        'split_no_atrous': _xception,
    },
    'nasnet': {
        'single': _nasnet,
        'two_towers': functools.partial(_nasnet_towers, num_towers=2),
    },
}


def describe(output, end_points):
  """What the goldens record about the graph just built (the default one).

  Each variable is one line: 'dtype[shape] flags', flags from t (trainable),
  m (model variable), a (moving average variable).
  """
  import tensorflow.compat.v1 as tf
  keys = tf.GraphKeys
  flags = (('t', keys.TRAINABLE_VARIABLES), ('m', keys.MODEL_VARIABLES),
           ('a', keys.MOVING_AVERAGE_VARIABLES))
  members = {flag: {v.op.name for v in tf.get_collection(key)}
             for flag, key in flags}
  return {
      'variables': {
          v.op.name: '%s[%s] %s' % (
              v.dtype.base_dtype.name,
              ','.join(str(d) for d in v.shape.as_list()),
              ''.join(f for f, _ in flags if v.op.name in members[f]))
          for v in tf.global_variables()},
      'num_update_ops': len(tf.get_collection(keys.UPDATE_OPS)),
      'num_regularization_losses': len(
          tf.get_collection(keys.REGULARIZATION_LOSSES)),
      'output_shape': output.shape.as_list(),
      'end_points': {k: ','.join(str(d) for d in v.shape.as_list())
                     for k, v in end_points.items()},
  }


def build_and_describe(model, config, layers):
  """Builds BUILDS[model][config] with `layers` in a fresh graph."""
  import tensorflow.compat.v1 as tf
  with tf.Graph().as_default():
    output, end_points = BUILDS[model][config](layers)
    return describe(output, end_points)


def golden_path(model):
  """models_<model>.json's repository path."""
  return 'tests/conformance/golden/models_%s.json' % model


def _main(argv=None):
  sys.path.insert(0, REPO)
  import tensorflow as tf
  import tf_slim
  from tests.conformance import golden_io
  from tests.helpers import versions
  out = golden_io.arguments(__doc__).parse_args(argv).out
  for model, configs in BUILDS.items():
    golden_io.write_json(out, golden_path(model), {
        'generated_by': 'tests/conformance/oracle_models.py',
        'tensorflow': tf.__version__,
        'tf_slim': versions.installed('tf-slim'),
        'input_shape': list(INPUT_SHAPE),
        'configs': {config: build_and_describe(model, config, tf_slim)
                    for config in configs},
    })
  return 0


if __name__ == '__main__':
  sys.exit(_main())
