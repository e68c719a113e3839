#!/usr/bin/env bash
# The test suite: set up .venv if needed, then run every notebook in nbs/ (as nbdev_test would, with IN_TEST set)
# and the tests in tests/ under pytest, ending on pytest's summary line.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
exec .venv/bin/python -m pytest tests "$@"
