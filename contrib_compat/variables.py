"""Variable and collection helpers with tf-slim's semantics.

Variables are made through `model_variable` so that
`arg_scope([tf_slim.model_variable, tf_slim.variable], device=...)` places
them exactly as it places tf-slim's own. Without tf_slim, local versions with
the same arguments and collections are arg-scoped on this package's stack.
"""
import contextlib
import functools
import inspect

import tensorflow as tf2
import tensorflow.compat.v1 as tf

from contrib_compat import argscope
from contrib_compat import names

_GLOBAL = tf.GraphKeys.GLOBAL_VARIABLES
_MODEL = tf.GraphKeys.MODEL_VARIABLES


@argscope.add_arg_scope
def _own_variable(name, shape=None, dtype=tf.float32, initializer=None,
                  regularizer=None, trainable=True, collections=None,
                  caching_device=None, device=None, partitioner=None,
                  custom_getter=None, use_resource=None,
                  synchronization=tf.VariableSynchronization.AUTO,
                  aggregation=tf.VariableAggregation.NONE):
  """tf_slim.variable: get_variable placed on `device`, deduped collections."""
  collections = list(set(collections if collections is not None else
                         [_GLOBAL]))
  getter = tf.get_variable
  if custom_getter is not None:
    reuse = tf.get_variable_scope().reuse

    def getter(*args, **kwargs):
      return custom_getter(*args, reuse=reuse, **kwargs)
  with tf.device(device or ''):
    return getter(name, shape=shape, dtype=dtype, initializer=initializer,
                  regularizer=regularizer, trainable=trainable,
                  collections=collections, caching_device=caching_device,
                  partitioner=partitioner, use_resource=use_resource,
                  synchronization=synchronization, aggregation=aggregation)


# tf_slim.model_variable takes tf_slim.variable's arguments, written once.
_VARIABLE_ARGUMENTS = inspect.signature(_own_variable)


@argscope.add_arg_scope
def _own_model_variable(*args, **kwargs):
  """tf_slim.model_variable: a variable also in MODEL_VARIABLES.

  Takes `variable`'s arguments and calls it, so that an arg_scope on
  `variable` reaches model variables too, as in tf_slim.

  Raises:
    TypeError: the arguments do not fit `variable`'s signature.
  """
  call = _VARIABLE_ARGUMENTS.bind(*args, **kwargs)
  call.arguments['collections'] = list(
      call.arguments.get('collections') or []) + [_GLOBAL, _MODEL]
  return _own_variable(*call.args, **call.kwargs)


_own_model_variable.__signature__ = _VARIABLE_ARGUMENTS

if argscope.tf_slim is not None:
  variable = argscope.tf_slim.variable
  model_variable = argscope.tf_slim.model_variable
else:
  variable = _own_variable
  model_variable = _own_model_variable


def _layer_getter(getter, name, shape=None, dtype=None, initializer=None,
                  regularizer=None, trainable=True, collections=None,
                  caching_device=None, partitioner=None, rename=None,
                  use_resource=None,
                  synchronization=tf.VariableSynchronization.AUTO,
                  aggregation=tf.VariableAggregation.NONE, constraint=None,
                  **_):
  """TF1's model-variable getter; `constraint` is dropped, as TF1 did."""
  del constraint
  head, _, short_name = name.rpartition('/')
  if rename and short_name in rename:
    name = (head + '/' if head else '') + rename[short_name]
  return model_variable(
      name, shape=shape, dtype=dtype, initializer=initializer,
      regularizer=regularizer, collections=collections, trainable=trainable,
      caching_device=caching_device, partitioner=partitioner,
      custom_getter=getter, use_resource=use_resource,
      synchronization=synchronization, aggregation=aggregation)


# get_variable inspects a custom getter's signature on every call: whether
# it names `constraint`, else whether it takes **kwargs. Naming it saves the
# second look, and the signature computed once makes the first cheap (about
# a third of batch_norm's build time over its raw floor went there, profiled).
_layer_getter.__signature__ = inspect.signature(_layer_getter)


def layer_variable_getter(rename=None):
  """The custom getter TF1's contrib layers installed on their variable scope.

  Every `get_variable` under that scope -- the layer's own, and those of
  whatever it calls inside the scope (a `normalizer_fn`, an `activation_fn`
  such as a PReLU with a `get_variable` of its own) -- goes through
  `model_variable`: it lands in MODEL_VARIABLES and obeys
  `arg_scope([model_variable], ...)`. A variable whose short name is a key of
  `rename` is created under the mapped name instead (TF1's Keras-backed
  layers mapped `bias` to `biases`, `depthwise_kernel` to
  `depthwise_weights`, ...). Getters of enclosing scopes still apply: the
  variable scope nests them.

  Args:
    rename: Optional dict from short variable name to the name to use.

  Returns:
    A custom getter for `tf.compat.v1.variable_scope(custom_getter=...)`:
    as in TF1, the getter with `rename` bound by `functools.partial`.
  """
  return functools.partial(_layer_getter, rename=rename)


