"""spark-submit entry point for the languages stage alone (same arguments as `codecurate stage languages`)."""

import sys

from codecurate.cli import main

if __name__ == "__main__":
    sys.exit(main(["stage", "languages", *sys.argv[1:]]))
