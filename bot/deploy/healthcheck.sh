#!/bin/sh
# Health check of the HALops model server: exit 0 when GET /v1/models lists a model.
#
# usage: healthcheck.sh [--wait SECONDS] [BASE_URL]
#   BASE_URL defaults to $HALOPS_LLM_URL, else http://127.0.0.1:8080/v1.
#   --wait retries once a second for up to SECONDS (for systemd's ExecStartPost).
# Exit codes: 0 healthy, 1 unhealthy (no answer, HTTP error, or no model listed), 2 usage.
set -u

wait_s=0
if [ "${1:-}" = "--wait" ]; then
    [ $# -ge 2 ] || { echo "usage: $0 [--wait SECONDS] [BASE_URL]" >&2; exit 2; }
    wait_s=$2
    shift 2
fi
base_url=${1:-${HALOPS_LLM_URL:-http://127.0.0.1:8080/v1}}

check() {
    # --noproxy: a proxy from the environment must not answer for a loopback server.
    body=$(curl --silent --show-error --fail --noproxy '*' --max-time 5 "$base_url/models") \
        || return 1
    case $body in
        *'"id"'*) return 0 ;;
        *) echo "no model listed at $base_url/models" >&2; return 1 ;;
    esac
}

elapsed=0
until check; do
    if [ "$elapsed" -ge "$wait_s" ]; then
        echo "unhealthy: $base_url" >&2
        exit 1
    fi
    sleep 1
    elapsed=$((elapsed + 1))
done
echo "healthy: $base_url"
