"""The installed version of a distribution, as golden files record it.

tf_slim has no `__version__`: its distribution's metadata is asked, under
TF 1.15's Python 3.7 too (no importlib.metadata there).
"""


def installed(distribution):
  """'1.1.0' for 'tf-slim', ...; None when it is not installed."""
  try:
    from importlib import metadata
  except ImportError:  # Python 3.7
    import pkg_resources
    try:
      return pkg_resources.get_distribution(distribution).version
    except pkg_resources.DistributionNotFound:
      return None
  try:
    return metadata.version(distribution)
  except metadata.PackageNotFoundError:
    return None
