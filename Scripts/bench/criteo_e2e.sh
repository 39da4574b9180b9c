#!/usr/bin/env bash
# End to end on a Criteo-sized experiment (issue 12): simulate N rows in the Criteo layout,
# import them, run `holdout analyze`, each timed with its peak memory (GNU time's max RSS).
#   Scripts/bench/criteo_e2e.sh BIN [ROWS] [DIR]
# BIN is a release build of holdout; ROWS defaults to 13,979,592 (the real file's rows).
set -euo pipefail
BIN=${1:?usage: criteo_e2e.sh BIN [ROWS] [DIR]}
ROWS=${2:-13979592}
DIR=${3:-/tmp/criteo-e2e}
mkdir -p "$DIR"
rm -f "$DIR"/db.sqlite*
measure() {  # label, command…
  local label=$1; shift
  /usr/bin/time -f "$label: %e s wall, %M KiB max RSS" "$@" > "$DIR/$label.out" 2> "$DIR/$label.err" || { cat "$DIR/$label.err"; exit 1; }
  tail -1 "$DIR/$label.err"
}
echo "rows: $ROWS; load: $(cut -d' ' -f1-3 /proc/loadavg)"
measure simulate "$BIN" simulate --scenario criteo-like --format criteo --visitors "$ROWS" --out "$DIR/sim" --json
measure import "$BIN" import criteo --experiment criteo --file "$DIR/sim/observed.csv" --database "$DIR/db.sqlite" --json
measure analyze "$BIN" analyze --experiment criteo --metric visit --database "$DIR/db.sqlite" --out "$DIR/report" --truth "$DIR/sim/truth.csv" --json
measure analyze-cached "$BIN" analyze --experiment criteo --metric visit --database "$DIR/db.sqlite" --out "$DIR/report" --truth "$DIR/sim/truth.csv" --json
python3 - "$DIR/analyze.out" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
for s in run["stages"]:
    print(f'  {s["name"]:9} {s["status"]:8} {s["duration_s"]:8.2f} s')
print("  decision:", run["decision"]["verdict"], run["decision"]["rule"])
for name, l in sorted(run["uplift"]["learners"].items()):
    print(f'  {name}: qini_auc_score {l["metrics"]["qini_auc_score"]:.4f}, corr. with CATE {l.get("true_cate_correlation")}')
PY
