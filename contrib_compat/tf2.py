"""`Tf1Module`: a TF1-style model function as a TF 2 `tf.Module`.

TF1 model code (variable scopes, `arg_scope`, slim layers, collections) needs
graph-mode semantics: `get_variable` reuse rules, `UPDATE_OPS`,
`REGULARIZATION_LOSSES`. TF 2 offered `tf.compat.v1.keras.utils.
track_tf1_style_variables` for this, but it lives in Keras 2 and is gone from
Keras 3. `Tf1Module` does the same job with public `tf.compat.v1` pieces:

* every call runs the model function in a `tf.compat.v1.wrap_function`
  graph (inside a `tf.function` that caches one per input signature), so the
  function sees TF1 graph semantics: a fresh variable store and fresh
  collections per trace, exactly as if it were built in a new `tf.Graph`;
* a variable creator hands out one `tf.Variable` per TF1 name, created
  eagerly on first use and reused by every later trace, so names stay the
  TF1 names (`MobilenetV1/Conv2d_0/weights`) and checkpoints map 1:1;
* ops the model puts in `UPDATE_OPS` (batch-norm moving averages) are run
  with every call that builds them -- training calls;
* regularization losses are cut out of `REGULARIZATION_LOSSES` of a
  separate trace as a function of the variable values, and re-evaluated on
  the current values each time `regularization_losses` is read.
"""
import collections
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf2
import tensorflow.compat.v1 as tf

from contrib_compat import ckpt
from contrib_compat import names
from contrib_compat import variables

_GLOBAL = tf.GraphKeys.GLOBAL_VARIABLES
_TRAINABLE = tf.GraphKeys.TRAINABLE_VARIABLES

CheckpointReport = collections.namedtuple(
    'CheckpointReport', ['loaded', 'missing', 'unexpected', 'mismatched'])
CheckpointReport.__doc__ = """What `load_tf1_checkpoint` found.

  loaded: sorted TF1 names restored.
  missing: sorted names of module variables absent from the checkpoint.
  unexpected: sorted checkpoint names the module has no variable for.
  mismatched: sorted (name, variable, checkpoint) triples, each side as
    'dtype[shape]'; TF1's Saver restored neither another dtype nor shape.
"""


def _typed_shape(entry):
  return '%s[%s]' % (entry['dtype'], ','.join(str(d) for d in entry['shape']))


def _tf1_name(variable):
  return names.op_name(variable.name)


def _is_tensor(value):
  """Whether a call argument becomes a graph input (not a Python constant)."""
  return isinstance(value, (tf2.Tensor, np.ndarray, tf2.Variable))


def _regularizing_getter(getter, name, *args, **kwargs):
  """Applies get_variable's `regularizer` itself, as TF1 graph mode did.

  TF 2's get_variable builds the loss twice ('l2' and 'l2_1') and colocates
  it with the variable, which a tf.distribute variable refuses outside a
  replica context; `variables.regularized_variable` (the layers' helper
  too) adds it once per created variable, where TF1 did.
  """
  regularizer = kwargs.pop('regularizer', None)
  return variables.regularized_variable(
      lambda name_, **rest: getter(name_, *args, **rest), name, regularizer,
      **kwargs)


class _Runner(object):
  """Holds the traced functions.

  A plain object, not a trackable: SavedModel export would otherwise try to
  serialize every trace (including those with Python-valued arguments).
  """

  def __init__(self, module):
    self.call = tf2.function(module._traced_call, autograph=False)
    self.regularizers = None  # The pruned losses function, made on demand.
    self.first_call = None  # (args, kwargs) of the first call.
    self.creating = False  # Inside our own tf.Variable call.


