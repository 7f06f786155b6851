"""What the installed TensorFlow, tf_slim and contrib_compat have.

The rewrite asks four questions: does TF 2 (and tf.compat.v1) have
`tf.x.y`, under which spelling; does a module import; does a module have a
name. A `Lookup` answers them, remembers each answer, and hands the new ones
over (`learned()`), so that migrate can keep them in its cache between runs
(cache.py): the answers hold until one of those packages changes. Most
questions about `tf.*` names are settled by TensorFlow's generated API files
(tf_api.py, milliseconds); the others import TensorFlow (seconds), once.
"""
import contextlib
import functools
import importlib
import importlib.util
import logging
import warnings

from contrib_compat import cli
from contrib_compat import moved
from contrib_compat.migrate import tables
from contrib_compat.migrate import tf_api

# The answers each question gives, for checking stored ones.
_ANSWER_KINDS = {
    '_tf_spelling': lambda a: a is None or isinstance(a, str),
    '_module_exists': lambda a: isinstance(a, bool),
    '_provides': lambda a: isinstance(a, bool),
    '_api_of': lambda a: a in (None, 'v1', 'v2', 'both'),
}


def _asked(key_name):
  """Memoizes a Lookup method (string arguments, JSON answer) under
  `key_name` + NUL + its arguments: the key the cache stores."""
  def decorate(question):
    prefix = key_name + '\0'

    @functools.wraps(question)
    def ask(self, *args):
      key = prefix + '\0'.join(args)
      try:
        return self._answers[key]
      except KeyError:
        answer = question(self, *args)
        self._answers[key] = self._learned[key] = answer
        return answer
    return ask
  return decorate


