"""Teaching the model from the app, and the user's pair marks."""
