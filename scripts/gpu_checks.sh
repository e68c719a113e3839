#!/usr/bin/env bash
# The GPU measurements of the ImageNet path, as one script of at most about 9 minutes on one H100 / H200 (bf16):
#   1. the training-step benchmark of the paper presets at 256 and 512 px (img/s, TFLOP/s, MFU against a bf16 matmul
#      measured in the same run, peak memory), eager and compiled at 256 px, and the largest batch that fits;
#   2. the smoke run of notebook 15 (prepare, train, resume, sample, FID) on the GPU.
# Results go to ${OUT:-gpu-results}/ (bench.json, bench.txt, smoke.txt).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
out="${OUT:-gpu-results}"; mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$out/gpu.txt"
.venv/bin/python scripts/bench_train_step.py --device cuda --presets uvit256 unet256 --batch 64 --settings bf16 bf16+compile \
    --seconds 15 --warmup 3 --max-batch --out "$out/bench256.json" | tee "$out/bench256.txt"
.venv/bin/python scripts/bench_train_step.py --device cuda --presets uvit512 unet512 --batch 64 --settings bf16 \
    --seconds 15 --warmup 3 --out "$out/bench512.json" | tee "$out/bench512.txt"
.venv/bin/python -c "
import tempfile
from simple_diffusion.imagenet import smoke_run
r = smoke_run(tempfile.mkdtemp(), device='cuda')
print('smoke run on cuda: FID', r['fid'])" 2>&1 | tee "$out/smoke.txt"
