"""TF1 graph -> TF1 checkpoint -> Tf1Module -> SavedModel -> serving.

The path a TF1 model takes to TF 2 serving: trained in graph mode with
tf.Session and saved with tf.train.Saver, loaded by TF1 name into a
`Tf1Module`, exported as a SavedModel, reloaded with tf.saved_model.load in
a fresh program; the serving outputs equal the graph-mode outputs.
"""
import json
import subprocess
import sys

import numpy as np
import tensorflow as tf2

import contrib_compat
from tests.helpers.tf1_models import graph_mode_reference
from tests.helpers.tf1_models import images
from tests.helpers.tf1_models import small_mobilenet

_RELOAD = """
import json, sys
import numpy as np
import tensorflow as tf
loaded = tf.saved_model.load(sys.argv[1])
x = np.load(sys.argv[2])
out = loaded.signatures['serving_default'](tf.constant(x))
print(json.dumps({k: v.numpy().tolist() for k, v in out.items()}))
"""


def test_graph_checkpoint_to_savedmodel_serves_the_graph_outputs(tmp_path):
  x = images()
  checkpoint = str(tmp_path / 'tf1' / 'model.ckpt')
  # Two training steps so the moving statistics are not their initial values.
  _, values, _, _ = graph_mode_reference(small_mobilenet, x, train_steps=2,
                                         checkpoint=checkpoint)
  expected, _, _, _ = graph_mode_reference(small_mobilenet, x, values,
                                           is_training=False)

  module = contrib_compat.Tf1Module(small_mobilenet)
  module(x, is_training=False)
  report = module.load_tf1_checkpoint(checkpoint)
  assert not (report.missing or report.unexpected or report.mismatched)
  np.testing.assert_allclose(module(x, is_training=False), expected,
                             rtol=1e-5, atol=1e-6)

  export_dir = str(tmp_path / 'saved_model')
  module.export_saved_model(
      export_dir, [tf2.TensorSpec([None, 16, 16, 3], tf2.float32)],
      is_training=False)
  loaded = tf2.saved_model.load(export_dir)
  served = loaded.signatures['serving_default'](tf2.constant(x))
  assert list(served) == ['output_0']
  np.testing.assert_allclose(served['output_0'], expected, rtol=1e-5,
                             atol=1e-6)
  np.testing.assert_allclose(loaded.serve(tf2.constant(x[:1]))['output_0'],
                             expected[:1], rtol=1e-5, atol=1e-6)
  # The variables keep their TF1 names inside the SavedModel too.
  names = {v.name for v in
           loaded.signatures['serving_default'].variables}
  assert 'MobilenetV1/Conv2d_0/BatchNorm/moving_mean:0' in names

  # A fresh program without contrib_compat serves the same outputs.
  np.save(str(tmp_path / 'x.npy'), x)
  result = subprocess.run(
      [sys.executable, '-c', _RELOAD, export_dir, str(tmp_path / 'x.npy')],
      capture_output=True, text=True, timeout=120, cwd=str(tmp_path),
      check=False)
  assert result.returncode == 0, result.stderr[-2000:]
  assert 'contrib_compat' not in result.stderr
  served = json.loads(result.stdout.strip().splitlines()[-1])
  np.testing.assert_allclose(served['output_0'], expected, rtol=1e-5,
                             atol=1e-6)


def test_output_fn_names_the_signature_outputs(tmp_path):
  def model(x, is_training=False):
    logits = small_mobilenet(x, is_training=is_training)
    return logits, {'probabilities': tf2.nn.softmax(logits)}

  x = images(batch=2)
  module = contrib_compat.Tf1Module(model)
  logits, ends = module(x)
  export_dir = str(tmp_path / 'saved_model')
  module.export_saved_model(
      export_dir, [tf2.TensorSpec([None, 16, 16, 3], tf2.float32)],
      output_fn=lambda out: {'logits': out[0],
                             'probabilities': out[1]['probabilities']})
  served = tf2.saved_model.load(export_dir).signatures['serving_default'](
      tf2.constant(x))
  assert sorted(served) == ['logits', 'probabilities']
  np.testing.assert_allclose(served['logits'], logits, rtol=1e-6)
  np.testing.assert_allclose(served['probabilities'], ends['probabilities'],
                             rtol=1e-6)
