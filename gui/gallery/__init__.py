"""The gallery of the open folder, its thumbnails, and per-image actions."""
