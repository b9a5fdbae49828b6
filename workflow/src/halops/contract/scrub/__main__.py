"""`python -m halops.contract.scrub`: the `halops scrub` command."""

import sys

from halops.contract.scrub.cli import cli_main

raise SystemExit(cli_main(sys.argv[1:]))
