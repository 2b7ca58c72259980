"""Lookalike desktop app (PySide6), built on engine/ only."""
