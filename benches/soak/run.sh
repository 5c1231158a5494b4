#!/usr/bin/env bash
# Soak run of `handlebox serve` (release build, loopback only, bounded):
# a well-behaved project served while hostile projects flood the server,
# slow clients hold connections and bad bodies arrive. Needs Node 18+.
#   bash benches/soak/run.sh [SECONDS]   (default 180)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-180}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/handlebox-target}"
command -v node >/dev/null || { echo "node is not installed" >&2; exit 2; }
cargo build --release --quiet
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir "$work/projects"
cp fixtures/configs/shop.json "$work/projects/shop.json"
cp fixtures/configs/shop.json "$work/projects/shop-bad.json"
cp fixtures/configs/hostile.json "$work/projects/hostile.json"
cp fixtures/configs/slow-handler.json "$work/projects/slow.json"
cp fixtures/configs/large-value.json "$work/projects/large.json"
port=18282
"$CARGO_TARGET_DIR/release/handlebox" serve --listen "127.0.0.1:$port" \
  --config "$work/projects" --workers 2 --queue 8 --read-timeout-ms 2000 \
  --max-connections 64 --dead-letter "$work/dead" --dead-letter-max-mib 8 \
  >/dev/null 2>"$work/server.log" &
server=$!
# The first start on a machine snapshots and compiles the guest (≈ 10 s).
ready=
for _ in $(seq 600); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && { ready=1; break; }; sleep 0.1; done
[ -n "$ready" ] || { echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
node benches/soak/soak.js "$port" "$server" "$seconds"
echo "dead letters: $(du -sh "$work/dead" | cut -f1) in $(ls "$work/dead" | wc -l) files"
