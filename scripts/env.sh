#!/usr/bin/env bash
# Sourced by the other scripts: creates .venv when it is missing and installs the project (with its dev
# extras) whenever settings.ini or setup.py changed since the last install. Needs python3 (3.9+) and pip.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $(${PYTHON:-python3} --version)"
  "${PYTHON:-python3}" -m venv .venv
fi
want=$(cat settings.ini setup.py | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.installed 2>/dev/null)" != "$want" ]; then
  echo "installing simple_diffusion and its requirements into .venv (log: .venv/install.log)"
  start=$SECONDS
  if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e ".[dev]"; } > .venv/install.log 2>&1; then
    tail -n 30 .venv/install.log; echo "installation failed: see .venv/install.log" >&2; exit 1
  fi
  echo "$want" > .venv/.installed
  echo "installed in $((SECONDS - start)) s ($(du -sh .venv | cut -f1) in .venv)"
fi
