#!/usr/bin/env bash
# One seed of Laforgue et al.'s main experiment (five algorithms, k = 5, T = 3,600) in the
# authors' Python code beside this workbench's per-seed benchmark, on one core of the same
# machine in one session. The authors' code stays outside the project tree:
#
#   LSD_ANCHOR=/path/to/LSD_bandits PYTHON=/path/to/venv/bin/python benches/lsd_side_by_side.sh
#
# The venv needs numpy 1.26 (their code assigns size-1 arrays to scalars, which numpy 2
# refuses), scipy < 1.14, cvxopt and matplotlib < 3.9.
set -euo pipefail
: "${LSD_ANCHOR:?set LSD_ANCHOR to a checkout of GiuliaClerici/LSD_bandits}"
PYTHON="${PYTHON:-python3}"
grep -m1 "model name" /proc/cpuinfo
grep -o -m1 -w -E "avx512f|avx2" /proc/cpuinfo | sort -u | tr '\n' ' '; echo
mkdir -p "$LSD_ANCHOR/res"
start=$(date +%s.%N)
(cd "$LSD_ANCHOR" && MPLBACKEND=Agg taskset -c 0 "$PYTHON" run_exp.py cs | grep "Total reward")
end=$(date +%s.%N)
echo "authors' Python, one seed, five algorithms: $(echo "$end - $start" | bc) s"
taskset -c 0 cargo bench --bench lsd_blocks -- lsd_seed 2>&1 | grep -E "^lsd_seed|time:"
