"""The app as a user meets it: GUI responsiveness, a big folder, the map and its t-SNE, screenshots."""
