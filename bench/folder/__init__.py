"""Embedding a folder: pipeline speed vs its limits, re-scans, GPU, Ray, bad files; the photos and model."""
