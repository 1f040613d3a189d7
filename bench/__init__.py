"""Benchmarks that print figures; see bench/__main__.py."""
