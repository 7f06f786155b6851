"""`HParams`: tf.contrib.training's hyperparameter container, on TF 2.

NASNet / PNASNet configs (`nasnet.large_imagenet_config()`), the Object
Detection API's hyperparameter overrides and many research repos build their
settings as `tf.contrib.training.HParams`, and TF 2 has no replacement, so
their model definitions do not even import. This is TF 1.15's class and
`parse_values` with the same typing rules and error messages, in plain
Python. What it does not do: the `HParamDef` protocol buffer (`hparam_def=`,
`to_proto`, `from_proto`) left TensorFlow with contrib, so those raise.
"""
import json
import numbers
import re

# One `name=value`, `name=[v, ...]` or `name[index]=value` clause.
_CLAUSE = re.compile(r"""
  (?P<name>[a-zA-Z][\w.]*)
  (\[\s*(?P<index>\d+)\s*\])?
  \s*=\s*
  ((?P<val>[^,\[]*) | \[(?P<vals>[^\]]*)\])
  ($|,\s*)""", re.VERBOSE)

_NO_PROTO = ('HParamDef protocol buffers left TensorFlow with tf.contrib; '
             'contrib_compat.HParams serializes with to_json() / parse_json().')


def _parse_error(name, value_type, text, values):
  return ValueError("Could not parse hparam '%s' of type '%s' with value "
                    "'%s' in %s" % (name, value_type.__name__, text, values))


def _reassigned(name, values):
  return ValueError("Multiple assignments to variable '%s' in %s"
                    % (name, values))


def _scalar_parser(name, value_type, values):
  """str -> value_type, booleans spelled as TF1 accepted them."""
  if value_type is not bool:
    return value_type

  def parse_bool(text):
    if text in ('true', 'True'):
      return True
    if text in ('false', 'False'):
      return False
    try:
      return bool(int(text))
    except ValueError:
      raise _parse_error(name, value_type, text, values) from None
  return parse_bool


def parse_values(values, type_map, ignore_unknown=False):
  """Parses `'a=1,b=[x,y],c[2]=0.5'` into a dict, typed by `type_map`.

  Args:
    values: comma-separated clauses `name=value`, `name=[v1,v2,...]` or
      `name[index]=value`; booleans as true/false/True/False or an integer.
    type_map: hyperparameter name -> its (element) type.
    ignore_unknown: skip names missing from `type_map` instead of raising.

  Returns:
    name -> a value, a list of values, or {index: value} for index clauses.

  Raises:
    ValueError: a malformed clause, an unknown name, a value that does not
      parse as its type, a list assigned to an index, or a name assigned
      twice.
  """
  result = {}
  pos = 0
  while pos < len(values):
    match = _CLAUSE.match(values, pos)
    if not match:
      raise ValueError('Malformed hyperparameter value: %s' % values[pos:])
    pos = match.end()
    name, index = match.group('name'), match.group('index')
    if name not in type_map:
      if ignore_unknown:
        continue
      raise ValueError('Unknown hyperparameter type for %s' % name)
    value_type = type_map[name]
    parse = _scalar_parser(name, value_type, values)
    if match.group('vals') is not None:
      if index is not None:
        raise ValueError('Assignment of a list to a list index.')
      if name in result:
        raise _reassigned(name, values)
      try:
        result[name] = [parse(e) for e in re.split('[ ,]', match.group('vals'))
                        if e]
      except ValueError:
        raise _parse_error(name, value_type, match.group('vals'),
                           values) from None
      continue
    text = match.group('val')
    try:
      value = parse(text)
    except ValueError:
      raise _parse_error(name, value_type, text, values) from None
    if index is None:
      if name in result:
        raise _reassigned(name, values)
      result[name] = value
      continue
    slots = result.setdefault(name, {})
    if not isinstance(slots, dict):
      raise _reassigned(name, values)
    if int(index) in slots:
      raise _reassigned('%s[%s]' % (name, index), values)
    slots[int(index)] = value
  return result


def _cast(name, param_type, value):
  """`value` as `param_type`, refusing the casts TF1 refused."""
  if type(value) == param_type:
    return value
  if issubclass(param_type, type(None)):
    return value  # declared as None: TF1 could not check anything
  refused = (
      (issubclass(param_type, (str, bytes)) and
       not isinstance(value, (str, bytes))) or
      issubclass(param_type, bool) != isinstance(value, bool) or
      (issubclass(param_type, numbers.Integral) and
       not isinstance(value, numbers.Integral)) or
      (issubclass(param_type, numbers.Number) and
       not isinstance(value, numbers.Number)))
  if refused:
    raise ValueError("Could not cast hparam '%s' of type '%s' from value %r"
                     % (name, param_type, value))
  return param_type(value)


