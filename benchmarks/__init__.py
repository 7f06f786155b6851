"""Benchmarks: graph-construction, step time and import cost.

Run `python -m benchmarks` (full, about 10 minutes on 2 cores; writes the
README's Performance section and benchmarks/build_time.png) or
`python -m benchmarks --quick` (a minute; prints the tables only). The
others are subcommands, each a module here with its own --help and
`--readme`: `migrate` (against tf_upgrade_v2 on a real tree), `batch_norm`,
`models` (MobileNets against tf-slim and Keras 3) and `ckpt` (convert on a
large checkpoint); tf-slim's figures come from the oracle venv (oracle.py).
"""
