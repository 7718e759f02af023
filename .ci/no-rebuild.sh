#!/usr/bin/env bash
# Issue 16, item 2: the README's two commands build once. After the test command, `cargo build
# --release` (what `cargo run --release` does first) compiles nothing: the dependencies' features
# are the same with and without the dev-dependencies (Cargo.toml). And `git status` (which
# rewrites .git/index when a file's stat changed) does not make the next build recompile the
# crate (build.rs watches no file under .git that `git status` writes).
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "no-rebuild check FAILED: $1:" >&2; echo "$2" >&2; exit 1; }
log=$(cargo build --release 2>&1)
if grep -q "Compiling" <<<"$log"; then fail "cargo build --release after the test command recompiled" "$log"; fi
touch README.md
git status --porcelain >/dev/null
log=$(cargo build --release 2>&1)
if grep -q "Compiling" <<<"$log"; then fail "git status made the next build recompile" "$log"; fi
echo "no-rebuild check: after the tests, and after a git status, cargo build --release compiled nothing"
