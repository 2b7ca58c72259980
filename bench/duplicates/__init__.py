"""Duplicates: how close pairs are grouped, and whether a group means the same picture."""
