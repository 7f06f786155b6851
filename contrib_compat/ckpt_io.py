"""Checkpoint files: what an index records, and replacing a checkpoint safely.

`read_index` reads a checkpoint's variable names, shapes and dtypes (V2 index
or V1 file); `write_converted` writes one under new names and replaces an
existing one only with a complete, verified copy: staged beside it, every
tensor compared byte for byte, old files kept aside until the new index is
in place and put back on any failure (docs/ckpt.md). contrib_compat/ckpt.py
is the command line on top.
"""
import glob
import os
import re
import shutil
import socket
import sys
import tempfile

import numpy as np

from contrib_compat import cli


# Shards of the converted checkpoint are written this many bytes at a time, so
# a multi-gigabyte checkpoint never has to sit in memory whole.
_SHARD_BYTES = 64 << 20


class CkptError(Exception):
  """A usage or I/O problem, reported as one line and exit status 2."""


def tensorflow():
  """TensorFlow, imported (quietly) on first use."""
  # Imported on use so that `--help` and argument errors stay instant.
  return cli.import_tensorflow()


# --------------------------------------------------------------------------
# Reading checkpoints.


def _check_prefix(ckpt):
  """The checkpoint prefix for CKPT (a prefix, its .index file or a dir)."""
  tf = tensorflow()
  if os.path.isdir(ckpt):
    latest = tf.train.latest_checkpoint(ckpt)
    if latest is None:
      raise CkptError('CKPT %r is a directory without a `checkpoint` state '
                      'file; pass the checkpoint prefix (e.g. %s)'
                      % (ckpt, os.path.join(ckpt, 'model.ckpt')))
    ckpt = latest
  if ckpt.endswith('.index'):
    ckpt = ckpt[:-len('.index')]
  if not os.path.exists(ckpt + '.index'):
    if is_v1(ckpt):
      return ckpt
    raise CkptError('CKPT %r: no checkpoint index at %s.index (nor a V1 '
                    'checkpoint file)' % (ckpt, ckpt))
  return ckpt


def is_v1(path):
  """Whether `path` is a V1-format checkpoint (one file, no index).

  TF1 wrote those until 1.x's Saver moved to V2 (index + data files);
  TensorFlow's reader still reads them.
  """
  if not os.path.isfile(path):
    return False
  try:
    tensorflow().train.load_checkpoint(path)
  except Exception:
    return False
  return True


def has_data(prefix):
  """Whether the data file(s) of checkpoint `prefix` are present (a V1
  checkpoint is its own data file)."""
  return bool(glob.glob(glob.escape(prefix) + '.data-*')) or (
      os.path.isfile(prefix) and not os.path.exists(prefix + '.index'))


def read_index(ckpt):
  """Variables recorded in a checkpoint's index.

  Args:
    ckpt: checkpoint prefix (`model.ckpt`), its `.index` file, or a directory
      with a `checkpoint` state file.

  Returns:
    (prefix, {name: (shape list, dtype name)}).

  Raises:
    CkptError: if there is no readable index.
  """
  prefix = _check_prefix(ckpt)
  try:
    reader = tensorflow().train.load_checkpoint(prefix)
  except Exception as e:
    raise CkptError('CKPT %r could not be read: %s' % (ckpt, e)) from e
  shapes = reader.get_variable_to_shape_map()
  dtypes = reader.get_variable_to_dtype_map()
  return prefix, {name: (list(shapes[name]), dtypes[name].name)
                  for name in shapes}


# --------------------------------------------------------------------------
# Writing a converted checkpoint.


def _existing_outputs(out):
  paths = glob.glob(glob.escape(out) + '.data-*')
  if os.path.exists(out + '.index'):
    paths.append(out + '.index')
  return sorted(paths)


