"""The Neighbours tab: the selection's nearest images and their distance matrix."""
