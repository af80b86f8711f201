"""spark-submit entry point for the optout stage alone (same arguments as `codecurate stage optout`)."""

import sys

from codecurate.cli import main

if __name__ == "__main__":
    sys.exit(main(["stage", "optout", *sys.argv[1:]]))
