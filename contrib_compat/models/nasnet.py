"""A NASNet-style network in the slim style, with towers sharing variables.

Cells as in NASNet-A: the previous and the current hidden state are brought
to `filters` channels by 1x1 convs (`prev_1x1`, `beginning/1x1`), then pairs
of operations are added (`comb_iter_<i>/left`, `/right`) and the sums
concatenated. The separable operations are NASNet's stacked separable convs:
`relu -> separable_conv2d(net, filters, k) -> batch_norm` twice, i.e. the
pointwise branch without biases or `normalizer_fn` (NASNet's arg_scope set
`activation_fn=None, biases_initializer=None` and called `batch_norm`
itself). A reduction cell runs the first op of each pair at stride 2.

`nasnet_towers` splits the batch into towers that share one set of variables
through `reuse=True`, as multi-GPU TF1 training did.

Every function takes `layers`, the namespace providing `conv2d`,
`separable_conv2d`, `batch_norm`, `arg_scope`, ... (default
`contrib_compat.slim`; `tf_slim` builds the same network with tf-slim's
layers).
"""
import tensorflow.compat.v1 as tf

from contrib_compat import slim as _slim

NORMAL, REDUCTION = 'normal', 'reduction'
SMALL_CELLS = (NORMAL, REDUCTION, NORMAL)


def nasnet_arg_scope(weight_decay=5e-4, bn_decay=0.9, bn_epsilon=1e-5,
                     layers=None):
  """NASNet's defaults: linear convs without biases, explicit batch_norm.

  Args:
    weight_decay: L2 weight decay of conv and fully connected weights.
    bn_decay: batch_norm moving average decay.
    bn_epsilon: batch_norm epsilon.
    layers: layer namespace (default `contrib_compat.slim`).

  Returns:
    An arg_scope dict.
  """
  slim = layers or _slim
  with slim.arg_scope(
      [slim.fully_connected, slim.conv2d, slim.separable_conv2d],
      weights_regularizer=slim.l2_regularizer(weight_decay),
      weights_initializer=tf.variance_scaling_initializer(mode='fan_out')):
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d],
                        activation_fn=None, biases_initializer=None):
      with slim.arg_scope([slim.fully_connected], activation_fn=None):
        with slim.arg_scope([slim.batch_norm], decay=bn_decay,
                            epsilon=bn_epsilon, scale=True) as scope:
          return scope


def stacked_separable_conv(net, filters, kernel_size, stride=1, num_layers=2,
                           layers=None):
  """relu -> separable conv -> batch_norm, `num_layers` times.

  Only the first layer is strided. Scopes: `separable_<k>x<k>_<i>` and
  `bn_sep_<k>x<k>_<i>`, 1-based.
  """
  slim = layers or _slim
  for i in range(num_layers):
    net = tf.nn.relu(net)
    net = slim.separable_conv2d(
        net, filters, kernel_size, depth_multiplier=1,
        stride=stride if i == 0 else 1,
        scope='separable_%dx%d_%d' % (kernel_size, kernel_size, i + 1))
    net = slim.batch_norm(
        net, scope='bn_sep_%dx%d_%d' % (kernel_size, kernel_size, i + 1))
  return net


def _conv_bn(net, filters, stride, conv_scope, bn_scope, layers):
  net = tf.nn.relu(net)
  net = layers.conv2d(net, filters, [1, 1], stride=stride, scope=conv_scope)
  return layers.batch_norm(net, scope=bn_scope)


