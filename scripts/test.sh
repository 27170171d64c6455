#!/usr/bin/env bash
# Runs every test: installs what is missing (scripts/setup.sh), builds, runs `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CHOREO_TEST_DATABASE_URL="${CHOREO_TEST_DATABASE_URL:-postgresql://choreo:choreo@127.0.0.1:5432/choreo}"
swift build --build-tests "$@"
swift test --skip-build "$@"
