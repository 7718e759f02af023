#!/usr/bin/env bash
# One instance of the causal paper's stationary experiment (instance 0 of the paper's 100,
# T = 1,500) in the authors' Python code beside this workbench's per-instance benchmark, on one
# core of the same machine in one session. The authors' code stays outside the project tree:
#
#   CAUSAL_ANCHOR=/path/to/Causal_Bandit PYTHON=/path/to/venv/bin/python benches/causal_side_by_side.sh
#
# The venv needs numpy, scipy, scikit-learn and networkx (TensorFlow is not needed: GOLEM-MAB
# is left out of the Python side, whose GOLEM fit the issue puts at 15–20 s).
set -euo pipefail
: "${CAUSAL_ANCHOR:?set CAUSAL_ANCHOR to a checkout of CalixPeng/Causal_Bandit}"
PYTHON="${PYTHON:-python3}"
cd "$(dirname "$0")/.."
grep -m1 "model name" /proc/cpuinfo
grep -o -m1 -w -E "avx512f|avx2" /proc/cpuinfo | sort -u | tr '\n' ' '; echo
taskset -c 0 "$PYTHON" benches/causal_authors_driver.py "$CAUSAL_ANCHOR" src/settings/causal/paper_instances.json
taskset -c 0 cargo bench --bench causal_instance 2>&1 | grep -E "^causal_instance|time:"
