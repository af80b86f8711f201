"""spark-submit entry point for the whole pipeline and the release.

    spark-submit --master spark://host:7077 --py-files dist/codecurate.zip \
        jobs/run_all.py --config configs/cluster.yaml [--set key=value ...]
"""

import sys

from codecurate.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
