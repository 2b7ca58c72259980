"""Files Lookalike writes: the output guard, atomic replacement, tabular exports."""