class Tf1Module(tf2.Module):
  """Runs a TF1-style model function eagerly or in `tf.function`.

  The model function is written as for TF1 graph mode:

    def model_fn(images, is_training=True):
      with slim.arg_scope([slim.separable_conv2d],
                          normalizer_fn=slim.batch_norm):
        return mobilenet_v1(images, 10, is_training=is_training)

    module = contrib_compat.Tf1Module(model_fn)
    logits, _ = module(images)          # creates the variables
    module.trainable_variables          # TF1 names, creation order

  Each call traces `model_fn` into a `tf.function` graph (once per input
  signature and Python argument values) so collections, `get_variable`
  reuse checks and arg scopes behave as in TF1; the variables are created
  eagerly, once, on the first call, and shared by every later trace. Tensors
  the model adds to `UPDATE_OPS` (batch-norm moving averages in training
  mode) run with the call, which TF1 code had to arrange with control
  dependencies on the train op. What is not covered: variables whose
  initializer is a tensor built inside the model function (the variable is
  made outside the trace), and `tf.compat.v1.get_variable` partitioners.

  With a `tf.distribute` strategy, make the first call (which creates the
  variables) inside `strategy.scope()` and outside `strategy.run`.

  Args:
    model_fn: The TF1-style model function; called with the module's call
      arguments.
    name: Module name (a Python identifier); defaults to the class name.
    custom_getter: Optional custom getter for the root variable scope the
      model function runs in, e.g.
      `contrib_compat.mixed_precision.float32_storage_getter`.

  Raises:
    TypeError: if `model_fn` is not callable.
  """

  def __init__(self, model_fn: Callable[..., Any], name: Optional[str] = None,
               custom_getter: Optional[Callable[..., Any]] = None) -> None:
    if not callable(model_fn):
      raise TypeError('Tf1Module: `model_fn` must be callable, got %r'
                      % (model_fn,))
    if custom_getter is not None and not callable(custom_getter):
      raise TypeError('Tf1Module: `custom_getter` must be callable or None, '
                      'got %r' % (custom_getter,))
    super().__init__(name=name)
    self._model_fn = model_fn
    self._custom_getter = custom_getter
    # TF1 name -> variable. A tracked dict: tf.train.Checkpoint and
    # SavedModel find the variables through it (keys are the TF1 names).
    self._tf1_variables = {}
    self._runner = _Runner(self)

  # --- variables -----------------------------------------------------------

  def _creator(self, next_creator, **kwargs):
    """Variable creator: one eager variable per TF1 name, reused by traces."""
    if self._runner.creating:
      # tf.Variable below comes back through this creator (init_scope keeps
      # the creator stack); let it through to strategy / default creators.
      return next_creator(**kwargs)
    name = kwargs['name']
    var = self._tf1_variables.get(name)
    if var is None:
      initial_value = kwargs['initial_value']
      if isinstance(initial_value, tf2.Tensor) and not hasattr(
          initial_value, 'numpy'):
        raise ValueError(
            'Tf1Module: variable %r has an initializer computed inside the '
            'model function (a graph tensor); pass an initializer object or '
            'a constant instead' % name)
      self._runner.creating = True
      try:
        with tf.init_scope():
          var = tf2.Variable(
              initial_value, trainable=kwargs.get('trainable'), name=name,
              dtype=kwargs.get('dtype'), shape=kwargs.get('shape'),
              constraint=kwargs.get('constraint'),
              synchronization=kwargs.get(
                  'synchronization', tf2.VariableSynchronization.AUTO),
              aggregation=kwargs.get('aggregation',
                                     tf2.VariableAggregation.NONE))
      finally:
        self._runner.creating = False
      self._tf1_variables[name] = var
    if not tf.executing_eagerly():
      # As a variable made in this graph would: TF1 code reads these
      # collections (tf_slim.get_model_variables, "was it created" checks).
      names = list(kwargs.get('collections') or [_GLOBAL])
      if var.trainable and _TRAINABLE not in names:
        names.append(_TRAINABLE)
      tf.add_to_collections(names, var)
    return var

  def _wrap(self, args, kwargs, fetch):
    """Builds `model_fn(*args, **kwargs)` in a fresh TF1-style graph.

    `tf.compat.v1.wrap_function` gives the model a graph with its own
    collections and variable store (a `tf.function` graph shares both with
    the eager context, so a second trace would find the first one's
    variables and refuse to create them, and collections would grow with
    every trace). Tensor arguments become the graph's inputs; everything else
    is passed through as a Python value.

    Args:
      args: Positional arguments for `model_fn`.
      kwargs: Keyword arguments for `model_fn`.
      fetch: Called in the graph with the model's outputs; its result is what
        the wrapped function returns.

    Returns:
      (wrapped function, list of the tensor arguments to call it with).
    """
    flat = tf2.nest.flatten((args, kwargs))
    tensor_positions = [i for i, v in enumerate(flat) if _is_tensor(v)]
    tensors = [tf2.convert_to_tensor(flat[i]) for i in tensor_positions]

    def body(*graph_tensors):
      values = list(flat)
      for position, tensor in zip(tensor_positions, graph_tensors):
        values[position] = tensor
      call_args, call_kwargs = tf2.nest.pack_sequence_as((args, kwargs),
                                                         values)
      with tf.variable_creator_scope(self._creator):
        with tf.variable_scope(tf.get_variable_scope(),
                               custom_getter=_regularizing_getter):
          with tf.variable_scope(tf.get_variable_scope(),
                                 custom_getter=self._custom_getter):
            outputs = self._model_fn(*call_args, **call_kwargs)
      return fetch(outputs)

    wrapped = tf.wrap_function(
        body, [tf2.TensorSpec(t.shape, t.dtype) for t in tensors])
    return wrapped, tensors

  def _traced_call(self, *args, **kwargs):
    """The `tf.function` body: builds the TF1 graph once per trace."""

    def with_updates(outputs):
      updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
      if not updates:
        return outputs
      # The wrapped graph has TF1 semantics (no automatic control
      # dependencies): the updates run because the outputs depend on them,
      # as TF1 training loops arranged with control dependencies.
      with tf.control_dependencies(updates):
        return tf2.nest.map_structure(
            lambda t: tf.identity(t) if _is_tensor(t) else t, outputs)

    wrapped, tensors = self._wrap(args, kwargs, with_updates)
    return wrapped(*tensors)

  def __call__(self, *args: Any, **kwargs: Any) -> Any:
    """Calls the model function; the first call creates the variables.

    Args:
      *args: Positional arguments for `model_fn` (tensors or Python values;
        each distinct Python value traces anew, as with `tf.function`).
      **kwargs: Keyword arguments for `model_fn`.

    Returns:
      What `model_fn` returns.

    Raises:
      RuntimeError: if called in TF1 graph mode (use `model_fn` directly
        there).
    """
    if not tf.executing_eagerly_outside_functions():
      raise RuntimeError(
          'Tf1Module needs TF 2 behaviour (eager execution outside '
          'functions); in TF1 graph mode call the model function directly')
    if self._runner.first_call is None:
      self._runner.first_call = (args, kwargs)
    return self._runner.call(*args, **kwargs)

  @property
  def built(self) -> bool:
    """Whether a call has created the variables."""
    return bool(self._tf1_variables)

  def _require_built(self, what):
    if not self._tf1_variables:
      raise ValueError('Tf1Module.%s: the module has no variables yet; call '
                       'it once on an example input first' % what)

  @property
  def variables(self) -> Tuple[tf2.Variable, ...]:
    """All variables, in creation order (the order of TF1's collections)."""
    return tuple(self._tf1_variables.values())

  @property
  def trainable_variables(self) -> Tuple[tf2.Variable, ...]:
    """Trainable variables, in creation order."""
    return tuple(v for v in self._tf1_variables.values() if v.trainable)

  @property
  def non_trainable_variables(self) -> Tuple[tf2.Variable, ...]:
    """Non-trainable variables (e.g. batch-norm moving statistics)."""
    return tuple(v for v in self._tf1_variables.values() if not v.trainable)

  def variables_by_name(self) -> Dict[str, tf2.Variable]:
    """A dict from TF1 name (no ':0') to variable."""
    return {_tf1_name(v): v for v in self._tf1_variables.values()}

  # --- regularization losses -----------------------------------------------

  @property
  def regularization_losses(self) -> List[tf2.Tensor]:
    """The model's REGULARIZATION_LOSSES, computed now, as a list of tensors.

    TF1 code summed `tf.losses.get_regularization_losses()` into the loss.
    Here the model function is traced once more (with the first call's
    arguments) and what it added to REGULARIZATION_LOSSES is cut out of that
    graph as a function of the variable values the losses read. Reading this
    property reads those variables in the current context and evaluates the
    function: the losses follow the current values, are differentiable
    (GradientTape, `tf.function`), and inside a `tf.distribute` replica use
    that replica's copy of each variable. The model itself does not run.

    Raises:
      ValueError: if the module has not been called yet.
    """
    self._require_built('regularization_losses')
    if self._runner.regularizers is None:
      self._runner.regularizers = self._make_regularizers()
    function, variables = self._runner.regularizers
    if function is None:
      return []
    return list(function(*[tf2.convert_to_tensor(v) for v in variables]))

  def _make_regularizers(self):
    """(function of variable values -> losses, the variables it reads)."""
    args, kwargs = self._runner.first_call
    losses = []

    def collect(outputs):
      del outputs
      # get_variable files lazily evaluated wrappers; make them graph tensors.
      losses.extend(tf.convert_to_tensor(loss) for loss in
                    tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))

    with tf.init_scope():
      wrapped, _ = self._wrap(args, kwargs, collect)
    if not losses:
      return None, []
    # Each variable enters the graph as a captured resource handle; map the
    # graph-side handles back to our variables (a distributed variable was
    # captured through one of its components).
    by_handle = {}
    for var in self._tf1_variables.values():
      for part in [var] + list(getattr(var, 'values', ())):
        try:
          by_handle[id(part.handle)] = var
        except ValueError:  # A distributed variable's own handle, refused.
          pass
    handle_owner = {id(internal): by_handle.get(id(external))
                    for external, internal in wrapped.graph.captures}
    reads, variables = [], []
    pending, seen = [loss.op for loss in losses], set()
    while pending:
      op = pending.pop()
      if op in seen:
        continue
      seen.add(op)
      if op.type == 'ReadVariableOp':
        owner = handle_owner.get(id(op.inputs[0]))
        if owner is not None:
          reads.append(op.outputs[0])
          variables.append(owner)
          continue
      pending.extend(t.op for t in op.inputs)
      pending.extend(op.control_inputs)
    return wrapped.prune(feeds=reads, fetches=losses), variables

  # --- checkpoints and export ----------------------------------------------

  def load_tf1_checkpoint(self, path: str, allow_missing: bool = False,
                          allow_unexpected: bool = False) -> CheckpointReport:
    """Restores the variables from a TF1 checkpoint, matching TF1 names.

    A TF1 `tf.train.Saver` checkpoint keys each variable by its name; this
    reads those keys (not the object graph that `tf.train.Checkpoint`
    writes), so checkpoints from TF1 graph-mode training load directly.

    Args:
      path: Checkpoint prefix or directory (a directory uses its latest
        checkpoint).
      allow_missing: If False, module variables absent from the checkpoint
        raise; if True they keep their current values.
      allow_unexpected: If False, checkpoint entries without a module variable
        raise (optimizer slots and `global_step` count); if True they are
        ignored.

    Returns:
      A `CheckpointReport`.

    Raises:
      ValueError: if the module has no variables yet, if a dtype or shape
        differs (compared as `contrib-compat-ckpt diff` compares, with
        `ckpt.compare`; the report is in the message), or if names are
        missing / unexpected and not allowed. Nothing is assigned when it
        raises.
    """
    self._require_built('load_tf1_checkpoint')
    if isinstance(path, str) and tf2.io.gfile.isdir(path):
      latest = tf2.train.latest_checkpoint(path)
      if latest is None:
        raise ValueError('load_tf1_checkpoint: no checkpoint in directory '
                         '`path`=%r' % path)
      path = latest
    reader = tf2.train.load_checkpoint(path)
    dtypes = reader.get_variable_to_dtype_map()
    ours = self.variables_by_name()
    found = ckpt.compare(
        {n: (list(shape), dtypes[n].name)
         for n, shape in reader.get_variable_to_shape_map().items()},
        {n: (v.shape.as_list(), v.dtype.base_dtype.name)
         for n, v in ours.items()})
    missing = [entry['name'] for entry in found['missing']]
    unexpected = [entry['name'] for entry in found['unexpected']]
    mismatched = [(entry['name'], _typed_shape(entry['model']),
                   _typed_shape(entry['checkpoint']))
                  for entry in found['mismatched']]
    loaded = sorted(set(ours) - set(missing) - {m[0] for m in mismatched})
    report = CheckpointReport(loaded, missing, unexpected, mismatched)
    problems = []
    if mismatched:
      problems.append('dtype or shape mismatches (name, variable, '
                      'checkpoint): %s' % mismatched)
    if missing and not allow_missing:
      problems.append('missing from the checkpoint (allow_missing=True to '
                      'keep their values): %s' % missing)
    if unexpected and not allow_unexpected:
      problems.append('not in the model (allow_unexpected=True to ignore): '
                      '%s' % unexpected)
    if problems:
      raise ValueError('load_tf1_checkpoint(%r): %s' % (path,
                                                        '; '.join(problems)))
    for name in loaded:
      ours[name].assign(reader.get_tensor(name))
    return report

  def serving_function(self, input_signature: Sequence[tf2.TensorSpec],
                       output_fn: Optional[Callable[..., Any]] = None,
                       **kwargs: Any) -> Any:
    """A `tf.function` with a fixed signature calling the model.

    Args:
      input_signature: A list of `tf.TensorSpec`, one per positional input.
      output_fn: Maps the model's outputs to the dict of named tensors a
        SavedModel signature returns. By default a tensor becomes
        {'output_0': tensor}, a dict of tensors is kept, and any other
        structure is flattened to 'output_0', 'output_1', ...
      **kwargs: Python keyword arguments for the model function (e.g.
        `is_training=False`).

    Returns:
      A `tf.function`.
    """

    def default_outputs(outputs):
      if isinstance(outputs, dict) and all(
          isinstance(k, str) and isinstance(v, tf2.Tensor)
          for k, v in outputs.items()):
        return outputs
      return {'output_%d' % i: t for i, t in enumerate(
          tf2.nest.flatten(outputs))}

    output_fn = output_fn or default_outputs

    def serve(*inputs):
      return output_fn(self._runner.call(*inputs, **kwargs))

    return tf2.function(serve, input_signature=list(input_signature))

  def export_saved_model(self, export_dir: str,
                         input_signature: Sequence[tf2.TensorSpec],
                         output_fn: Optional[Callable[..., Any]] = None,
                         **kwargs: Any) -> None:
    """Writes a SavedModel with a 'serving_default' signature.

    The SavedModel's root has `serve` (the serving function) and `model`
    (this module's variables, under their TF1 names).

    Args:
      export_dir: Directory to write.
      input_signature: A list of `tf.TensorSpec`, one per positional input.
      output_fn: See `serving_function`.
      **kwargs: Python keyword arguments for the model function, usually
        `is_training=False`.

    Raises:
      ValueError: if the module has no variables yet.
    """
    self._require_built('export_saved_model')
    root = tf2.Module()
    root.model = self
    root.serve = self.serving_function(input_signature, output_fn, **kwargs)
    tf2.saved_model.save(
        root, export_dir,
        signatures={'serving_default': root.serve.get_concrete_function()})
