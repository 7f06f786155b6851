"""Benchmarks: graph-construction, step time and import cost.

Run `python -m benchmarks` (full, about 10 minutes on 2 cores; writes the
README's Performance section and benchmarks/build_time.png) or
`python -m benchmarks --quick` (a minute; prints the tables only).
"""
