"""spark-submit entry point for the near_dedup stage alone (same arguments as `codecurate stage near_dedup`)."""

import sys

from codecurate.cli import main

if __name__ == "__main__":
    sys.exit(main(["stage", "near_dedup", *sys.argv[1:]]))
