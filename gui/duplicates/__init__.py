"""The Duplicates tab: groups, the keep proposal, moving and undo."""
