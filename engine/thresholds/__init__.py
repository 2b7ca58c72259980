"""What a distance threshold means: the model's default, the folder's own, and counts at any value."""
