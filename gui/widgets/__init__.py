"""Small widgets and helpers every view uses: colours, the status bar, background workers."""
