"""`python -m codecurate` is the `codecurate` command."""

import sys

from codecurate.cli import main

sys.exit(main())
