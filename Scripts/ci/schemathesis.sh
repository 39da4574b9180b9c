#!/usr/bin/env bash
# Fuzzes the running server against its own OpenAPI document with Schemathesis.
#
#   Scripts/ci/schemathesis.sh path/to/holdout [max-examples]
#
# Creates a temporary SQLite database, a write key and an experiment `demo` (with some data,
# so results, time series, quality and the nightly report have something to show), starts
# `holdout serve` on a free loopback port, waits for /healthz, then runs Schemathesis against
# http://127.0.0.1:PORT/openapi.yaml with the key. Fails on any 5xx, on an undocumented status
# code or content type, on a missing documented header and on a response body that does not
# match its documented schema. Stops the server and removes the database afterwards.
#
# Environment:
#   SCHEMATHESIS_VENV     the virtualenv to install Schemathesis into (default /tmp/holdout-schemathesis-venv)
#   SCHEMATHESIS_VERSION  the version from PyPI (default 4.32.5)
#   SCHEMATHESIS_SEED     the random seed (default 1; set another to explore)
#   SCHEMATHESIS_REPORT   a directory for a JUnit report (default: none)
#   SCHEMATHESIS_ARGS     extra arguments for `schemathesis run` (word-split), e.g. "--max-failures 5"
#   SCHEMATHESIS_SCHEMA   test against this document instead of the served one (a local file, while
#                         editing openapi.yaml without rebuilding)
set -euo pipefail

if [[ $# -lt 1 ]]; then
    echo "usage: $0 path/to/holdout [max-examples]" >&2
    exit 2
fi
binary=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[[ -x "$binary" ]] || { echo "$binary is not an executable" >&2; exit 2; }
max_examples=${2:-30}
venv=${SCHEMATHESIS_VENV:-/tmp/holdout-schemathesis-venv}
version=${SCHEMATHESIS_VERSION:-4.32.5}
seed=${SCHEMATHESIS_SEED:-1}

# Schemathesis from PyPI, in a virtualenv of its own.
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "version $version\$"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

work=$(mktemp -d /tmp/holdout-schemathesis.XXXXXX)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

db="$work/holdout.sqlite"
key=$("$binary" keys create --database "$db" --tenant ci --scope write --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')
"$binary" webhooks set-secret --database "$db" --tenant ci --secret ci-webhook-secret-0123456789 >/dev/null

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
base="http://127.0.0.1:$port"
"$binary" serve --database "$db" --host 127.0.0.1 --port "$port" --log-level warning --state-dir "$work/state" >"$work/server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
    if curl -fsS "$base/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "holdout serve exited:" >&2
        cat "$work/server.log" >&2
        exit 1
    fi
    sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null

api() {  # api METHOD PATH [BODY]
    curl -fsS -X "$1" "$base$2" -H "Authorization: Bearer $key" -H "Content-Type: application/json" ${3:+--data "$3"} >/dev/null
}

# The experiment the {id} routes target (the document's example id is `demo`), running, with
# assignments, exposures, outcomes and touchpoints.
api POST /api/experiments '{"key": "demo", "name": "Email holdout Q1 2026", "channel": "email", "start_at": "2026-03-01T00:00:00Z", "end_at": "2026-03-31T23:59:59Z", "conversion_key": "purchase"}'
api PATCH /api/experiments/demo '{"status": "running"}'
profiles=$(python3 -c 'import json; print(json.dumps({"profile_ids": ["user_%03d" % i for i in range(200)], "treatment_rate": 0.8}))')
api POST /api/experiments/demo/assign "$profiles"
now=$(date -u +%s)
exposures=$(python3 -c "import json; print(json.dumps({'exposures': [{'profile_id': 'user_%03d' % i, 'exposure_ts': $now + 60, 'campaign_id': 'email_q1_2026', 'message_id': 'msg_%d' % i} for i in range(0, 200, 2)]}))")
api POST /api/experiments/demo/exposures "$exposures"
outcomes=$(python3 -c "import json; print(json.dumps({'outcomes': [{'profile_id': 'user_%03d' % i, 'conversion_ts': $now + 3600, 'value': 10 + i % 13} for i in range(0, 200, 7)]}))")
api POST /api/experiments/demo/outcomes "$outcomes"
api POST /api/touchpoints '{"touchpoints": [{"profile_id": "user_001", "channel": "email", "ts": "2026-03-02T09:00:00Z", "campaign_id": "email_q1_2026"}]}'
# A nightly report, so /api/reports/nightly/latest has one to serve.
"$binary" report nightly --database "$db" --json >/dev/null
# Orders for tenant ci (12 geos × 20 days), so POST /api/geo/holdouts designs and design 1 exists
# for GET /api/geo/holdouts/{id}.
python3 -c "
import sys
print('order_id,created_at,ship_geohash,net_revenue')
for i in range(240): print('o%d,2026-03-%02dT12:00:00Z,geo%d,%d' % (i, 1 + i % 20, i % 12, 5 + i % 13))
" >"$work/orders.csv"
"$binary" import orders --database "$db" --tenant ci --file "$work/orders.csv" --state-dir "$work/state" --json >/dev/null

report_args=()
if [[ -n "${SCHEMATHESIS_REPORT:-}" ]]; then
    mkdir -p "$SCHEMATHESIS_REPORT"
    report_args=(--report junit --report-dir "$SCHEMATHESIS_REPORT")
fi

status=0
"$venv/bin/schemathesis" run "${SCHEMATHESIS_SCHEMA:-$base/openapi.yaml}" \
    --url "$base" \
    -H "Authorization: Bearer $key" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --workers 1 \
    --request-timeout 30 \
    --generation-database none \
    --no-color \
    "${report_args[@]}" ${SCHEMATHESIS_ARGS:-} || status=$?

if [[ $status -ne 0 ]]; then
    # A crash prints its reason ("Fatal error: …") and the backtrace's top frames first.
    echo "--- server log (first 40 lines) ---" >&2
    head -n 40 "$work/server.log" >&2 || true
fi
exit $status
