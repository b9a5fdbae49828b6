#!/usr/bin/env bash
# Build (once per machine and flag set) and install llama-cpp-python, which has no binary wheel
# on PyPI: it compiles llama.cpp (~5-14 min on 2 cores). Called by setup.sh with its pip command.
#
# Why not a plain `pip install`: pip builds with -march=native and caches that wheel under the
# sdist's name, whatever the flags. On a CPU that advertises AMX while the (virtual) machine does
# not grant the AMX tile state, such a build dies with a general protection fault at `ldtilecfg`
# on the first prompt longer than one token. So on x86-64 the default build targets AVX2/FMA
# (x86-64-v3: every machine this project runs on) without AMX, and the wheel is cached under a
# key of version + flags, so a flag change rebuilds instead of reusing a wrong wheel.
# GPU users: CMAKE_ARGS="-DGGML_CUDA=on" bash .ci/setup.sh (their flags replace the default).
set -euo pipefail
PIP=("$@")
VERSION=0.3.36
if [ -n "${CMAKE_ARGS:-}" ]; then
    FLAGS=$CMAKE_ARGS
elif [ "$(uname -m)" = x86_64 ]; then
    FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
else
    FLAGS=""
fi
KEY=$(printf '%s|%s|%s' "$VERSION" "$FLAGS" "$(uname -m)" | sha256sum | cut -c1-16)
WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/halops/llama-wheels/$KEY"
MARKER=.venv/.llama-cpp-build
if [ "$(cat "$MARKER" 2>/dev/null)" = "$KEY" ]; then
    exit 0
fi
if ! compgen -G "$WHEELS/llama_cpp_python-$VERSION-*.whl" >/dev/null; then
    echo "setup: compiling llama.cpp ($VERSION, flags: ${FLAGS:-default}); this takes minutes"
    mkdir -p "$WHEELS.tmp"
    CMAKE_ARGS="$FLAGS" "${PIP[@]}" wheel --no-cache-dir --no-deps -w "$WHEELS.tmp" \
        "llama-cpp-python==$VERSION"
    rm -rf "$WHEELS" && mv "$WHEELS.tmp" "$WHEELS"
fi
"${PIP[@]}" install --force-reinstall --no-deps "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl
echo "$KEY" >"$MARKER"
