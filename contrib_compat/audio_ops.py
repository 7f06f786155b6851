"""`tensorflow.contrib.framework.python.ops.audio_ops` on TF 2's public ops.

TF1's module re-exported TensorFlow's generated audio ops. TF 2 still has
them: `decode_wav` / `encode_wav` as `tf.audio`, the spectrogram and MFCC
only as `tf.raw_ops`, which take keywords only. These functions take TF1's
positional arguments and build the same ops (`AudioSpectrogram`, `Mfcc`),
with the same attributes and default node names, so audio front ends of TF1
keyword spotters build the graph they froze.
"""
import tensorflow as tf

decode_wav = tf.audio.decode_wav
encode_wav = tf.audio.encode_wav


def audio_spectrogram(input, window_size, stride, magnitude_squared=False,
                      name=None):
  """A spectrogram of `input` ([samples, channels] float32), as TF1's op.

  Args:
    input: Float 2-D audio, samples by channels, in [-1, 1].
    window_size: Samples per window (int).
    stride: Samples between window starts (int).
    magnitude_squared: Whether to square the magnitudes.
    name: Optional op name (default `AudioSpectrogram`).

  Returns:
    A float32 tensor [channels, windows, window_size // 2 + 1 bins].
  """
  return tf.raw_ops.AudioSpectrogram(
      input=input, window_size=window_size, stride=stride,
      magnitude_squared=magnitude_squared, name=name)


def mfcc(spectrogram, sample_rate, upper_frequency_limit=4000,
         lower_frequency_limit=20, filterbank_channel_count=40,
         dct_coefficient_count=13, name=None):
  """Mel-frequency cepstral coefficients of a spectrogram, as TF1's op.

  Args:
    spectrogram: The output of `audio_spectrogram(magnitude_squared=True)`.
    sample_rate: Int32 scalar tensor, the audio's sample rate.
    upper_frequency_limit: Highest frequency (Hz) of the filterbank.
    lower_frequency_limit: Lowest frequency (Hz) of the filterbank.
    filterbank_channel_count: Mel filterbank channels.
    dct_coefficient_count: Coefficients kept per window.
    name: Optional op name (default `Mfcc`).

  Returns:
    A float32 tensor [channels, windows, dct_coefficient_count].
  """
  return tf.raw_ops.Mfcc(
      spectrogram=spectrogram, sample_rate=sample_rate,
      upper_frequency_limit=upper_frequency_limit,
      lower_frequency_limit=lower_frequency_limit,
      filterbank_channel_count=filterbank_channel_count,
      dct_coefficient_count=dct_coefficient_count, name=name)
