#!/usr/bin/env bash
# The main job: set up .venv if needed, train the tiny32 preset on OpenMoji at 32 px on the CPU, and write a
# run directory (config, metrics, EMA weights, a grid of 64 samples) under runs/. Extra options go to
# `simple-diffusion train` (see `simple-diffusion train --help`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec .venv/bin/simple-diffusion train --data openmoji --preset tiny32 --steps 2000 --batch-size 32 --sample-every 500 --out runs "$@"
