"""Composition root of the `ecr` command line."""
