"""tf.contrib names TF 2 has elsewhere: install(), imports, migrate, messages.

The anchor is TensorFlow's own migration script: `tf_upgrade_v2`'s rename
table, read from the installed TensorFlow, so that a new release's table is
checked rather than a copy of an old one.
"""
import importlib
import re
import subprocess
import sys
import textwrap

import pytest
import tensorflow as tf
import tensorflow.compat.v1 as tf1

from benchmarks import readme
import contrib_compat
from contrib_compat import moved
from contrib_compat import replacements
from contrib_compat.migrate import rewrite
from tests.conftest import REPO

# contrib's own implementation of these lives on in tf_slim, which the
# provided tf.contrib.layers / .training serve (the TF1 code, not TF 2's).
TF_SLIM_IMPLEMENTATIONS = {
    'layers.recompute_grad': 'tf_slim.layers.rev_block_lib',
    'training.checkpoints_iterator': 'tf_slim.training.evaluation',
}


def _upgrade_renames():
  """{contrib name: TF 2 name} from tf_upgrade_v2, targets that exist here."""
  renames = importlib.import_module(
      'tensorflow.tools.compatibility.all_renames_v2').symbol_renames
  out = {}
  for old, new in renames.items():
    if old.startswith('tf.contrib.'):
      try:
        moved.resolve(new)
      except (AttributeError, ImportError):
        continue
      out[old[len('tf.contrib.'):]] = new
  return out


UPGRADE = _upgrade_renames()



def _lookup(root, dotted):
  for part in dotted.split('.'):
    root = getattr(root, part)
  return root


def test_the_upgrade_table_is_read_from_tensorflow():
  # 94 tf.contrib entries in TF 2.21's table, 79 with a target that exists.
  assert len(UPGRADE) >= 70
  assert UPGRADE['util.constant_value'] == 'tf.get_static_value'


@pytest.mark.parametrize('name', sorted(UPGRADE))
def test_every_upgrade_rename_resolves_under_install(installed, name):
  value = _lookup(installed, name)
  if name in TF_SLIM_IMPLEMENTATIONS:
    assert value.__module__ == TF_SLIM_IMPLEMENTATIONS[name]
    return
  home = moved.home(name)
  assert home is not None, name
  if home.startswith('contrib_compat.'):
    # An adapter keeping TF1's arguments: tests below pin its behaviour.
    assert value is moved.resolve(home)
    return
  target = UPGRADE[name].replace('tf.compat.v2.', 'tf.')
  # Where TF 2 keeps a TF1 flavour (tf.compat.v1.data's datasets), TF1 code
  # gets that one, as contrib gave it; tf_upgrade_v2 names TF 2's.
  assert home.replace('tf.compat.v2.', 'tf.') in (
      target, 'tf.compat.v1.' + target[len('tf.'):])
  assert value is moved.resolve(home)


@pytest.mark.parametrize('name', sorted(set(UPGRADE) -
                                        set(TF_SLIM_IMPLEMENTATIONS)))
def test_migrate_rewrites_every_upgrade_rename(name):
  source = 'import tensorflow as tf\nx = tf.contrib.%s\n' % name
  text = rewrite.rewrite_sources([source]).outputs[0]
  (line,) = [l for l in text.splitlines() if l.startswith('x = ')]
  expression = line[len('x = '):]
  assert 'contrib.' not in expression.replace('contrib_compat', ''), text
  # The file moves to tf.compat.v1; the new name holds under TF 2's too.
  for root in (tf1, tf):
    value = eval(expression, {'tf': root, 'contrib_compat': contrib_compat})
    assert value is moved.resolve(moved.home(name)), (root, expression)


# --- the five names that stopped real code at import -----------------------


def test_tpu_module_and_imports(installed):
  from tensorflow.contrib.tpu import rewrite as tpu_rewrite
  from tensorflow.contrib.tpu.python.tpu import tpu
  import tensorflow.contrib.tpu as contrib_tpu
  assert tpu_rewrite is tf1.tpu.rewrite
  assert tpu.shard is tf1.tpu.shard
  assert contrib_tpu.CrossShardOptimizer is tf1.tpu.CrossShardOptimizer
  assert installed.tpu.batch_parallel is tf1.tpu.batch_parallel


