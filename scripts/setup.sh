#!/usr/bin/env bash
# Installs and starts what Choreo needs on a Debian machine, idempotently:
# librdkafka-dev (and kcat for interop checks), a running PostgreSQL 15 cluster,
# the `choreo` role and the `choreo` database. Safe to run any number of times.
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_pkgs=()
pkg-config --exists rdkafka 2>/dev/null || need_pkgs+=(librdkafka-dev)
pkg-config --exists libpq 2>/dev/null || need_pkgs+=(libpq-dev)
command -v kcat >/dev/null 2>&1 || need_pkgs+=(kcat)
command -v pg_ctlcluster >/dev/null 2>&1 || need_pkgs+=(postgresql)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
    log "installing ${need_pkgs[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# Python clients used by interoperability tests (an independent CloudEvents reader,
# prometheus_client's text parser for the /metrics exposition, and opentelemetry-proto to
# decode OTLP trace exports in scripts/otlp-receiver.py).
if ! python3 -c 'import cloudevents, confluent_kafka, prometheus_client, opentelemetry.proto' >/dev/null 2>&1; then
    log "installing python test clients (cloudevents, confluent-kafka, prometheus-client, opentelemetry-proto)"
    python3 -m pip install -q --disable-pip-version-check cloudevents confluent-kafka prometheus-client opentelemetry-proto >/dev/null 2>&1 \
        || log "warning: could not install python test clients; interop tests will be skipped"
fi

# PostgreSQL: start the first cluster found (15/main on this machine kind).
PG_VERSION="${PG_VERSION:-$(pg_lsclusters -h 2>/dev/null | awk 'NR==1{print $1}')}"
PG_CLUSTER="${PG_CLUSTER:-$(pg_lsclusters -h 2>/dev/null | awk 'NR==1{print $2}')}"
if [ -z "$PG_VERSION" ]; then
    log "no PostgreSQL cluster exists; creating 15/main"
    as_root pg_createcluster 15 main >/dev/null
    PG_VERSION=15 PG_CLUSTER=main
fi
if ! pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
    log "starting PostgreSQL $PG_VERSION/$PG_CLUSTER"
    as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
fi

psql_admin() { as_root runuser -u postgres -- psql -qAtX -v ON_ERROR_STOP=1 "$@"; }
for _ in $(seq 1 50); do psql_admin -c 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done

# The reference system runs five services, each with relays, consumer groups and pools,
# and the test suite runs many of them at once: 100 connections (the default) is not
# enough. Raising it needs a restart, done only when the setting is lower.
PG_MAX_CONNECTIONS="${PG_MAX_CONNECTIONS:-500}"
if [ "$(psql_admin -c 'show max_connections')" -lt "$PG_MAX_CONNECTIONS" ]; then
    log "raising max_connections to $PG_MAX_CONNECTIONS (restarts PostgreSQL $PG_VERSION/$PG_CLUSTER)"
    psql_admin -c "ALTER SYSTEM SET max_connections = $PG_MAX_CONNECTIONS" >/dev/null
    as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" restart
    for _ in $(seq 1 50); do psql_admin -c 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
fi

# The development/test role: may create the scratch databases tests use.
psql_admin -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'choreo') THEN
    CREATE ROLE choreo LOGIN PASSWORD 'choreo' CREATEDB;
  END IF;
  IF NOT pg_has_role('choreo', 'pg_signal_backend', 'MEMBER') THEN
    GRANT pg_signal_backend TO choreo;
  END IF;
END \$\$;" >/dev/null
for db in choreo choreo_ops; do
    if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
        psql_admin -c "CREATE DATABASE $db OWNER choreo" >/dev/null
    fi
done
log "ready: PostgreSQL $PG_VERSION/$PG_CLUSTER, role choreo, databases choreo and choreo_ops; librdkafka $(pkg-config --modversion rdkafka)"
