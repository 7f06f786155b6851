"""Tests for contrib_compat.contrib: install() / uninstall() of tf.contrib."""
import importlib
import subprocess
import sys
import textwrap

import pytest
import tensorflow
import tensorflow.compat.v1 as tf
import tf_slim

import contrib_compat as cc
from contrib_compat import contrib
from contrib_compat import slim_repair
from tests.conftest import REPO



def _contrib_module_names():
  return sorted(n for n in sys.modules
                if n == 'tensorflow.contrib' or
                n.startswith('tensorflow.contrib.'))


def test_install_puts_contrib_on_both_apis(installed):
  assert tensorflow.contrib is installed
  assert tf.contrib is installed
  assert sys.modules['tensorflow.contrib'] is installed
  assert installed.slim is sys.modules['tensorflow.contrib.slim']
  assert installed.layers is sys.modules['tensorflow.contrib.layers']
  assert installed.framework is sys.modules['tensorflow.contrib.framework']


def test_install_is_idempotent(installed):
  meta_path = list(sys.meta_path)
  assert cc.install() is installed
  assert sys.meta_path == meta_path
  assert tf.contrib is installed


def test_uninstall_removes_everything():
  before_meta_path = list(sys.meta_path)
  original_bn = tf_slim.layers.batch_norm
  cc.install()
  import tensorflow.contrib.slim.nets
  assert _contrib_module_names()
  cc.uninstall()
  assert not hasattr(tensorflow, 'contrib')
  assert not hasattr(tf, 'contrib')
  assert _contrib_module_names() == []
  assert sys.meta_path == before_meta_path
  assert tf_slim.layers.batch_norm is original_bn
  assert not contrib.is_installed()
  cc.uninstall()  # a second uninstall is a no-op
  with pytest.raises(ImportError):
    importlib.import_module('tensorflow.contrib.slim')


def test_reinstall_after_uninstall():
  first = cc.install()
  cc.uninstall()
  second = cc.install()
  try:
    assert second is not first
    assert tf.contrib is second
  finally:
    cc.uninstall()


def test_install_refuses_a_foreign_contrib():
  tf.contrib = object()
  try:
    with pytest.raises(RuntimeError, match='already has a `contrib`'):
      cc.install()
    assert not contrib.is_installed()
  finally:
    del tf.contrib


def test_import_statements(installed):
  del installed
  import tensorflow.contrib.slim as slim
  from tensorflow.contrib import layers
  from tensorflow.contrib.framework import arg_scope
  from tensorflow.contrib.slim import nets
  from tensorflow.contrib.slim.nets import resnet_v1
  assert slim is tf.contrib.slim
  assert layers is tf.contrib.layers
  assert arg_scope is cc.arg_scope
  assert nets.inception.inception_v1 is (
      importlib.import_module('tf_slim.nets').inception.inception_v1)
  assert resnet_v1.resnet_v1_50 is (
      importlib.import_module('tf_slim.nets.resnet_v1').resnet_v1_50)


def test_implementation_module_imports(installed, graph):
  # TF1 code often imported contrib's implementation modules directly.
  del installed
  from tensorflow.contrib.layers.python.layers import layers as layers_lib
  from tensorflow.contrib.layers.python.layers import initializers
  from tensorflow.contrib.layers.python.layers.layers import batch_norm
  from tensorflow.contrib.framework.python.ops import arg_scope, variables
  from tensorflow.contrib.framework.python.ops.arg_scope import add_arg_scope
  from tensorflow.contrib.slim.python.slim.nets import resnet_v1
  import tensorflow.contrib.slim.python.slim.nets.resnet_utils as utils
  assert layers_lib.separable_conv2d is cc.separable_conv2d
  assert batch_norm is layers_lib.batch_norm is cc.batch_norm
  assert arg_scope is cc.arg_scope and add_arg_scope is tf_slim.add_arg_scope
  assert initializers.xavier_initializer is tf_slim.xavier_initializer
  assert variables.get_variables_to_restore is (
      tf_slim.get_variables_to_restore)
  assert utils.subsample is importlib.import_module(
      'tf_slim.nets.resnet_utils').subsample
  # resnet_v1 reaches batch_norm through tf_slim, which install() repaired.
  with arg_scope(resnet_v1.resnet_arg_scope()):
    net, _ = resnet_v1.resnet_v1_50(tf.zeros([1, 64, 64, 3]), 10)
  assert net.shape.as_list() == [1, 1, 1, 10]


@pytest.mark.parametrize('statement,name', [
    ('import tensorflow.contrib.layers.python.ops.sparse_ops',
     'layers.python.ops'),
    ('from tensorflow.contrib.framework.python.ops import sparse_ops',
     'framework.python.ops.sparse_ops')])
def test_implementation_modules_without_a_stand_in(installed, statement,
                                                   name):
  del installed
  with pytest.raises(contrib.ContribImportError,
                     match=r'tf\.contrib\.%s does not exist' %
                     name.replace('.', r'\.')):
    exec(statement, {})


