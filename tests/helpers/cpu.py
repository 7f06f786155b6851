"""Which CPU kernels TensorFlow runs here: oneDNN's or Eigen's."""
import os

# TensorFlow turns oneDNN on by default on CPUs with one of these (the rule
# tools/compat_matrix reports with).
ONEDNN_FLAGS = ('avx512_vnni', 'avx512_bf16', 'amx_tile')


def onednn_on():
  """TF_ENABLE_ONEDNN_OPTS when set, else the CPU's default."""
  forced = os.environ.get('TF_ENABLE_ONEDNN_OPTS')
  if forced is not None:
    return forced.lower() in ('1', 'true')
  try:
    with open('/proc/cpuinfo') as f:
      flags = set(next((line for line in f if line.startswith('flags')),
                       '').split())
  except OSError:
    return False
  return bool(flags & set(ONEDNN_FLAGS))
