"""`tf.contrib.quantize`: TF1's quantization-aware training graph rewrite.

    import contrib_compat.quantize as quantize   # or tf.contrib.quantize
    logits = build_model(images, is_training=True)
    quantize.create_training_graph(quant_delay=2000000)
    loss = ...; train_op = optimizer.minimize(loss)

The rewrite changes the graph in place (before the optimizer's ops exist):
batch norms are folded into the conv / depthwise / fully connected layer
before them (`fold.py`), and FakeQuantWithMinMaxVars ops with learned
ranges are inserted after weights and activations (`insert.py`), with TF
1.15's node names, variables (`<ctx>/weights_quant/min`, `act_quant/max`,
their moving-average shadows, `fake_quantization_step`) and quirks, so TF1's
quantized checkpoints restore and TF1's tools (TOCO / TFLiteConverter with
`inference_type=uint8`) read the eval graph.

Everything is public TensorFlow except two `tf.Operation` methods TF 2 still
has but does not export (see `_graph_edit.py`), checked at import.
"""
import tensorflow.compat.v1 as tf

from contrib_compat.quantize import fold
from contrib_compat.quantize import insert

__all__ = ['create_training_graph', 'create_eval_graph',
           'experimental_create_training_graph',
           'experimental_create_eval_graph']

# Ops an optimizer adds: the rewrite must come before them (gradients of
# the unquantized graph would train the wrong model).
_TRAINING_OPS = frozenset([
    'ApplyAdagrad', 'ApplyAdagradDA', 'ApplyAdam', 'ApplyAddSign',
    'ApplyCenteredRMSProp', 'ApplyFtrl', 'ApplyFtrlV2',
    'ApplyGradientDescent', 'ApplyMomentum', 'ApplyPowerSign',
    'ApplyProximalAdagrad', 'ApplyProximalGradientDescent', 'ApplyRMSProp',
    'ResourceApplyAdadelta', 'ResourceApplyAdagrad', 'ResourceApplyAdagradDA',
    'ResourceApplyAdam', 'ResourceApplyAddSign',
    'ResourceApplyCenteredRMSProp', 'ResourceApplyFtrl',
    'ResourceApplyFtrlV2', 'ResourceApplyGradientDescent',
    'ResourceApplyMomentum', 'ResourceApplyPowerSign',
    'ResourceApplyProximalAdagrad', 'ResourceApplyProximalGradientDescent',
    'ResourceApplyRMSProp', 'ResourceSparseApplyAdadelta',
    'ResourceSparseApplyAdagrad', 'ResourceSparseApplyAdagradDA',
    'ResourceSparseApplyCenteredRMSProp', 'ResourceSparseApplyFtrl',
    'ResourceSparseApplyFtrlV2', 'ResourceSparseApplyMomentum',
    'ResourceSparseApplyProximalAdagrad',
    'ResourceSparseApplyProximalGradientDescent',
    'ResourceSparseApplyRMSProp', 'SparseApplyAdadelta', 'SparseApplyAdagrad',
    'SparseApplyAdagradDA', 'SparseApplyCenteredRMSProp', 'SparseApplyFtrl',
    'SparseApplyFtrlV2', 'SparseApplyMomentum', 'SparseApplyProximalAdagrad',
    'SparseApplyProximalGradientDescent', 'SparseApplyRMSProp'])