class HParams:
  """Named, typed hyperparameters, readable as attributes.

      hparams = HParams(learning_rate=0.1, filter_sizes=[3, 5])
      hparams.parse('learning_rate=0.3,filter_sizes=[3,3]')
      hparams.set_hparam('learning_rate', 1)   # 1.0: int -> float is allowed

  A hyperparameter's type is that of its first value (a list's: that of its
  first element) and later values must convert to it as TF1 allowed: int to
  float yes, float to int no, nothing to or from bool or str. Names that are
  already attributes (`values`, `parse`, ...) are reserved.
  """

  def __init__(self, hparam_def=None, model_structure=None, **kwargs):
    """Creates the hyperparameters given as keyword arguments.

    Args:
      hparam_def: TF1's HParamDef proto; not supported (raises).
      model_structure: any object, kept for `get_model_structure()`.
      **kwargs: hyperparameter name -> value (int, float, bool, str, or a
        non-empty list of one of them).

    Raises:
      NotImplementedError: if `hparam_def` is given.
      ValueError: for a reserved name or an empty list.
    """
    self._hparam_types = {}
    self._model_structure = model_structure
    if hparam_def:
      raise NotImplementedError('HParams(hparam_def=...): ' + _NO_PROTO)
    for name, value in kwargs.items():
      self.add_hparam(name, value)

  def add_hparam(self, name, value):
    """Adds a new hyperparameter; its type is taken from `value`.

    Args:
      name: the attribute name it is read under.
      value: int, float, bool, str, None, or a non-empty list of one of them.

    Raises:
      ValueError: `name` is already an attribute (a method or an existing
        hyperparameter), or `value` is an empty list.
    """
    if getattr(self, name, None) is not None:
      raise ValueError('Hyperparameter name is reserved: %s' % name)
    if isinstance(value, (list, tuple)):
      if not value:
        raise ValueError('Multi-valued hyperparameters cannot be empty: %s'
                         % name)
      self._hparam_types[name] = (type(value[0]), True)
    else:
      self._hparam_types[name] = (type(value), False)
    setattr(self, name, value)

  def set_hparam(self, name, value):
    """Sets an existing hyperparameter, cast to its type.

    Args:
      name: an existing hyperparameter.
      value: its new value (a list for a list hyperparameter).

    Raises:
      KeyError: if there is no hyperparameter `name`.
      ValueError: a list for a single value or the reverse, or a value that
        does not convert to the hyperparameter's type.
    """
    param_type, is_list = self._hparam_types[name]
    if isinstance(value, list):
      if not is_list:
        raise ValueError('Must not pass a list for single-valued parameter: '
                         '%s' % name)
      setattr(self, name, [_cast(name, param_type, v) for v in value])
    else:
      if is_list:
        raise ValueError('Must pass a list for multi-valued parameter: %s.'
                         % name)
      setattr(self, name, _cast(name, param_type, value))

  def del_hparam(self, name):
    """Removes hyperparameter `name`; nothing happens if there is none."""
    if hasattr(self, name):
      delattr(self, name)
      del self._hparam_types[name]

  def parse(self, values):
    """Overrides values from a `'name=value,...'` string (see parse_values).

    Index clauses (`name[i]=v`) parse but, as in TF 1.15, are not applied.

    Args:
      values: the clauses, e.g. 'learning_rate=0.3,sizes=[3,5]'.

    Returns:
      self.

    Raises:
      ValueError: as `parse_values`, or a value `set_hparam` refuses; an
        index clause.
    """
    type_map = {name: t for name, (t, _) in self._hparam_types.items()}
    parsed = parse_values(values, type_map)
    for name, value in parsed.items():
      if isinstance(value, dict) and self._hparam_types[name][1]:
        # TF1 raised the first sentence only, which hid the reason.
        raise ValueError(
            'Must pass a list for multi-valued parameter: %s. HParams.parse '
            'does not apply index clauses (%s[i]=...); give the whole list.'
            % (name, name))
    return self.override_from_dict(parsed)

  def override_from_dict(self, values_dict):
    """Sets each hyperparameter named in `values_dict`; returns self."""
    for name, value in values_dict.items():
      self.set_hparam(name, value)
    return self

  set_from_map = override_from_dict  # TF1's deprecated name

  def set_model_structure(self, model_structure):
    self._model_structure = model_structure

  def get_model_structure(self):
    return self._model_structure

  def to_json(self, indent=None, separators=None, sort_keys=False):
    """The values as a JSON object string (arguments as for json.dumps)."""
    return json.dumps(self.values(), indent=indent, separators=separators,
                      sort_keys=sort_keys)

  def parse_json(self, values_json):
    """Overrides values from a JSON object string; returns self."""
    return self.override_from_dict(json.loads(values_json))

  def values(self):
    """A new dict: hyperparameter name -> value."""
    return {name: getattr(self, name) for name in self._hparam_types}

  def get(self, key, default=None):
    """The value of `key`, or `default` if there is no such hyperparameter.

    Raises:
      ValueError: if `key` exists and `default` (when not None) would not be
        a valid value for it, as in TF1.
    """
    if key not in self._hparam_types:
      return default
    if default is not None:
      param_type, is_list = self._hparam_types[key]
      message = "Hparam '%s' of type '%s' is incompatible with default=%s" % (
          key, 'list<%s>' % param_type if is_list else param_type, default)
      if is_list != isinstance(default, list):
        raise ValueError(message)
      try:
        for value in default if is_list else [default]:
          _cast(key, param_type, value)
      except ValueError as e:
        raise ValueError('%s. %s' % (message, e)) from None
    return getattr(self, key)

  def __contains__(self, key):
    return key in self._hparam_types

  def __str__(self):
    return ','.join('%s=%s' % item for item in self.values().items())

  def __repr__(self):
    return '%s(%s)' % (type(self).__name__, sorted(self.values().items()))

  def to_proto(self, export_scope=None):
    del export_scope
    raise NotImplementedError('HParams.to_proto: ' + _NO_PROTO)

  @staticmethod
  def from_proto(hparam_def, import_scope=None):
    del hparam_def, import_scope
    raise NotImplementedError('HParams.from_proto: ' + _NO_PROTO)
