"""Lookalike: a desktop image-similarity explorer (engine, gui, train under one namespace)."""

__version__ = "0.1.0"
