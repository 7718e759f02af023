#!/usr/bin/env bash
# Re-runs every committed experiment under results/ into a temporary folder and compares the
# files that hold numbers (curves, summary, paired, overlays, heatmap) byte for byte with the
# committed ones. A refactor that must not change a committed number runs this before landing
# (about 6 min on 2 cores). Experiments whose data set is not installed are reported, not run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
bin=target/release/regretlab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for dir in results/*/; do
  name=$(basename "$dir")
  [ -f "$dir/manifest.json" ] && [ -f "$dir/curves.csv" ] || continue
  if ! "$bin" run "$name" --out "$tmp/$name" >"$tmp/$name.log" 2>&1; then
    echo "$name: not run ($(tail -1 "$tmp/$name.log"))"
    continue
  fi
  for f in curves.csv summary.csv paired.csv overlays.csv heatmap.csv; do
    [ -f "$dir/$f" ] || continue
    if cmp -s "$dir/$f" "$tmp/$name/$f"; then :; else echo "$name: $f DIFFERS"; status=1; fi
  done
  echo "$name: checked"
done
exit $status
