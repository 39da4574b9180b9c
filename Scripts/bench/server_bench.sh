#!/usr/bin/env bash
# The server's speed, measured with wrk on loopback (issue 4's figures):
#   POST /assign with 100 profile ids        ≥ 3,000 requests/s, p99 < 25 ms
#   POST /outcomes in batches of 1,000       ≥ 100,000 outcomes/s sustained
#   GET /results, 1M assigned + 100k conv.   < 300 ms
# GET /results runs first, while the database holds just that experiment (the assign and outcomes
# runs add millions of rows to the same tables).
# Usage: Scripts/bench/server_bench.sh [path/to/release/holdout] [seconds per wrk run]
# Needs wrk (Debian: apt-get install wrk) and python3. Everything runs on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
HOLDOUT=${1:-.build/release/holdout}
SECONDS_PER_RUN=${2:-15}
[ -x "$HOLDOUT" ] || swift build -c release --product holdout
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
WORK=$(mktemp -d /tmp/holdout-server-bench.XXXXXX)
PORT=${HOLDOUT_BENCH_PORT:-18765}
DB="$WORK/bench.sqlite"
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

export KEY=$("$HOLDOUT" keys create --database "$DB" --tenant default --scope write 2>/dev/null)
"$HOLDOUT" experiment create --database "$DB" --key bench --name "assign and outcomes" --variants control=0.5,treatment=0.5 >/dev/null
"$HOLDOUT" experiment create --database "$DB" --key big --name "1M units" --variants control=0.5,treatment=0.5 \
  --start 2026-03-01 --window-days 7 >/dev/null
python3 - "$WORK" <<'PY'
import random, sys
work = sys.argv[1]
random.seed(7)
base = 1772323200  # 2026-03-01T00:00:00Z
with open(f"{work}/assignments.csv", "w") as a, open(f"{work}/outcomes.csv", "w") as o:
    a.write("profile_id,group,assigned_at\n")
    o.write("profile_id,conversion_ts,value,event_id\n")
    for i in range(1_000_000):
        t = base + random.randrange(20 * 86400)
        a.write(f"u{i},{'treatment' if random.random() < 0.5 else 'control'},{t}\n")
        if i % 10 == 0:
            o.write(f"u{i},{t + random.randrange(5 * 86400)},{random.randrange(1, 20000) / 100},c{i}\n")
PY
"$HOLDOUT" import assignments --database "$DB" --experiment big --file "$WORK/assignments.csv" >/dev/null
"$HOLDOUT" import outcomes --database "$DB" --experiment big --file "$WORK/outcomes.csv" >/dev/null

"$HOLDOUT" serve --database "$DB" --port "$PORT" --log-level warning >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

echo "## GET /api/experiments/big/results, 1,000,000 assigned, 100,000 conversions (10 requests, curl time_total)"
for _ in $(seq 10); do
  curl -s -o /dev/null -w "%{time_total}\n" -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/experiments/big/results"
done | sort -n | awk '{t[NR]=$1} END {printf "min %.3f s, median %.3f s, max %.3f s\n", t[1], t[int((NR+1)/2)], t[NR]}'
echo
echo "## POST /api/experiments/bench/assign, 100 new profile ids per request (wrk -t2 -c16 -d${SECONDS_PER_RUN}s)"
wrk -t2 -c16 -d"${SECONDS_PER_RUN}s" --latency -s Scripts/bench/wrk/assign.lua "http://127.0.0.1:$PORT" | grep -E "Requests/sec|Latency |50%|90%|99%"
echo
echo "## POST /api/experiments/bench/outcomes, batches of 1,000 new outcomes (wrk -t2 -c4 -d${SECONDS_PER_RUN}s)"
OUT=$(wrk -t2 -c4 -d"${SECONDS_PER_RUN}s" --latency -s Scripts/bench/wrk/outcomes.lua "http://127.0.0.1:$PORT")
echo "$OUT" | grep -E "Requests/sec|Latency |99%"
RPS=$(echo "$OUT" | awk '/Requests\/sec/ {print $2}')
python3 -c "print(f'outcomes/s: {float(\"$RPS\") * 1000:,.0f}')"
echo
