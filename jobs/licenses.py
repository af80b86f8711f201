"""spark-submit entry point for the licenses stage alone (same arguments as `codecurate stage licenses`)."""

import sys

from codecurate.cli import main

if __name__ == "__main__":
    sys.exit(main(["stage", "licenses", *sys.argv[1:]]))
