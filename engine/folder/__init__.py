"""A user's folder: finding its images, embedding them incrementally, and the per-folder cache."""
