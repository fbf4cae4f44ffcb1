#!/usr/bin/env bash
# Same verdict under load: full runs against the managed Synapse while a CPU hog keeps every core
# busy beside mscheck (and beside Synapse). A measurement to report, not a test: the machine is
# shared and noisy.
#
#   scripts/loaded-runs.sh [RUNS] [extra `mscheck run` flags, e.g. --revision msc4140=seed]
#
# One line per run: wall seconds, exit code, and every scenario whose outcome is neither `passed`
# nor an expected failure (a flake: a correct server, a verdict that moved; its report folder is
# kept as <report>-run<N>). Then the number of
# runs with a flake, and each flaky scenario with how often it moved. The hog is one busy process
# per core at normal priority, started before the first run and killed at the end (also on
# Ctrl-C). MSCHECK_BIN picks the binary (default: a debug build, built incrementally).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
shift || true
bin="${MSCHECK_BIN:-target/debug/mscheck}"
[ -n "${MSCHECK_BIN:-}" ] || cargo build --quiet
report="${LOADED_REPORT_DIR:-target/loaded-report}"
log="$report.outcomes"
: >"$log"

cores=$(nproc)
hogs=()
cleanup() { for p in "${hogs[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
for _ in $(seq 1 "$cores"); do
  (while :; do :; done) &
  hogs+=("$!")
done
echo "CPU hog: $cores busy processes (pids ${hogs[*]})" >&2

flaky_runs=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  set +e
  "$bin" run --report-dir "$report" "$@" >"$report.log" 2>&1
  code=$?
  set -e
  wall=$(( $(date +%s) - start ))
  moved=$(python3 - "$report/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
bad = [s["id"] + "=" + s["outcome"] for s in r["scenarios"]
       if s["outcome"] not in ("passed", "expected_failure")]
print(" ".join(bad))
PY
)
  echo "$moved" | tr ' ' '\n' | sed '/^$/d' >>"$log"
  if [ -n "$moved" ]; then
    flaky_runs=$((flaky_runs + 1))
    # Keep what the flaky run saw (the next run clears the report folder).
    rm -rf "$report-run$i"
    cp -r "$report" "$report-run$i"
    cp "$report.log" "$report-run$i/terminal.log"
  fi
  printf 'run %2d: %4ss exit %s %s\n' "$i" "$wall" "$code" "${moved:-(no flake)}"
done
echo "runs with a flake: $flaky_runs of $runs"
if [ -s "$log" ]; then
  echo "flaky scenarios (times moved):"
  sort "$log" | uniq -c | sort -rn
fi
