"""spark-submit entry point for the pii stage alone (same arguments as `codecurate stage pii`)."""

import sys

from codecurate.cli import main

if __name__ == "__main__":
    sys.exit(main(["stage", "pii", *sys.argv[1:]]))
