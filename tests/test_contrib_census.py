"""The census of TF 1.15's tf.contrib (docs/contrib_census.md): current, and
every name either provided or refused with a message naming a replacement."""
import importlib.machinery
import importlib.util
import json
import re

import pytest

from tests.conftest import REPO

_loader = importlib.machinery.SourceFileLoader(
    'contrib_census', str(REPO / 'tools' / 'contrib_census'))
census = importlib.util.module_from_spec(
    importlib.util.spec_from_loader('contrib_census', _loader))
_loader.exec_module(census)


@pytest.fixture(scope='module')
def tf1_names():
  return json.loads(census.NAMES.read_text())


@pytest.fixture(scope='module')
def classified(tf1_names):
  return census.classify(tf1_names['modules'])


def test_names_were_listed_by_tf_1_15(tf1_names):
  assert tf1_names['tensorflow'] == '1.15.0'
  modules = tf1_names['modules']
  assert len(modules) == 73
  assert 'separable_conv2d' in modules['layers']
  assert 'bipartite_match' in modules['image']


def test_every_name_is_provided_or_refused_naming_a_replacement(classified):
  unexplained = []
  for module, names in classified.items():
    for name, (kind, detail) in names.items():
      assert kind in census.KINDS
      if kind == 'refused' and not (' instead.' in detail or
                                    'in TensorFlow 2, which' in detail):
        unexplained.append('%s.%s: %s' % (module, name, detail))
  assert not unexplained, unexplained[:10]


def test_what_real_code_uses_is_provided(classified):
  for dotted in ('layers.separable_conv2d', 'layers.batch_norm',
                 'slim.arg_scope', 'framework.get_name_scope', 'signal.stft',
                 'image.bipartite_match', 'image.transform', 'tpu.shard',
                 'training.HParams', 'quantize.create_training_graph'):
    module, _, name = dotted.partition('.')
    assert classified[module][name][0] != 'refused', dotted


def test_the_page_is_current(classified, tf1_names):
  # What resolves depends on the TensorFlow installed (the rnn cells need
  # tf_keras from 2.16 on): the page is for the one it names.
  if ('under TensorFlow %s ' % census.tf2_version()) not in (
      census.PAGE.read_text()):
    pytest.skip('docs/contrib_census.md was made with another TensorFlow')
  assert census.PAGE.read_text() == census.page(classified,
                                                tf1_names['tensorflow'])
  counts = census.counts(classified)
  readme = (REPO / 'README.md').read_text()
  assert ('%d names' % sum(counts.values())) in readme
  paragraph = ' '.join(readme.split('The whole of TF 1.15', 1)[1].split(
      '\n\n')[0].split())
  said = re.findall(r'\b(\d+) (?:resolve to|to an adapter|to tf_slim|are '
                    r'refused)', paragraph)
  assert [int(n) for n in said] == [counts[k] for k in census.KINDS], said
