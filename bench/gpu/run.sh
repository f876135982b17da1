#!/usr/bin/env bash
# Prepared for a GPU machine; not run on one yet (no GPU figures exist from it).
# Prints which providers load (pipeline doctor), then one SCoRe update with LoRA at the Qwen2.5-0.5B and
# 1.5B configs on the WebGPU provider: the time split, generated tokens/s (from the generation phase) and the
# process's peak host RSS; device memory comes from nvidia-smi sampled while the bench runs.
#   usage: bench/gpu/run.sh [SIZES] [PROVIDER]     (default: 0.5b,1.5b webgpu)
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZES="${1:-0.5b,1.5b}"
PROVIDER="${2:-webgpu}"
deno install >/dev/null
deno run -A src/cli.ts doctor || true
LOG="$(mktemp -d)/gpu_memory.csv"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,memory.used,memory.total --format=csv -lms 500 >"$LOG" &
  SMI=$!
  trap 'kill $SMI 2>/dev/null || true' EXIT
fi
deno run -A bench/scale.ts --sizes "$SIZES" --provider "$PROVIDER"
if [ -s "$LOG" ]; then
  echo "peak device memory (MiB) while the bench ran:"
  tail -n +2 "$LOG" | awk -F', ' '{ split($2, a, " "); if (a[1] > max) max = a[1] } END { print max }'
fi
