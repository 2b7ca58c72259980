"""Near-identical images: grouping, which one to keep, and moving the others away (never deleting)."""