def write_converted(prefix, mapping, out, force=False,
                    shard_bytes=_SHARD_BYTES, option='--write-converted'):
  """Writes checkpoint `prefix` under new names to `out`, values unchanged.

  The new checkpoint is assembled and read back in full in a temporary
  directory beside `out`; only when every tensor compares bit-identical are
  its files moved into place, data files first and the index last, so a
  reader never sees an index pointing at missing data. A checkpoint it
  replaces (`force`) is first moved aside into a `.ckpt-convert-old-*`
  directory beside `out` and put back if anything fails; it is deleted only
  once the new one is complete, so a kill in between leaves it there, whole.

  Args:
    prefix: source checkpoint prefix (its data files must exist).
    mapping: {source name: new name}, covering every variable to write.
    out: destination prefix.
    force: replace an existing checkpoint at `out`.
    shard_bytes: bytes per intermediate shard.
    option: how errors name `out` to the user (`diff --write-converted`, or
      `convert`'s OUT).

  Returns:
    The list of files written.

  Raises:
    CkptError: if the data is missing, `out` exists and `force` is False, or
      the written checkpoint does not read back identical.
  """
  tf = tensorflow()
  if not has_data(prefix):
    raise CkptError('%s needs the checkpoint data file(s) %s.data-*, which '
                    'are missing (only the index is there)' % (option, prefix))
  out = os.path.abspath(out)
  if os.path.isdir(out):
    raise CkptError('%s %r is a directory; give a checkpoint prefix inside '
                    'it, e.g. %s' % (option, out, os.path.join(out,
                                                                'model.ckpt')))
  existing = _existing_outputs(out)
  if _same_checkpoint(prefix, out):
    raise CkptError('%s %r is the source checkpoint itself' % (option, out))
  if existing and not force:
    raise CkptError('%s %r: a checkpoint is already there (%s); pass --force '
                    'to replace it' % (option, out, ', '.join(existing)))
  out_dir = os.path.dirname(out)
  made_dirs = _missing_dirs(out_dir)
  tmp = None
  try:
    os.makedirs(out_dir, exist_ok=True)
    _remove_stale_staging(out_dir)
    tmp = tempfile.mkdtemp(prefix=_staging_prefix(''), dir=out_dir)
    return _stage_and_replace(tf, prefix, mapping, out, existing, tmp,
                              shard_bytes)
  except tf.errors.OpError as e:
    raise CkptError('CKPT %r could not be read or OUT %r written: %s' % (
        prefix, out, e.message)) from e
  except OSError as e:
    raise CkptError('%s %r cannot be written: %s' % (
        option, out, e.strerror or e)) from e
  finally:
    if tmp:
      shutil.rmtree(tmp, ignore_errors=True)
    # A failed write leaves no directory it made (they would be empty).
    if not _existing_outputs(out):
      for path in made_dirs:
        try:
          os.rmdir(path)
        except OSError:
          break


# Work directories beside OUT: `.ckpt-convert-[old-]<host>-<pid>-<random>`.
# The new checkpoint is staged in one; with --force the old one waits in an
# `old-` one until the new one is in place. SIGKILL leaves them behind: the
# next convert into that directory removes staging ones whose process is
# gone, and names (never removes) old ones, which hold the user's files.
_WORK_DIR = re.compile(r'^\.ckpt-convert-(old-)?(.+)-(\d+)-[^-]+$')


def _staging_prefix(kind):
  return '.ckpt-convert-%s%s-%d-' % (kind, socket.gethostname(), os.getpid())


def _process_gone(pid):
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return True
  except OSError:  # alive, someone else's
    return False
  return False


def _remove_stale_staging(out_dir):
  """Removes staging directories of this host's dead converts in out_dir;
  notes the old checkpoints a killed --force convert had moved aside."""
  host = socket.gethostname()
  for name in sorted(os.listdir(out_dir)):
    match = _WORK_DIR.match(name)
    path = os.path.join(out_dir, name)
    if (not match or match.group(2) != host or not os.path.isdir(path) or
        not _process_gone(int(match.group(3)))):
      continue
    if match.group(1):
      sys.stderr.write(
          'contrib-compat-ckpt convert: note: %s holds the checkpoint files '
          'a killed convert had moved aside (%s); move them back or delete '
          'the directory\n' % (path, ', '.join(sorted(os.listdir(path)))))
    else:
      shutil.rmtree(path, ignore_errors=True)


def _same_checkpoint(prefix, out):
  """Whether prefix `out` names the checkpoint `prefix`, through any links."""
  if os.path.realpath(prefix) == os.path.realpath(out):
    return True
  try:
    return os.path.samefile(prefix + '.index', out + '.index')
  except OSError:
    return False


def _missing_dirs(path):
  """The directories `makedirs(path)` would create, deepest first."""
  missing = []
  while path and not os.path.exists(path):
    missing.append(path)
    parent = os.path.dirname(path)
    if parent == path:
      break
    path = parent
  return missing


