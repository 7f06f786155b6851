"""The TF1 Object Detection API and research/slim's nets, from PyPI.

PyPI serves the API as `tensorflow-object-detection-api==0.1.1` (an sdist,
May 2019, Apache-2.0) and research/slim's `nets` inside
`tf-object-detection==0.0.3` (a wheel, July 2020, Apache-2.0). Nothing of
either is committed: the tests and the golden generator download both and
unpack `object_detection` and `nets` into one folder.
"""
import os
import subprocess
import sys
import tarfile
import zipfile

PACKAGE = 'tensorflow-object-detection-api==0.1.1'
NETS_PACKAGE = 'tf-object-detection==0.0.3'


class Unavailable(Exception):
  """A download failed (no network, PyPI without the file)."""


def _download(spec, directory, suffix, *pip_args):
  """The file pip downloads for `spec` into `directory`."""
  download = subprocess.run(
      [sys.executable, '-m', 'pip', 'download', '--no-deps', '-d',
       str(directory), spec] + list(pip_args), capture_output=True,
      text=True, check=False, timeout=300)
  found = [p for p in os.listdir(directory) if p.endswith(suffix)]
  if download.returncode or not found:
    raise Unavailable('could not download %s from PyPI (pip download '
                      '--no-deps %s)' % (spec, spec))
  return os.path.join(str(directory), found[0])


def unpack(directory):
  """`directory`/lib holding `object_detection` and `nets`; its path.

  $CONTRIB_COMPAT_OD_API_SDIST / $CONTRIB_COMPAT_OD_NETS_WHEEL name local
  copies of the two downloads.

  Raises:
    Unavailable: a download failed.
  """
  os.makedirs(directory, exist_ok=True)
  sdist = os.environ.get('CONTRIB_COMPAT_OD_API_SDIST') or _download(
      PACKAGE, directory, '.tar.gz', '--no-binary', ':all:')
  wheel = os.environ.get('CONTRIB_COMPAT_OD_NETS_WHEEL') or _download(
      NETS_PACKAGE, directory, '.whl', '--only-binary', ':all:')
  lib = os.path.join(str(directory), 'lib')
  with tarfile.open(sdist) as archive:
    members = [m for m in archive.getmembers()
               if '/object_detection/' in m.name and m.isfile()]
    for member in members:
      member.name = member.name[member.name.index('object_detection/'):]
    archive.extractall(lib, members=members)
  with zipfile.ZipFile(wheel) as archive:
    archive.extractall(lib, [n for n in archive.namelist()
                             if n.startswith('nets/')])
  return lib
