"""The 2-D map of a folder: t-SNE projection, the plotly figure, colours and exports."""
