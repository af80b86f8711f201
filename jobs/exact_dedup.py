"""spark-submit entry point for the exact_dedup stage alone (same arguments as `codecurate stage exact_dedup`)."""

import sys

from codecurate.cli import main

if __name__ == "__main__":
    sys.exit(main(["stage", "exact_dedup", *sys.argv[1:]]))