def nasnet_cell(net, prev, filters, kind=NORMAL, scope=None, reuse=None,
                layers=None):
  """One NASNet-style cell; returns its output (3 * filters channels).

  Args:
    net: the current hidden state, NHWC.
    prev: the previous hidden state; may be twice the spatial size of `net`.
    filters: channels of each operation.
    kind: NORMAL or REDUCTION (the first op of each pair at stride 2).
    scope: variable scope, e.g. 'cell_0'.
    reuse: reuse the cell's variables (another tower).
    layers: layer namespace (default `contrib_compat.slim`).

  Raises:
    ValueError: if `kind` is neither NORMAL nor REDUCTION.
  """
  slim = layers or _slim
  if kind not in (NORMAL, REDUCTION):
    raise ValueError('nasnet_cell: `kind` must be %r or %r, got %r'
                     % (NORMAL, REDUCTION, kind))
  stride = 2 if kind == REDUCTION else 1
  with tf.variable_scope(scope, 'cell', [net, prev], reuse=reuse):
    prev_stride = prev.shape.as_list()[1] // net.shape.as_list()[1]
    prev = _conv_bn(prev, filters, prev_stride, 'prev_1x1', 'prev_bn', slim)
    with tf.variable_scope('beginning'):
      net = _conv_bn(net, filters, 1, '1x1', 'beginning_bn', slim)
    outputs = []
    with tf.variable_scope('comb_iter_0'):
      with tf.variable_scope('left'):
        left = stacked_separable_conv(net, filters, 5, stride, layers=slim)
      with tf.variable_scope('right'):
        right = stacked_separable_conv(prev, filters, 3, stride, layers=slim)
      outputs.append(tf.add(left, right, name='combine'))
    with tf.variable_scope('comb_iter_1'):
      with tf.variable_scope('left'):
        left = slim.avg_pool2d(net, [3, 3], stride=stride, padding='SAME')
      with tf.variable_scope('right'):
        right = (prev if kind == NORMAL else
                 slim.max_pool2d(prev, [3, 3], stride=2, padding='SAME'))
      outputs.append(tf.add(left, right, name='combine'))
    with tf.variable_scope('comb_iter_2'):
      with tf.variable_scope('left'):
        left = stacked_separable_conv(net, filters, 3, stride, layers=slim)
      with tf.variable_scope('right'):
        right = slim.max_pool2d(prev, [3, 3], stride=stride, padding='SAME')
      outputs.append(tf.add(left, right, name='combine'))
    return tf.concat(outputs, axis=3, name='cell_output')


def nasnet(inputs, num_classes=10, is_training=True, filters=8,
           cells=SMALL_CELLS, reuse=None, scope='nasnet', layers=None):
  """Stem, cells and logits. Call under `nasnet_arg_scope()`.

  Filters double at each reduction cell.

  Returns:
    (logits, end_points).
  """
  slim = layers or _slim
  end_points = {}
  with tf.variable_scope(scope, 'nasnet', [inputs], reuse=reuse):
    with slim.arg_scope([slim.batch_norm], is_training=is_training):
      net = slim.conv2d(inputs, filters * 2, [3, 3], scope='conv0')
      net = slim.batch_norm(net, scope='conv0_bn')
      prev = net
      normal_index = reduction_index = 0
      for kind in cells:
        if kind == REDUCTION:
          filters *= 2
          name = 'reduction_cell_%d' % reduction_index
          reduction_index += 1
        else:
          name = 'cell_%d' % normal_index
          normal_index += 1
        prev, net = net, nasnet_cell(net, prev, filters, kind, scope=name,
                                     layers=slim)
        end_points[name] = net
      net = tf.nn.relu(net)
      net = tf.reduce_mean(net, [1, 2], name='global_pool')
      end_points['global_pool'] = net
      logits = slim.fully_connected(net, num_classes, scope='FC')
      end_points['Logits'] = logits
  return logits, end_points


def nasnet_towers(inputs, num_towers=2, num_classes=10, is_training=True,
                  filters=8, cells=SMALL_CELLS, scope='nasnet', layers=None):
  """The batch split over `num_towers` copies of `nasnet` sharing variables.

  Tower 0 creates the variables; the others are built with `reuse=True`
  under name scopes `tower_<i>`, so every op is per tower and every variable
  exists once. Each tower's batch_norm adds its own moving-average updates.

  Returns:
    (logits of the whole batch, end_points), end_points keyed
    'tower_<i>/<name>'.

  Raises:
    ValueError: if the batch size is unknown or not divisible by num_towers.
  """
  batch = inputs.shape.as_list()[0]
  if batch is None or batch % num_towers:
    raise ValueError('nasnet_towers: the batch size of `inputs` (%s) must be '
                     'known and divisible by `num_towers` (%d)'
                     % (batch, num_towers))
  all_logits, end_points = [], {}
  for i, split in enumerate(tf.split(inputs, num_towers, axis=0)):
    with tf.name_scope('tower_%d' % i):
      logits, ends = nasnet(split, num_classes, is_training, filters, cells,
                            reuse=True if i else None, scope=scope,
                            layers=layers)
    all_logits.append(logits)
    end_points.update(('tower_%d/%s' % (i, k), v) for k, v in ends.items())
  return tf.concat(all_logits, axis=0, name='logits'), end_points
