#!/usr/bin/env bash
# The GPU check for a device machine (an NVIDIA H100/H200 with a CUDA image, no Rust toolchain
# and no Vulkan loader): builds nothing. Runs `regretlab gpu-bench` (GPU-vs-CPU identity on
# 65,536 replications, B1 at R = 2^20 with aggregate readback on both shader layouts, the CPU
# lanes on every core and the ratio), then the JAX twin on the same card.
#
# Prepare on the development machine, from the repository root:
#   cargo build --release && mkdir -p bin && cp target/release/regretlab bin/
#   echo /.gl/ >> .git/info/exclude; echo /bin/ >> .git/info/exclude; mkdir -p .gl /tmp/amd64/partial
#   o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
#   apt-get $o update; (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
#   cp ../shared/gpu/jax_ucb.py bin/   (optional: the JAX row)
# then run `bash benches/gpu_device.sh` on the device, carrying bin/ and .gl/. The log goes to
# $OUT/gpu_device.log ($OUT if set, else ./out/). Sizes: CHECK, R, CPU_REPS. The timeouts
# (330 s + 150 s) keep the whole run inside one 600 s device command.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
OUT="${OUT:-$PWD/out}"
mkdir -p "$OUT"
CHECK="${CHECK:-65536}"
R="${R:-1048576}"
CPU_REPS="${CPU_REPS:-262144}"
BIN=bin/regretlab

main() {
  echo "## loaders"
  for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
  ldconfig
  # The NVIDIA ICD may sit under the driver mount rather than the loader's default folders.
  local nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if ! ls /etc/vulkan/icd.d/*nvidia* /usr/share/vulkan/icd.d/*nvidia* >/dev/null 2>&1 && [ -f "$nv" ]; then
    export VK_DRIVER_FILES="$nv" VK_ICD_FILENAMES="$nv"
  fi
  export WGPU_BACKEND="${WGPU_BACKEND:-vulkan}"
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
  chmod 700 "$XDG_RUNTIME_DIR"
  echo "## machine"
  nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"
  echo "cpus: $(nproc)"
  chmod +x "$BIN"
  echo "## regretlab gpu-bench --check $CHECK --gpu-reps $R --cpu-reps $CPU_REPS"
  timeout 330 "$BIN" gpu-bench --check "$CHECK" --gpu-reps "$R" --cpu-reps "$CPU_REPS" || echo "!! gpu-bench exit code $?"
  if [ -f bin/jax_ucb.py ]; then
    echo "## JAX on the same card, B1, R = $R, fixed-point index"
    timeout 150 python3 bin/jax_ucb.py --reps "$R" --steps 10000 --mode fixed || echo "!! jax exit code $?"
  fi
}

main 2>&1 | tee "$OUT/gpu_device.log"
