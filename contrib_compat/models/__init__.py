"""Slim-style model definitions covering separable_conv2d's real uses.

Each module builds its network in TF1 graph mode under `arg_scope`, with
`normalizer_fn=batch_norm`, the way the original model zoo code did.
"""
