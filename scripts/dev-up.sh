#!/usr/bin/env bash
# Runs the reference system on the embedded defaults: installs what is missing, builds the
# `choreo` CLI in release mode and starts `choreo dev up` (embedded Kafka broker
# with every declared topic, one database per service on the local PostgreSQL, every
# service with its relay; seeded traffic with --orders-per-second N --duration S).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product choreo
exec .build/release/choreo dev up "$@"