@pytest.mark.parametrize('namespace', ['slim', 'layers'])
def test_layers_are_ours(installed, namespace):
  module = getattr(installed, namespace)
  assert module.separable_conv2d is cc.separable_conv2d
  assert module.separable_convolution2d is cc.separable_conv2d
  assert module.batch_norm is cc.batch_norm


@pytest.mark.parametrize('namespace,name,where', [
    ('slim', 'conv2d', 'tf_slim'),
    ('slim', 'learning', 'tf_slim'),
    ('slim', 'get_variables_to_restore', 'tf_slim'),
    ('layers', 'conv2d', 'tf_slim.layers'),
    ('layers', 'fully_connected', 'tf_slim.layers'),
    # Not on tf_slim's `layers` attribute (that is tf_slim.layers.layers):
    # the package's regularizers and initializers.
    ('layers', 'l2_regularizer', 'tf_slim.layers'),
    ('layers', 'xavier_initializer', 'tf_slim.layers'),
    ('layers', 'optimize_loss', 'tf_slim.layers'),
    ('framework', 'get_variables', 'tf_slim.ops.variables'),
    ('framework', 'get_model_variables', 'tf_slim.ops.variables'),
    ('framework', 'assign_from_checkpoint_fn', 'tf_slim.ops.variables'),
    ('framework', 'arg_scoped_arguments', 'tf_slim.ops.arg_scope'),
])
def test_other_names_are_tf_slims(installed, namespace, name, where):
  expected = getattr(importlib.import_module(where), name)
  assert getattr(getattr(installed, namespace), name) is expected


@pytest.mark.parametrize('name', ['arg_scope', 'add_arg_scope',
                                  'current_arg_scope', 'has_arg_scope'])
def test_framework_arg_scope_helpers(installed, name):
  assert getattr(installed.framework, name) is getattr(
      importlib.import_module('contrib_compat.argscope'), name)
  assert getattr(installed.slim, name) is getattr(
      installed.framework, name)


def test_framework_variable_helpers_are_ours(installed):
  variables = importlib.import_module('contrib_compat.variables')
  assert installed.framework.model_variable is variables.model_variable
  assert installed.framework.variable is variables.variable


def test_our_module_imports_are_not_contrib_names(installed):
  # contrib_compat.slim imports `importlib`; contrib_compat.variables `tf`.
  with pytest.raises(contrib.ContribNameError):
    installed.slim.importlib
  with pytest.raises(contrib.ContribNameError):
    installed.framework.tf
  # Only the helpers are taken from our framework-ish modules.
  for name in ('tf_slim_attr', '_own_arg_scope_impl', 'collect_named_outputs'):
    with pytest.raises(contrib.ContribNameError):
      getattr(installed.framework, name)
  assert 'importlib' not in dir(installed.slim)
  assert {'arg_scope', 'model_variable', 'get_variables'} <= set(
      dir(installed.framework))
  assert {'conv2d', 'separable_conv2d', 'batch_norm',
          'learning'} <= set(dir(installed.slim))


@pytest.mark.parametrize('expr,replacement', [
    # Names TF 2 kept elsewhere resolve (test_moved.py); these did not.
    ('rnn.LSTMBlockCell', 'tf.compat.v1.nn.rnn_cell'),
    ('seq2seq', 'tensorflow_addons.seq2seq'),
    ('tpu.keras_to_tpu_model', 'tf.distribute.TPUStrategy'),
    ('layers.real_valued_column', 'tf.feature_column.numeric_column'),
])
def test_removed_names_name_their_replacement(installed, expr, replacement):
  obj = installed
  *parents, leaf = expr.split('.')
  for part in parents:
    obj = getattr(obj, part)
  with pytest.raises(contrib.ContribNameError) as info:
    getattr(obj, leaf)
  assert isinstance(info.value, AttributeError)
  message = str(info.value)
  assert message.startswith('tf.contrib.%s was removed' % expr)
  assert replacement in message
  assert not hasattr(obj, leaf)


@pytest.mark.parametrize('expr', ['no_such_module', 'slim.no_such_layer',
                                  'framework.no_such_helper'])
def test_unknown_names_say_what_is_provided(installed, expr):
  obj = installed
  *parents, leaf = expr.split('.')
  for part in parents:
    obj = getattr(obj, part)
  with pytest.raises(contrib.ContribNameError,
                     match=r'tf\.contrib\.%s does not exist: contrib_compat '
                     r'provides tf\.contrib\.slim' % expr.replace('.', r'\.')):
    getattr(obj, leaf)


@pytest.mark.parametrize('statement,name', [
    ('import tensorflow.contrib.seq2seq', 'seq2seq'),
    ('from tensorflow.contrib import seq2seq', 'seq2seq'),
    ('from tensorflow.contrib.seq2seq import BasicDecoder',
     'seq2seq'),
])
def test_importing_a_removed_module_names_the_replacement(installed,
                                                          statement, name):
  del installed
  with pytest.raises(contrib.ContribImportError,
                     match=r'tf\.contrib\.%s was removed .*'
                     r'tensorflow_addons\.seq2seq' % name):
    exec(statement, {})