class Lookup(object):
  """The questions the rewrite asks, answered once each.

  Args:
    answers: stored answers ({key: answer}, as `learned()` returned them);
      one of a shape no question gives is dropped (it would silently change
      the rewrite), so that question is asked again.
    api: the tf_api.Api to read TensorFlow's API files with.
  """

  def __init__(self, answers=None, api=None):
    self._answers = {}
    self._learned = {}
    self._api = api or tf_api.Api()
    for key, answer in (answers or {}).items():
      question = key.split('\0', 1)[0] if isinstance(key, str) else None
      valid = _ANSWER_KINDS.get(question)
      if valid is not None and valid(answer):
        self._answers[key] = answer

  def learned(self):
    """The answers found since the last call, {key: answer}."""
    learned = dict(self._learned)
    self._learned.clear()
    return learned

  @_asked('_tf_spelling')
  def tf_spelling(self, home):
    """`home` ('tf.x.y') as a path after `tf` valid on TF 2 and tf.compat.v1.

    Migrated files may keep `import tensorflow as tf` or move to
    `tensorflow.compat.v1`; the rewritten name must work under both. None
    when the installed TensorFlow lacks it.
    """
    path = bare = home[len('tf.'):]
    for prefix in ('compat.v1.', 'compat.v2.'):
      if bare.startswith(prefix):
        bare = bare[len(prefix):]
    candidates = (path, bare, 'compat.v1.' + bare, 'compat.v2.' + bare)
    for candidate in candidates:
      found = [self._api.has(api, candidate) for api in ('v2', 'v1')]
      if tf_api.UNKNOWN in found:
        break
      if all(found):
        return candidate
    else:
      return None
    tf = _tensorflow()
    if tf is None:
      return None
    with _quiet_lookups():
      for candidate in candidates:
        if _resolves(tf, candidate) and _resolves(tf.compat.v1, candidate):
          return candidate
    return None

  def import_home(self, home):
    """(module, name) to import `home` ('tf.x.y' / 'contrib_compat.x.y') from.

    The module must import as such: `tensorflow.compat.v1.tpu` does,
    `tensorflow.distribute.cluster_resolver` does not. None if there is none.
    """
    if home.startswith('tf.'):
      path = self.tf_spelling(home)
      if path is None:
        return None
      home = 'tensorflow.' + path
    module, _, name = home.rpartition('.')
    return (module, name) if self.module_exists(module) else None

  def module_home(self, contrib_module):
    """The one module with all of `tf.contrib.<contrib_module>`'s names.

    A dotted path that need not import as a module:
    `tensorflow.compat.v1.tpu`, `tensorflow.nest`,
    `tensorflow.distribute.cluster_resolver`, or this package's
    `contrib_compat.summary` / `contrib_compat.audio_ops`, which stand for
    their whole contrib module. None where the names went to several places
    or changed names, or where only some are rebuilt (moved.PARTIAL_MODULES).
    """
    homes = moved.names_in(contrib_module)
    if not homes or contrib_module in moved.PARTIAL_MODULES:
      return None
    for home in homes.values():
      module = home.rpartition('.')[0]
      if module.startswith('contrib_compat.') and all(
          self.provides(module, leaf) for leaf in homes):
        return module
    if any(leaf != home.rpartition('.')[2] for leaf, home in homes.items()):
      return None
    spelled = {self.tf_spelling(home) for home in homes.values()}
    modules = {path and path.rpartition('.')[0] for path in spelled}
    if len(modules) != 1 or None in modules:
      return None
    return 'tensorflow.' + modules.pop()

  @_asked('_module_exists')
  def module_exists(self, module):
    if self._api.importable(module) is True:
      return True
    _quiet_tensorflow_import()
    try:
      return importlib.util.find_spec(module) is not None
    except Exception:
      return False  # a parent package that does not import

  @_asked('_provides')
  def provides(self, module, name):
    _quiet_tensorflow_import()
    try:
      return hasattr(importlib.import_module(module), name)
    except Exception:
      return False

  def provider(self, name, modules):
    """The first of `modules` that has `name`, or None.

    A rewrite must never point at a name the installed contrib_compat lacks:
    such a use is reported instead.
    """
    for module in modules:
      if self.provides(module, name):
        return module
    return None

  @_asked('_api_of')
  def api_of(self, dotted):
    """'v1' / 'v2' / 'both' / None: where `tf.<dotted>` exists.

    TF1-only names (tf.Session, tf.train.Saver, tf.app.flags, ...) are found
    by asking the installed TensorFlow rather than a list that would go
    stale.
    """
    parts = dotted.split('.')
    if parts[0] in tables.UNCHECKED_ROOTS:
      return None
    in_v2, in_v1 = self._api.has('v2', dotted), self._api.has('v1', dotted)
    if tf_api.UNKNOWN in (in_v2, in_v1):
      tf = _tensorflow()
      if tf is None:
        return None
      with _quiet_lookups():
        in_v2, in_v1 = _resolves(tf, dotted), _resolves(tf.compat.v1, dotted)
    return {(True, True): 'both', (True, False): 'v2',
            (False, True): 'v1'}.get((in_v2, in_v1))

  def chain_api(self, parts):
    """api_of for the longest prefix of `parts` that TensorFlow has.

    `tf.GraphKeys.INPUTS = 'inputs'` sets a new attribute on a TF1-only name:
    the file is TF1 code although the whole chain exists nowhere.
    """
    for end in range(len(parts), 0, -1):
      api = self.api_of('.'.join(parts[:end]))
      if api is not None:
        return api
    return None


def _quiet_tensorflow_import():
  """Loads TensorFlow, with its start-up lines hidden as the tool asked,
  before a question imports it (contrib_compat and tf_slim import it too)."""
  try:
    cli.import_tensorflow()
  except Exception:
    pass  # the questions answer None without TensorFlow


def _tensorflow():
  """The imported TensorFlow, or None without one."""
  _quiet_tensorflow_import()
  try:
    import tensorflow as tf
  except Exception:
    return None
  return tf


@contextlib.contextmanager
def _quiet_lookups():
  """Looking names up in TensorFlow warns of deprecated ones (on its logger:
  tf.GraphKeys.VARIABLES): nothing the user's report should show."""
  logger = logging.getLogger('tensorflow')
  level = logger.level
  logger.setLevel(logging.ERROR)
  try:
    with warnings.catch_warnings():
      warnings.simplefilter('ignore')
      yield
  finally:
    logger.setLevel(level)


def _resolves(obj, dotted):
  for part in dotted.split('.'):
    try:
      obj = getattr(obj, part)
    except Exception:
      return False
  return True
