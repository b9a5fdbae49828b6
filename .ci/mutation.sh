#!/usr/bin/env bash
# Mutation testing (cosmic-ray) of the safety, scrub, extract and eval modules; not run in CI.
# Usage: bash .ci/mutation.sh [safety|scrub|extract|eval ...] [--fraction F] [--seed N]
#        [--budget-min M] [--timeout S] [--rerun-survivors]
# Writes results/mutation/summary.md (and <module>.json). See .ci/mutation.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/workflow/src:$PWD"
exec nice -n 10 .venv/bin/python .ci/mutation.py "$@"
