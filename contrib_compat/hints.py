"""Type hints of the public API: what TF1's layers accepted, named once.

TF1's layer arguments were loosely typed (an int or a pair, a list of
collection names or a dict of them, a callable or None); these aliases say
so in one place for `separable_conv2d`, `batch_norm` and the TF 2 bridges.
"""
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import tensorflow as tf

# A tensor, or what tf.convert_to_tensor takes (numpy arrays, lists, ...).
TensorLike = Union[tf.Tensor, tf.Variable, Any]
# An int, or one per spatial dimension.
IntOrPair = Union[int, Sequence[int]]
# Tensor -> Tensor (activation_fn), or a normalizer taking its params.
LayerFn = Optional[Callable[..., Any]]
# (shape, dtype=..., partition_info=...) -> Tensor, or None.
Initializer = Optional[Callable[..., Any]]
# Tensor -> scalar loss tensor (or None, as tf.no_regularizer returns).
Regularizer = Optional[Callable[[tf.Tensor], Optional[tf.Tensor]]]
# A list of collection names, or {'weights': [...], 'biases': [...]}.
VariablesCollections = Optional[Union[Sequence[str],
                                      Mapping[str, Sequence[str]]]]
# A collection name or a list of them.
OutputsCollections = Optional[Union[str, Sequence[str]]]
# None, True, False or tf.compat.v1.AUTO_REUSE.
Reuse = Optional[Union[bool, Any]]
# A scope name or a tf.compat.v1.VariableScope.
Scope = Optional[Union[str, Any]]
# A Python bool, or a boolean scalar tensor chosen at run time.
BoolOrTensor = Union[bool, tf.Tensor]
