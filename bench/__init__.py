"""Benchmarks: run as scripts (`make bench`); a package so the scripts share modules."""
