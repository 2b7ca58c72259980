"""The `lookalike` command line: argument parsing, output and exit codes on top of the engine."""
