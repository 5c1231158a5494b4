#!/usr/bin/env bash
# Load test of `handlebox serve` on loopback (the demo config and page), with
# wrk (Debian package `wrk`). Bounded: 10 s per concurrency level, loopback
# only. Prints throughput, p50/p99 latency, and the server's resident memory
# at rest and under load.
#   bash benches/load/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/handlebox-target}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
cargo build --release --quiet
port=18181
"$CARGO_TARGET_DIR/release/handlebox" serve --listen "127.0.0.1:$port" --queue 256 >/dev/null 2>/tmp/handlebox-load.log &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
# The first start on a machine snapshots and compiles the guest (≈ 10 s).
ready=
for _ in $(seq 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && { ready=1; break; }; sleep 0.1; done
[ -n "$ready" ] || { echo "the server did not start; see /tmp/handlebox-load.log" >&2; exit 1; }
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$server/status"; }
echo "at rest: $(rss)"
for connections in 1 8 32; do
  threads=$(( connections < 2 ? 1 : 2 ))
  PAGE=fixtures/pages/thank-you.json wrk -t "$threads" -c "$connections" -d "${seconds}s" \
    -s benches/load/post-page.lua "http://127.0.0.1:$port/v1/process" > /tmp/handlebox-wrk.txt &
  wrk_pid=$!
  sleep $((seconds / 2))
  under_load=$(rss)
  wait $wrk_pid
  throughput=$(awk '/Requests\/sec/ {print $2}' /tmp/handlebox-wrk.txt)
  echo "connections $connections: $throughput req/s, $(grep '^p50' /tmp/handlebox-wrk.txt), rss under load $under_load"
done
echo "after: $(rss)"
