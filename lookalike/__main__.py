"""`python -m lookalike`: the same as the `lookalike` command."""

import sys

from lookalike.cli.main import main

if __name__ == "__main__":  # not when a spawned child process (the map's) re-imports this module
    sys.exit(main())