def test_util_constant_value(installed):
  import tensorflow.contrib.util as util
  from tensorflow.contrib.util import constant_value
  assert constant_value is util.constant_value is tf.get_static_value
  with tf.Graph().as_default():
    assert constant_value(tf1.constant([1, 2])).tolist() == [1, 2]
    assert constant_value(tf1.placeholder(tf.float32)) is None


def test_slim_init_ops(installed):
  slim = installed.slim
  assert slim.init_ops.zeros_initializer is tf1.zeros_initializer
  assert slim.init_ops.Zeros is tf1.zeros_initializer
  from tensorflow.contrib.slim import init_ops
  with tf.Graph().as_default():
    var = tf1.get_variable('v', [2], initializer=init_ops.zeros_initializer())
    assert var.initializer.inputs[1].op.type == 'Const'


def test_framework_is_tensor_and_nest(installed):
  from tensorflow.contrib.framework import is_tensor, nest
  import tensorflow.contrib.framework.nest as nest_module
  assert is_tensor is tf.is_tensor
  assert nest.flatten is nest_module.flatten is tf.nest.flatten


def test_audio_ops_implementation_module(installed):
  from tensorflow.contrib.framework.python.ops import audio_ops
  import tensorflow.contrib.framework.python.ops.audio_ops as same
  assert same.mfcc is audio_ops.mfcc is contrib_compat.audio_ops.mfcc
  assert audio_ops.decode_wav is tf.audio.decode_wav
  with tf.Graph().as_default() as graph:
    wav = tf1.placeholder(tf.float32, [16000, 1])
    spectrogram = audio_ops.audio_spectrogram(wav, 480, 320, True)
    features = audio_ops.mfcc(spectrogram, 16000, dct_coefficient_count=10)
  types = [op.type for op in graph.get_operations()]
  assert types.count('AudioSpectrogram') == types.count('Mfcc') == 1
  assert spectrogram.op.name == 'AudioSpectrogram'
  assert features.op.name == 'Mfcc'
  assert features.shape.as_list() == [1, 49, 10]


def test_the_five_run_unchanged_through_the_runner(tmp_path):
  script = tmp_path / 'tf1_code.py'
  script.write_text(textwrap.dedent('''\
      import tensorflow as tf
      from tensorflow.contrib.tpu import shard
      from tensorflow.contrib.framework.python.ops import audio_ops
      slim = tf.contrib.slim
      init = slim.init_ops.zeros_initializer()
      with tf.compat.v1.Graph().as_default():
        x = tf.constant(3)
        print(tf.contrib.util.constant_value(x),
              tf.contrib.framework.is_tensor(x), callable(shard),
              callable(audio_ops.mfcc), type(init).__name__)
      '''))
  result = subprocess.run(
      [sys.executable, '-m', 'contrib_compat.run', str(script)],
      capture_output=True, text=True, check=False, cwd=REPO, timeout=300)
  assert result.returncode == 0, result.stderr
  assert result.stdout.split() == ['3', 'True', 'True', 'True', 'Zeros']


# --- what differs is adapted or refused, never aliased silently -------------


def _events(logdir):
  return [value for path in sorted(logdir.iterdir())
          for event in tf1.train.summary_iterator(str(path))
          for value in event.summary.value]


