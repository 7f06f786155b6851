"""The tables migrate reads: which tf.contrib names are this package's, where
the rest go, and the kinds of rewrite the report counts.

Engine apart (rewrite.py, references.py, imports.py), as tf_upgrade_v2 keeps
its tables in spec classes: a new rule is a table entry here. The contrib
names TF 2 kept under another name are in contrib_compat/moved.py, which
install() reads too.
"""

# tf.contrib.layers names that are this package's own; contrib_compat
# exports them at the top level. Every other tf.contrib.layers name is
# tf_slim's, reached through contrib_compat.layers.
OWN_LAYERS = frozenset(['separable_conv2d', 'separable_convolution2d',
                        'batch_norm'])
ARG_SCOPE = frozenset(['arg_scope', 'add_arg_scope'])


# tf.contrib.framework names that tf_slim still exports at its top level, so
# contrib_compat.slim has them (tests check each against tf_slim). The rest of
# contrib.framework (nest, sort, list_variables, ...) moved into TF core.
FRAMEWORK_IN_TF_SLIM = frozenset([
    'VariableDeviceChooser', 'add_arg_scope', 'add_model_variable',
    'arg_scope', 'arg_scoped_arguments', 'assert_global_step',
    'assert_or_get_global_step', 'assign_from_checkpoint',
    'assign_from_checkpoint_fn', 'assign_from_values',
    'assign_from_values_fn', 'create_global_step', 'current_arg_scope',
    'filter_variables', 'get_global_step', 'get_local_variables',
    'get_model_variables', 'get_or_create_global_step',
    'get_trainable_variables', 'get_unique_variable',
    'get_variable_full_name', 'get_variables', 'get_variables_by_name',
    'get_variables_by_suffix', 'get_variables_to_restore', 'global_variable',
    'has_arg_scope', 'local_variable', 'model_variable', 'variable',
])


# tf.<name> chains never resolved against TensorFlow: looking them up would
# import Keras or the estimator, and none of them says anything about TF1.
UNCHECKED_ROOTS = frozenset(['keras', 'estimator', 'compat', 'lite',
                             'contrib'])


# Rewrite kinds, as the summary names them.
KIND_SEPARABLE = 'layers.separable_conv2d'
KIND_BATCH_NORM = 'layers.batch_norm'
KIND_LAYERS = 'layers (tf_slim)'
KIND_SLIM = 'slim'
KIND_ARG_SCOPE = 'framework.arg_scope'
KIND_FRAMEWORK = 'framework (tf_slim)'
KIND_NETS = 'slim.nets'
KIND_TRAINING = 'training (HParams, tf_slim)'
KIND_IMPLEMENTATION = 'implementation modules'
KIND_MOVED = 'moved into TF 2'
KIND_REPAIR = 'repair tf_slim'
KIND_COMPAT_V1 = 'import tensorflow.compat.v1'
KIND_IMPORT = 'import contrib_compat'


# Where tf.contrib.layers names other than ours are looked for, in order.
# contrib.layers also re-exported tf_slim's regularizers, initializers and
# optimizers, which contrib_compat.slim (tf_slim's top level) has.
LAYERS_MODULES = ('contrib_compat.layers', 'contrib_compat.slim')


# `NAME = tf.contrib.<sub>` and `import tensorflow.contrib.<sub> as NAME`
# become `from contrib_compat import <module> as NAME`.
MODULE_BINDINGS = {'slim': ('slim', KIND_SLIM),
                   'layers': ('layers', KIND_LAYERS),
                   'framework': ('slim', KIND_FRAMEWORK),
                   'training': ('training', KIND_TRAINING)}
