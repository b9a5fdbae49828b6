"""`python -m halops.samplegen` = `halops generate-sessions`."""

import sys

from .corpus import cli_main

raise SystemExit(cli_main(sys.argv[1:]))
