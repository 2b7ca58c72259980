"""Neighbour search: exact k-NN, FAISS indexes, the folder's switch to FAISS, a big index opened; vectors."""
