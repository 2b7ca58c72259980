"""Images in: the one decoder (every format the app opens), preprocessing to the model's input, thumbnails."""
