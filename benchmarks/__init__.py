"""Benchmarks: extraction quality against the gold set, and speed."""
