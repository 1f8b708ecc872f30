#!/bin/sh
# Regenerates fixtures/ from examples/make_fixtures.rs. The output is
# deterministic: running this on an unchanged tree leaves git clean.
# With tshark installed, prints tshark's one-line summary of each file so a
# change in how they decode is visible at once.
set -eu
cd "$(dirname "$0")/.."
cargo run --quiet --example make_fixtures -- fixtures/
if command -v tshark >/dev/null 2>&1 && [ "${1:-}" = "--check" ]; then
    for f in fixtures/*.pcap fixtures/*.pcapng; do
        echo "== $f"
        tshark -n -r "$f" -o ip.check_checksum:TRUE 2>&1 | grep -v '^Running as user' || true
    done
fi
