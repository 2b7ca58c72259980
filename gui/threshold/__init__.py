"""The app's one threshold: the slider with its marks, and what it costs on the folder."""
