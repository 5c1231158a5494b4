#!/usr/bin/env bash
# Throughput of the stream worker (release build, loopback only): 10,000
# pages of the mixed shop workload published to a fresh `nats-server -js`,
# then worked by one `handlebox consume` and, on a fresh server, by two
# (one worker thread each: one machine's two cores). Prints pages/s.
#   bash benches/stream/run.sh [PAGES]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/../.."
pages="${1:-10000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/handlebox-target}"
nats=$(command -v nats-server || echo /usr/sbin/nats-server)
cargo build --release --quiet --bin handlebox --example mixed_pages --example nats_pages
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin/examples/mixed_pages" "$pages" > "$work/pages.ndjson"
port=14222
for workers in 1 2; do
  rm -rf "$work/store"
  "$nats" -js -a 127.0.0.1 -p "$port" -sd "$work/store" >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  "$bin/examples/nats_pages" publish "nats://127.0.0.1:$port" "$work/pages.ndjson"
  pids=()
  for _ in $(seq "$workers"); do
    "$bin/handlebox" consume --nats "nats://127.0.0.1:$port" \
      --config fixtures/configs/shop-mixed.json --workers 1 2>/dev/null &
    pids+=($!)
  done
  echo -n "$workers worker(s): "
  timeout 600 "$bin/examples/nats_pages" wait "nats://127.0.0.1:$port" "$pages"
  kill -TERM "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
  kill "$server"; wait "$server" 2>/dev/null || true
done
