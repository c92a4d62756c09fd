"""Benchmarks: each module generates its own data, prints its figures and
compares them with the naive way in the same run. `make bench` runs them all."""
