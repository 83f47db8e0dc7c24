#!/usr/bin/env bash
# Sets up .venv with siteplan and runs every built-in profile on the embedded
# synthetic Serang sample; maps and data land in demo-out/ (or the folder given).
set -euo pipefail
source "$(dirname "$0")/_setup.sh" ""
exec .venv/bin/siteplan demo --out "${1:-demo-out}"