def test_summary_adapters_write_tf1_records(installed, tmp_path):
  summary = installed.summary
  with tf.Graph().as_default():
    writer = summary.create_file_writer(str(tmp_path))
    with writer.as_default(), summary.always_record_summaries():
      # TF1's signature: the third positional argument is `family`, and the
      # step defaults to the global step.
      ops = [summary.scalar('loss', 0.5, 'losses'),
             summary.image('picture', tf.ones([1, 2, 2, 3]) * 4.0),
             summary.histogram('weights', [1.0, 2.0, 2.0])]
    with summary.never_record_summaries():
      ops.append(summary.scalar('skipped', 1.0))
    assert tf1.train.get_global_step() is not None
    with tf1.Session() as sess:
      sess.run(tf1.global_variables_initializer())
      with writer.as_default():
        summary.initialize(graph=None, session=sess)
      assert sess.run(ops) == [True, True, True, False]
      sess.run(writer.flush())
  values = {v.tag: v for v in _events(tmp_path)}
  # TF1's tags (the family in front, twice, as summary_scope made it) and
  # TF1's encodings: simple_value, a PNG, histogram buckets.
  assert sorted(values) == ['losses/losses/loss', 'picture/image/0',
                            'weights']
  assert values['losses/losses/loss'].simple_value == 0.5
  assert values['picture/image/0'].image.encoded_image_string.startswith(
      b'\x89PNG')
  assert values['weights'].histo.num == 3


def test_summary_image_bad_color_is_refused(installed):
  with tf.Graph().as_default():
    with pytest.raises(ValueError, match='`bad_color`'):
      installed.summary.image('x', tf.ones([1, 2, 2, 3]), bad_color=[0, 0])


def test_estimator_names_say_the_api_left(installed):
  try:
    tf1.estimator.tpu.TPUEstimator
  except AttributeError:
    with pytest.raises(AttributeError, match=r'Estimator API left '
                       r'TensorFlow in 2\.16.*TPUStrategy'):
      installed.tpu.TPUEstimator
  else:  # TF < 2.16 still has it
    assert installed.tpu.TPUEstimator is tf1.estimator.tpu.TPUEstimator


def test_missing_target_says_what_to_install(installed):
  try:
    tf1.nn.rnn_cell.LSTMCell
  except (AttributeError, ImportError):
    with pytest.raises(AttributeError, match='tf_keras'):
      installed.rnn.LSTMCell
  else:
    assert installed.rnn.LSTMCell is tf1.nn.rnn_cell.LSTMCell


def test_names_with_no_home_keep_a_clear_error(installed):
  with pytest.raises(AttributeError, match='TPUStrategy'):
    installed.tpu.keras_to_tpu_model
  with pytest.raises(ImportError, match='tensorflow_probability'):
    importlib.import_module('tensorflow.contrib.distributions')


def test_quantize_is_provided_at_every_path_tf1_code_used(installed):
  from contrib_compat import quantize
  graph_module = importlib.import_module(
      'tensorflow.contrib.quantize.python.quantize_graph')
  for name in quantize.__all__:
    assert getattr(installed.quantize, name) is getattr(quantize, name)
    assert getattr(graph_module, name) is getattr(quantize, name)


# Packages named by messages; each was checked by hand on PyPI (2026-12).
PYPI_PACKAGES = {'tensorflow_addons', 'tensorflow_probability',
                 'tensorflow_model_optimization', 'tf_keras', 'tensorflow_io',
                 'tensorflow_constrained_optimization',
                 'tensorflow_decision_forests'}


def test_every_message_names_something_that_exists():
  for home in moved.NAMES.values():
    try:
      moved.resolve(home)
    except (AttributeError, ImportError):
      # Gone with tf_keras or the Estimator API: the message says which.
      assert moved.missing_home_hint(home), home
  texts = (list(replacements.REPLACEMENTS.values()) +
           list(replacements.LAYERS_MOVED.values()) +
           list(replacements.PROVIDED_MODULE_FALLBACKS.values()))
  for text in texts:
    for name in re.findall(r'\btf\.[A-Za-z_][\w.]*\w', text):
      moved.resolve(name)  # raises if the installed TF lacks it
    for package in re.findall(r'\b(tensorflow_\w+|tf_keras)\b', text):
      assert package in PYPI_PACKAGES, text


@pytest.mark.parametrize('doc', ['README.md', 'migration_guide.md'])
def test_doc_table_is_generated_from_the_table(doc):
  # Regenerate with tools/moved_table.
  text = (REPO / doc).read_text()
  assert readme.replace_between_markers(
      text, 'moved-table', moved.markdown_table()) == text
