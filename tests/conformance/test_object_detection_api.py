"""The TF1 Object Detection API's own tests, unchanged, through the runner.

PyPI serves the API as `tensorflow-object-detection-api==0.1.1` (May 2019,
Apache-2.0; protos compiled by an old protoc, so they load with protobuf's
pure-Python backend). The test downloads it (pip, nothing committed),
unpacks it, and runs MODULES with `python -m contrib_compat.run
od_api_driver.py` (unittest). Every test must pass except EXPECTED_FAILURES,
each with the reason, none of them this package's.

Measured at the time of writing (TF 2.21, Python 3.11), all 121 test files:
1,280 tests ran, 1,104 passed. What did not: research/slim's `nets`
MobileNet / NASNet / Inception-ResNet modules (not on PyPI; tf_slim ships
inception, resnet and vgg, which the driver serves as `nets`), so the
feature-extractor and model-builder tests cannot import; pycocotools,
pandas, lxml, contextlib2 not installed; Python 2 code (`dict.iteritems`,
`dict.values()[0]`, `range + list`, str where protobuf wants bytes);
numpy 2 (`np.float`), matplotlib 3.x, Keras 3 (the Keras feature maps and
heads), and the API's own imports of TensorFlow internals
(`control_flow_ops.case`, `ops.Tensor`, `tensorflow.tools.graph_transforms`).
MODULES are the files whose every test passes plus those whose failures are
listed below: 735 tests, 82 of them skipped by the API itself.
"""
import json
import os
import subprocess
import sys
import tarfile

import pytest

from tests.conftest import REPO

PACKAGE = 'tensorflow-object-detection-api==0.1.1'
_PASSING = '''
anchor_generators.grid_anchor_generator_test
anchor_generators.multiple_grid_anchor_generator_test
anchor_generators.multiscale_grid_anchor_generator_test
box_coders.faster_rcnn_box_coder_test box_coders.keypoint_box_coder_test
box_coders.mean_stddev_box_coder_test box_coders.square_box_coder_test
builders.box_coder_builder_test builders.box_predictor_builder_test
builders.calibration_builder_test builders.graph_rewriter_builder_test
builders.hyperparams_builder_test builders.image_resizer_builder_test
builders.losses_builder_test builders.matcher_builder_test
builders.post_processing_builder_test builders.preprocessor_builder_test
builders.region_similarity_calculator_builder_test
core.balanced_positive_negative_sampler_test core.batcher_test
core.box_coder_test core.box_list_ops_test core.box_list_test
core.keypoint_ops_test core.losses_test core.matcher_test
core.minibatch_sampler_test core.post_processing_test core.prefetcher_test
core.region_similarity_calculator_test core.target_assigner_test
matchers.argmax_matcher_test matchers.bipartite_matcher_test
meta_architectures.ssd_meta_arch_test
metrics.calibration_evaluation_test metrics.calibration_metrics_test
models.ssd_feature_extractor_test
predictors.convolutional_box_predictor_test predictors.heads.box_head_test
predictors.heads.class_head_test predictors.heads.keypoint_head_test
predictors.mask_rcnn_box_predictor_test predictors.rfcn_box_predictor_test
utils.category_util_test utils.config_util_test utils.context_manager_test
utils.dataset_util_test utils.label_map_util_test utils.np_box_list_ops_test
utils.np_box_list_test utils.np_box_mask_list_ops_test
utils.np_box_mask_list_test utils.np_box_ops_test utils.np_mask_ops_test
utils.per_image_evaluation_test utils.per_image_vrd_evaluation_test
utils.static_shape_test utils.test_utils_test
'''
MODULES = ['object_detection.' + m for m in _PASSING.split()]
_SSD = 'object_detection.meta_architectures.ssd_meta_arch_test.SsdMetaArchTest.'
EXPECTED_FAILURES = {
    'object_detection.builders.hyperparams_builder_test.HyperparamsBuilderTest'
    '.test_return_l1_regularized_weights':
        'Python 2 code: dict.values()[0]',
    _SSD + 'test_restore_map_for_classification_ckpt0':
        'Python 2 code: a str written where bytes are needed',
    _SSD + 'test_restore_map_for_classification_ckpt1':
        'Keras 3: tf.train.Checkpoint of Keras layers',
}


def _unpacked(tmp_path):
  """The API's `object_detection` unpacked under tmp_path, or a skip."""
  sdist = os.environ.get('CONTRIB_COMPAT_OD_API_SDIST')
  if not sdist:
    download = subprocess.run(
        [sys.executable, '-m', 'pip', 'download', '--no-deps', '--no-binary',
         ':all:', '-d', str(tmp_path), PACKAGE], capture_output=True,
        text=True, check=False, timeout=300)
    found = [p for p in os.listdir(tmp_path) if p.endswith('.tar.gz')]
    if download.returncode or not found:
      pytest.skip('could not download %s from PyPI (pip download --no-deps '
                  '%s; or set CONTRIB_COMPAT_OD_API_SDIST)' % (PACKAGE,
                                                               PACKAGE))
    sdist = str(tmp_path / found[0])
  with tarfile.open(sdist) as archive:
    members = [m for m in archive.getmembers()
               if '/object_detection/' in m.name and m.isfile()]
    for member in members:
      member.name = member.name[member.name.index('object_detection/'):]
    archive.extractall(tmp_path / 'lib', members=members)
  return tmp_path / 'lib'


@pytest.mark.slow
def test_the_apis_tests_pass_through_the_runner(tmp_path):
  lib = _unpacked(tmp_path)
  env = dict(os.environ, PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION='python',
             TF_CPP_MIN_LOG_LEVEL='2')
  result = subprocess.run(
      [sys.executable, '-m', 'contrib_compat.run',
       os.path.join('tests', 'conformance', 'od_api_driver.py'), str(lib)] +
      MODULES, cwd=REPO, capture_output=True, text=True, check=False,
      timeout=1800, env=env)
  lines = result.stdout.strip().splitlines()
  assert lines, result.stderr[-3000:]
  outcome = json.loads(lines[-1])
  # Parameterized tests' ids end in ' (their parameters)'.
  failed = {name.split(' ')[0]
            for name in outcome['failures'] + outcome['errors']}
  unexpected = sorted(failed - set(EXPECTED_FAILURES))
  assert not unexpected, (unexpected, result.stderr[-3000:])
  assert outcome['run'] >= 700, outcome
