"""tf.contrib.framework's graph helpers and tf.contrib.signal, as TF 1.15 had
them: under install(), through imports, and after contrib-compat-migrate."""
import numpy as np
import pytest
import tensorflow as tf
import tensorflow.compat.v1 as tf1

from contrib_compat import framework_ops
from contrib_compat.migrate import rewrite



def test_get_name_scope_as_tf1(graph, installed):
  from tensorflow.contrib.framework import get_name_scope
  assert get_name_scope is framework_ops.get_name_scope
  assert get_name_scope() == ''
  with tf1.name_scope('scope1'):
    with tf1.name_scope('scope2'):
      assert installed.framework.get_name_scope() == 'scope1/scope2'


def test_reduce_sum_n_has_tf1s_node_names(graph):
  a = tf1.constant([[1.0, 2.0]], name='a')
  b = tf1.constant([3.0], name='b')
  total = framework_ops.reduce_sum_n([a, b])
  assert total.op.name == 'reduce_sum_n'
  assert total.op.type == 'AddN'
  assert [i.op.name for i in total.op.inputs] == ['reduce_sum_n/a/sum',
                                                  'reduce_sum_n/b/sum']
  assert framework_ops.reduce_sum_n([a], name='one').op.name == 'one/a/sum'
  with tf1.Session() as sess:
    assert sess.run(total) == 6.0
  with pytest.raises(ValueError, match='`tensors` is empty'):
    framework_ops.reduce_sum_n([])


def test_get_graph_from_inputs_and_placeholders(graph):
  x = tf1.placeholder(tf.float32, [2], name='x')
  y = x + 1
  assert framework_ops.get_graph_from_inputs([1.0, y]) is graph
  assert framework_ops.get_graph_from_inputs([]) is graph
  other = tf.Graph()
  with other.as_default():
    z = tf1.constant(1.0)
  with pytest.raises(ValueError, match='same graph'):
    framework_ops.get_graph_from_inputs([y, z])
  with pytest.raises(ValueError, match='same graph'):
    framework_ops.get_graph_from_inputs([y], graph=other)
  with pytest.raises(TypeError, match='`op_input_list`'):
    framework_ops.get_graph_from_inputs(y)
  assert framework_ops.get_placeholders(graph) == [x]


def test_contrib_signal_is_tf_signal(installed):
  from tensorflow.contrib.signal import stft
  import tensorflow.contrib.signal as contrib_signal
  assert stft is tf.signal.stft
  assert (contrib_signal.linear_to_mel_weight_matrix is
          installed.signal.linear_to_mel_weight_matrix is
          tf.signal.linear_to_mel_weight_matrix)
  frames = installed.signal.frame(np.arange(8, dtype=np.float32), 4, 2)
  assert frames.shape == (3, 4)


def test_migrate_rewrites_signal_and_get_name_scope():
  source = ('import tensorflow as tf\n'
            's = tf.contrib.signal.stft(x, 256, 128)\n'
            'n = tf.contrib.framework.get_name_scope()\n')
  text = rewrite.rewrite_sources([source]).outputs[0]
  assert 's = tf.signal.stft(x, 256, 128)' in text
  assert 'n = contrib_compat.framework_ops.get_name_scope()' in text
  assert 'import contrib_compat' in text
