"""spark-submit entry point for the quality stage alone (same arguments as `codecurate stage quality`)."""

import sys

from codecurate.cli import main

if __name__ == "__main__":
    sys.exit(main(["stage", "quality", *sys.argv[1:]]))
