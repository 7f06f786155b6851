"""Golden variable lists of contrib_compat.models.mobilenet_v1, as tf-slim builds it.

Run with the oracle stack (TF 2.12.1 + tf-slim 1.1.0, where tf-slim's
batch_norm still builds), from the repository root:

    /tmp/oracle/bin/python tests/conformance/generate_mobilenet_v1_golden.py

It builds every configuration in CONFIGS in a fresh graph with
`layers=tf_slim` -- the same model code, tf-slim's conv2d, separable_conv2d,
batch_norm and avg_pool2d -- and writes
tests/conformance/golden/models_mobilenet_v1.json in the format of
generate_models.py (whose `describe` it uses). tests/test_models_mobilenet_v1.py
builds the same configurations with `contrib_compat.slim` and compares.
"""
import functools
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
GOLDEN = os.path.join(REPO, 'tests', 'conformance', 'golden',
                      'models_mobilenet_v1.json')
INPUT_SHAPE = (4, 32, 32, 3)


def _build(layers, **kwargs):
  import tensorflow.compat.v1 as tf
  from contrib_compat.models import mobilenet_v1
  inputs = tf.placeholder(tf.float32, INPUT_SHAPE, name='inputs')
  with layers.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(layers=layers)):
    return mobilenet_v1.mobilenet_v1(inputs, layers=layers, **kwargs)


# configuration -> build(layers) returning (output, end_points).
CONFIGS = {
    'depth_multiplier_0.25': functools.partial(
        _build, num_classes=10, depth_multiplier=0.25),
    'features_inference': functools.partial(
        _build, num_classes=None, depth_multiplier=0.5, is_training=False),
}


def build_and_describe(config, layers):
  """Builds CONFIGS[config] with `layers` in a fresh graph and describes it."""
  import tensorflow.compat.v1 as tf
  from tests.conformance import generate_models
  with tf.Graph().as_default():
    return generate_models.describe(*CONFIGS[config](layers))


def main():
  sys.path.insert(0, REPO)
  import tensorflow as tf
  import tf_slim
  from tests.helpers import versions
  golden = {
      'generated_by': 'tests/conformance/generate_mobilenet_v1_golden.py',
      'tensorflow': tf.__version__,
      'tf_slim': versions.installed('tf-slim'),
      'input_shape': list(INPUT_SHAPE),
      'configs': {config: build_and_describe(config, tf_slim)
                  for config in CONFIGS},
  }
  with open(GOLDEN, 'w') as f:
    json.dump(golden, f, indent=1, sort_keys=True)
    f.write('\n')
  print('wrote', GOLDEN)


if __name__ == '__main__':
  main()
