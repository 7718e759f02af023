#!/usr/bin/env bash
# Issue 16, item 2: after a build, `git status` (which rewrites .git/index when a file's stat
# changed) must not make the next build recompile the crate. Run after the test command, whose
# build this reuses: the first `cargo build --release` builds at most the binary's own targets.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release 2>/dev/null
touch README.md
git status --porcelain >/dev/null
log=$(cargo build --release 2>&1)
if grep -q "Compiling regretlab" <<<"$log"; then
  echo "no-rebuild check FAILED: git status made the next build recompile the crate:" >&2
  echo "$log" >&2
  exit 1
fi
echo "no-rebuild check: a build after 'git status' compiled nothing"
