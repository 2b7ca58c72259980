"""The app's state: the session (model, folder, threshold, selection) and what it remembers between runs."""