def test_importing_a_contrib_only_rnn_cell_names_the_replacement(installed):
  # tf.contrib.rnn itself imports now (its core names moved); its own cells
  # did not move.
  del installed
  with pytest.raises(ImportError, match=r'tf\.contrib\.rnn\.LSTMBlockCell '
                     r'was removed .*tf\.compat\.v1\.nn\.rnn_cell'):
    exec('from tensorflow.contrib.rnn import LSTMBlockCell', {})


def test_dunder_probes_are_plain_attribute_errors(installed):
  with pytest.raises(AttributeError) as info:
    installed.slim.__wrapped__
  assert not isinstance(info.value, contrib.ContribNameError)


def test_install_repairs_tf_slim_and_uninstall_undoes_it():
  original = tf_slim.layers.batch_norm
  cc.install()
  try:
    assert tf_slim.batch_norm is cc.batch_norm
    assert slim_repair.is_repaired()
  finally:
    cc.uninstall()
  assert tf_slim.batch_norm is original
  assert not slim_repair.is_repaired()


def test_uninstall_keeps_an_earlier_repair():
  repair = cc.repair_tf_slim()
  try:
    cc.install()
    cc.uninstall()
    assert tf_slim.batch_norm is cc.batch_norm
  finally:
    repair.undo()


def test_contrib_slim_builds_a_layer_under_arg_scope(installed, graph):
  slim = installed.slim
  images = tf.zeros([2, 8, 8, 3])
  with slim.arg_scope([slim.conv2d, slim.separable_conv2d],
                      normalizer_fn=slim.batch_norm):
    with slim.arg_scope([slim.batch_norm], is_training=False):
      net = slim.conv2d(images, 4, [3, 3], scope='conv')
      net = slim.separable_conv2d(net, None, [3, 3], scope='dw')
  assert net.shape.as_list() == [2, 8, 8, 4]
  names = {v.op.name for v in tf.global_variables()}
  assert {'conv/weights', 'conv/BatchNorm/moving_mean',
          'dw/depthwise_weights', 'dw/BatchNorm/moving_mean'} <= names
  # is_training=False reached both batch norms through the scope.
  assert graph.get_collection(tf.GraphKeys.UPDATE_OPS) == []


def test_contrib_training_offers_hparams_and_tf_slim_loops(installed):
  # NASNet's configs: `from tensorflow.contrib import training as
  # contrib_training; contrib_training.HParams(...)`.
  from tensorflow.contrib import training as contrib_training
  assert contrib_training is installed.training
  assert contrib_training.HParams is cc.training.HParams
  assert tf.contrib.training.parse_values('a=1', {'a': int}) == {'a': 1}
  hparams = contrib_training.HParams(num_cells=12, data_format='NHWC')
  hparams.set_hparam('data_format', 'NCHW')
  assert hparams.values() == {'num_cells': 12, 'data_format': 'NCHW'}
  # import_module: tf_slim rebinds its `training` attribute to a module.
  training = importlib.import_module('tf_slim.training.training')
  evaluation = importlib.import_module('tf_slim.training.evaluation')
  assert contrib_training.create_train_op is training.create_train_op
  assert contrib_training.evaluate_once is evaluation.evaluate_once
  from tensorflow.contrib.training.python.training import hparam
  assert hparam.HParams is cc.training.HParams
  with pytest.raises(contrib.ContribNameError, match='tf.data'):
    contrib_training.bucket_by_sequence_length
  # Modules tf_slim's training code imports are not contrib names.
  assert not hasattr(contrib_training, 'tf')


def test_install_without_tf_slim():
  # A broken tf_slim: the package, tf.contrib and the (empty) repair work.
  code = textwrap.dedent("""
      import sys
      sys.modules['tf_slim'] = None
      import tensorflow.compat.v1 as tf
      import contrib_compat as cc
      cc.install()
      from tensorflow.contrib.framework import arg_scope
      assert arg_scope is cc.arg_scope
      assert tf.contrib.slim.separable_conv2d is cc.separable_conv2d
      assert tf.contrib.layers.separable_convolution2d is cc.separable_conv2d
      from tensorflow.contrib.layers.python.layers import layers as lib
      assert lib.separable_conv2d is cc.separable_conv2d
      def missing(module, name):
        try:
          getattr(module, name)
        except AttributeError as e:
          return str(e)
        raise AssertionError(name + ' resolved without tf_slim')
      message = missing(tf.contrib.slim, 'conv2d')
      assert 'tf_slim' in message and 'failed to import' in message, message
      from tensorflow.contrib import training
      assert training.HParams(depth=3).depth == 3
      message = missing(training, 'create_train_op')
      assert 'failed to import' in message, message
      from contrib_compat import slim_repair
      with cc.repair_tf_slim() as repair:
        assert repair.patched == []
      assert not slim_repair.is_repaired()
      cc.uninstall()
      print('OK')
      """)
  result = subprocess.run([sys.executable, '-c', code], cwd=str(REPO),
                          capture_output=True, text=True, timeout=300,
                          check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip().splitlines()[-1] == 'OK'
