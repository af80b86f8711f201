"""spark-submit entry point for the extract stage alone (same arguments as `codecurate stage extract`)."""

import sys

from codecurate.cli import main

if __name__ == "__main__":
    sys.exit(main(["stage", "extract", *sys.argv[1:]]))
