"""Triplet loss, its miners and the distances they share."""