def _stage_and_replace(tf, prefix, mapping, out, existing, tmp, shard_bytes):
  """write_converted's work once its checks pass; the files written."""
  reader = tf.train.load_checkpoint(prefix)
  shards = []
  batch = []
  size = 0

  def flush():
    shard = os.path.join(tmp, 'shard-%05d' % len(shards))
    names = [new for new, _ in batch]
    tensors = [value for _, value in batch]
    tf.raw_ops.SaveV2(prefix=shard, tensor_names=names,
                      shape_and_slices=[''] * len(names), tensors=tensors)
    shards.append(shard)

  for name in sorted(mapping):
    try:
      value = reader.get_tensor(name)
    except Exception as e:
      # A truncated or corrupt data file: IndexError, DataLossError, ...
      raise CkptError('CKPT %r: tensor %r could not be read (%s: %s); is the '
                      'data file complete?' % (prefix, name,
                                               type(e).__name__, e)) from e
    nbytes = getattr(value, 'nbytes', 0)
    # A shard holds at most shard_bytes, or one larger tensor alone: memory
    # stays bounded by that, whatever the checkpoint's size.
    if batch and size + nbytes > shard_bytes:
      flush()
      batch, size = [], 0
    batch.append((mapping[name], value))
    size += nbytes
  if batch or not shards:
    flush()
  staged = os.path.join(tmp, 'converted')
  tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=shards,
                                destination_prefix=staged,
                                delete_old_dirs=False)
  _verify(reader, mapping, staged)
  # Data files first, the index last.
  staged_files = sorted(glob.glob(glob.escape(staged) + '.*'),
                        key=lambda path: path.endswith('.index'))
  return _replace(staged_files, staged, out, existing)


def _roll_back(written, moved_aside, backup, error):
  """Puts the old checkpoint back; keeps the backup if that fails too."""
  try:
    for path in written:
      if os.path.exists(path):
        os.remove(path)
    for path in moved_aside:
      os.replace(os.path.join(backup, os.path.basename(path)), path)
  except OSError as restore_error:
    raise CkptError('%s; the checkpoint it replaces could not be put back '
                    '(%s): its files are in %s' % (
                        error, restore_error, backup)) from error
  if backup:
    shutil.rmtree(backup, ignore_errors=True)


def _replace(staged_files, staged, out, existing):
  """Moves the staged files to `out`, the old checkpoint aside until done."""
  backup = None
  if existing:
    backup = tempfile.mkdtemp(prefix=_staging_prefix('old-'),
                              dir=os.path.dirname(out))
  moved_aside, written = [], []
  try:
    for path in existing:
      os.replace(path, os.path.join(backup, os.path.basename(path)))
      moved_aside.append(path)
    for path in staged_files:
      written.append(out + path[len(staged):])
      os.replace(path, written[-1])
  except BaseException as e:
    _roll_back(written, moved_aside, backup, e)
    raise
  if backup:
    shutil.rmtree(backup, ignore_errors=True)
  return written


def _raw_bytes(array):
  """The array's bytes as a memoryview (no copy; any dtype, bfloat16 too)."""
  return memoryview(array.reshape(-1).view(np.uint8)) if array.size else b''


def _verify(source_reader, mapping, staged):
  """Reads `staged` back; every tensor must equal its source bit for bit."""
  staged_reader = tensorflow().train.load_checkpoint(staged)
  staged_names = set(staged_reader.get_variable_to_shape_map())
  if staged_names != set(mapping.values()):
    raise CkptError('converted checkpoint has the wrong variables: %d '
                    'written, %d expected'
                    % (len(staged_names), len(mapping)))
  for name, new in mapping.items():
    a = np.ascontiguousarray(source_reader.get_tensor(name))
    b = np.ascontiguousarray(staged_reader.get_tensor(new))
    # Bytes compared in place (no copies: a 200 MB tensor stays 2 x 200 MB).
    same = (a.dtype == b.dtype and a.shape == b.shape and
            (_raw_bytes(a) == _raw_bytes(b) if a.dtype != object else
             a.tolist() == b.tolist()))
    if not same:
      raise CkptError('converted checkpoint does not read back identical at '
                      '%r (from %r); nothing was written' % (new, name))
