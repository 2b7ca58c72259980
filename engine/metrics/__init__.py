"""Quality of an embedding on labelled images: pair distances, retrieval metrics, verification."""
