"""The Quickstart demo runs end to end, quietly, leaving nothing behind."""
import glob
import io
import os
import tempfile
import warnings

from contrib_compat import demo


def test_demo_trains_saves_restores_and_summarizes():
  before = set(glob.glob(os.path.join(tempfile.gettempdir(),
                                      'contrib_compat_demo_*')))
  out = io.StringIO()
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    demo.main(out)
  text = out.getvalue()
  assert 'Conv2d_1_depthwise/depthwise_weights' in text
  assert 'Conv2d_1_depthwise/BatchNorm/moving_mean' in text
  assert 'Logits/pointwise_weights' in text
  assert "outputs identical to the trained graph's" in text
  assert 'into an inference-only graph: max |diff|' in text
  assert not [w for w in caught if 'layer.apply' in str(w.message)]
  after = set(glob.glob(os.path.join(tempfile.gettempdir(),
                                     'contrib_compat_demo_*')))
  assert after == before