def get_variable_collections(variables_collections, name):
  """Collections for variable `name` ('weights', 'biases', ...).

  Args:
    variables_collections: None, a list of collection names applying to every
      variable, or a dict from variable kind to such a list.
    name: the variable kind looked up in a dict.

  Returns:
    A list of collection names, or None.
  """
  if isinstance(variables_collections, dict):
    return variables_collections.get(name)
  return variables_collections


def variable_parts(var):
  """The partitions of a partitioned variable, else `[var]`.

  A PartitionedVariable (no public class to test for) iterates its parts; a
  custom getter may also hand back a tensor (a cast read, in mixed precision).
  """
  return [var] if isinstance(var, (tf2.Variable, tf2.Tensor)) else list(var)


def regularized_variable(create, name, regularizer, keras_name=None,
                         **kwargs):
  """`create(name, **kwargs)`, adding TF1's regularization loss if it created.

  TF1 added `regularizer(var)` to REGULARIZATION_LOSSES only for a variable
  it had just created (not a reused one), one loss per partition, in one of
  two spellings:

  * get_variable's (the default): under `<variable>/Regularizer/`,
    colocated with the variable;
  * a Keras layer's `add_weight` (`keras_name` given): under
    `<keras_name>/Regularizer` in the current name scope, not colocated.

  TF 2's get_variable also calls the regularizer once outside any scope,
  leaving root-level `l2_regularizer` nodes TF1 never had, so `create` is
  never given the regularizer.

  Args:
    create: makes the variable: `model_variable`, `get_variable`, ...
    name: the variable's name, for `create`.
    regularizer: a function of a variable returning a loss tensor or None;
      None for no loss.
    keras_name: the Keras weight name, for the Keras spelling.
    **kwargs: the rest of `create`'s arguments.

  Returns:
    What `create` returned.
  """
  created = []

  def note_creation(next_creator, **creator_kwargs):
    made = next_creator(**creator_kwargs)
    created.append(made)
    return made

  # A creator scope sees creation in graph mode, eager templates and
  # tf.function alike, and hands over the variables themselves: what a
  # custom getter returns may be a cast read of them (mixed precision),
  # while get_variable regularized the stored variable.
  with tf.variable_creator_scope(note_creation):
    var = create(name, **kwargs)
  if regularizer is None or not created:
    return var
  key = tf.GraphKeys.REGULARIZATION_LOSSES
  if keras_name is not None:
    # Keras regularized what the getters returned, and looked the
    # collection up even for a None loss, which creates its (empty) key.
    for part in variable_parts(var):
      with tf.name_scope(keras_name + '/Regularizer'):
        loss = regularizer(part)
      tf.get_collection_ref(key)
      if loss is not None:
        tf.add_to_collection(key, loss)
    return var
  for part in created:
    # Not `.op.name`: `.op` is undefined in eager.
    name_of_part = names.op_name(part.name)
    with _colocated(part), tf.name_scope(name_of_part + '/Regularizer/'):
      loss = regularizer(part)
    if loss is not None:
      tf.add_to_collection(key, loss)
  return var


def _colocated(var):
  # Eagerly there is nothing to colocate; under a distribution strategy the
  # variable is a distributed one, placed by the strategy, whose handle
  # (what colocation needs) exists only inside a replica.
  if tf.executing_eagerly() or tf2.distribute.has_strategy():
    return contextlib.nullcontext()
  return tf.get_default_graph().colocate_with(var)


def add_variable_to_collections(var, variables_collections, name):
  """Adds `var` (or each part of a partitioned one) to its collections.

  Unlike passing `collections` to get_variable, this also files a reused
  variable, which is what the TF1 Keras-based layers did.
  """
  collections = get_variable_collections(variables_collections, name)
  if not collections:
    return
  parts = variable_parts(var)
  for collection in collections:
    existing = tf.get_collection_ref(collection)
    # By identity: `in` would call Variable.__eq__, which under TF 2
    # behaviour inside a tf.function builds an Equal op instead of a bool.
    present = {id(item) for item in existing}
    for part in parts:
      if id(part) not in present:
        existing.append(part)
        present.add(id(part))


def collect_named_outputs(collections, alias, outputs):
  """Adds `outputs` to `collections`, tagged with `alias` as tf-slim does.

  The alias goes to `outputs.aliases` (without a trailing '/'), which is what
  `tf_slim.utils.convert_collection_to_dict` reads.

  Returns:
    `outputs`, so the call can be inlined.
  """
  if collections:
    alias = alias[:-1] if alias.endswith('/') else alias
    if hasattr(outputs, 'aliases'):
      outputs.aliases.append(alias)
    else:
      outputs.aliases = [alias]
    tf.add_to_collections(collections, outputs)
  return outputs