def _rewrite(input_graph, is_training, weight_bits=8, activation_bits=8,
             symmetric=False, quant_delay=None, freeze_bn_delay=None,
             scope=None):
  """Folds batch norms, then inserts fake quants (TF1's `_create_graph`)."""
  if input_graph is None and tf.executing_eagerly():
    # TF1 rewrote an empty graph here and trained unquantized, silently.
    raise RuntimeError(
        'quantize: eager execution is on, so there is no graph to rewrite; '
        'build the model in a tf.Graph (tf.compat.v1.disable_eager_execution()'
        ', or run the script with python -m contrib_compat.run) or pass it '
        'as `input_graph`')
  graph = tf.get_default_graph() if input_graph is None else input_graph
  if not isinstance(graph, tf.Graph):
    raise TypeError('quantize: `input_graph` must be a tf.Graph or None, got '
                    '%r' % (input_graph,))
  found = {op.type for op in graph.get_operations()} & _TRAINING_OPS
  if found:
    raise ValueError('Training op found in graph, exiting %s' % found)
  for name, value in (('weight_bits', weight_bits),
                      ('activation_bits', activation_bits)):
    if isinstance(value, bool) or not isinstance(value, int) or not (
        2 <= value <= 16):
      raise ValueError('quantize: `%s` must be an int from 2 to 16 (the '
                       'FakeQuant kernels\' range), got %r' % (name, value))
  with graph.as_default():
    fold.fold_batch_norms(graph, is_training,
                          freeze_batch_norm_delay=freeze_bn_delay)
    insert.quantize(graph, insert.Options(
        is_training=is_training, weight_bits=weight_bits,
        activation_bits=activation_bits, symmetric=symmetric, ema_decay=0.999,
        quant_delay=quant_delay,
        vars_collection=tf.GraphKeys.GLOBAL_VARIABLES, scope=scope))


def create_training_graph(input_graph=None, quant_delay=0):
  """Rewrites a training graph in place for simulated quantization.

  Call it after building the model and before the optimizer (TF1 raised
  ValueError when optimizer ops were already there, and so does this).
  Variables it adds go to GLOBAL_VARIABLES.

  Args:
    input_graph: the tf.Graph to rewrite; None for the default graph.
    quant_delay: steps (of `fake_quantization_step`, counted per run) before
      weights and activations are quantized; 0 quantizes from the start,
      which suits fine-tuning a trained float model.

  Raises:
    ValueError: optimizer ops are in the graph, or folding failed.
    RuntimeError: no `input_graph` and eager execution is on.
  """
  _rewrite(input_graph, is_training=True, quant_delay=quant_delay)


def create_eval_graph(input_graph=None):
  """Rewrites an eval graph in place for simulated quantization.

  The graph then reads the ranges learned in training (restore them from
  the training checkpoint), and freezes into what TFLiteConverter turns into
  a uint8 model.

  Args:
    input_graph: the tf.Graph to rewrite; None for the default graph.

  Raises:
    ValueError: optimizer ops are in the graph, or folding failed.
  """
  _rewrite(input_graph, is_training=False)


def experimental_create_training_graph(input_graph=None, weight_bits=8,
                                       activation_bits=8, symmetric=False,
                                       quant_delay=0, freeze_bn_delay=None,
                                       scope=None):
  """create_training_graph with TF1's experimental options.

  Args:
    input_graph: the tf.Graph to rewrite; None for the default graph.
    weight_bits: bits of the weights (narrow range: 1..2^bits - 1).
    activation_bits: bits of activations.
    symmetric: ranges symmetric around 0 (what the int8 TFLite kernels
      need) instead of a learned min and max.
    quant_delay: steps before quantization starts.
    freeze_bn_delay: steps after which batch norms use (and stop updating)
      their moving statistics; None never freezes them.
    scope: only ops under this name scope are rewritten.

  Raises:
    ValueError: optimizer ops are in the graph, bits outside 2..16, or
      folding failed.
  """
  _rewrite(input_graph, is_training=True, weight_bits=weight_bits,
           activation_bits=activation_bits, symmetric=symmetric,
           quant_delay=quant_delay, freeze_bn_delay=freeze_bn_delay,
           scope=scope)


def experimental_create_eval_graph(input_graph=None, weight_bits=8,
                                   activation_bits=8, symmetric=False,
                                   quant_delay=None, scope=None):
  """create_eval_graph with TF1's experimental options.

  Args:
    input_graph, weight_bits, activation_bits, symmetric, quant_delay, scope:
      as in `experimental_create_training_graph`; they must be the values
      the model was trained with, or the learned ranges do not apply.

  Raises:
    ValueError: optimizer ops are in the graph, bits outside 2..16, or
      folding failed.
  """
  _rewrite(input_graph, is_training=False, weight_bits=weight_bits,
           activation_bits=activation_bits, symmetric=symmetric,
           quant_delay=quant_delay, scope=scope)
