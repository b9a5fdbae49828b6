"""``halops scrub``: stdin → scrubbed stdout; findings (never the secrets) as JSON on stderr."""

from __future__ import annotations

import argparse
import json
import sys


def cli_main(argv: list[str] | None = None) -> int:
    from halops.contract.scrub import scrub_text

    parser = argparse.ArgumentParser(
        prog="halops scrub",
        description="Redact credentials from stdin; findings (never the secrets) go to stderr.",
    )
    parser.parse_args(argv if argv is not None else [])
    result = scrub_text(sys.stdin.read())
    sys.stdout.write(result.text)
    sys.stdout.flush()
    findings = [{"rule": f.rule, "line": f.line} for f in result.findings]
    sys.stderr.write(json.dumps(findings) + "\n")
    return 0
