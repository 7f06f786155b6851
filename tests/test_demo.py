"""The Quickstart demo runs end to end."""
import io

from contrib_compat import demo


def test_demo_trains_saves_restores_and_summarizes():
  out = io.StringIO()
  demo.main(out)
  text = out.getvalue()
  assert 'Conv2d_1_depthwise/depthwise_weights' in text
  assert 'Conv2d_1_depthwise/BatchNorm/moving_mean' in text
  assert 'Logits/pointwise_weights' in text
  assert 'outputs identical' in text
