"""Nearest neighbours: exact blocked search, FAISS past a size, and queries by image file."""
