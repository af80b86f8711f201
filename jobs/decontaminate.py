"""spark-submit entry point for the decontaminate stage alone (same arguments as `codecurate stage decontaminate`)."""

import sys

from codecurate.cli import main

if __name__ == "__main__":
    sys.exit(main(["stage", "decontaminate", *sys.argv[1:]]))
