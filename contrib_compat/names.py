"""TF1 names: a variable's or tensor's name without its output index.

Graph-mode variables are named 'scope/w:0'; checkpoints, collections keyed
by name and users say 'scope/w'. One helper, TensorFlow-free, so the
command-line tools can use it before TensorFlow is imported.
"""


def op_name(name):
  """'scope/w' for 'scope/w:0' (any output index); other names as given."""
  head, colon, index = name.rpartition(':')
  return head if colon and index.isdigit() else name
