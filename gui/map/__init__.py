"""The t-SNE map tab: a plotly page in a web view, linked to the app's selection."""
