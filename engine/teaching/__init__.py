"""Teaching the model on a folder: the user's pair marks and the training run the app starts."""
