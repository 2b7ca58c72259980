"""Lookalike engine: everything that runs a trained embedder on images, with no Qt and no torch."""

__version__ = "0.1.0"
