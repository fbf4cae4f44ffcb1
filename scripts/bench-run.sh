#!/usr/bin/env bash
# Benchmark of a warm full run against the managed Synapse: wall time, harness peak memory and
# flakes over several consecutive runs. A measurement to report, not a test (the machine is
# shared and noisy).
#
#   scripts/bench-run.sh [RUNS] [extra `mscheck run` flags, e.g. --jobs 4]
#
# Prints one line per run (wall seconds, exit code, failed/errored counts, mscheck's own peak
# resident memory in MiB, slowest scenario) and a summary. The peak is the VmHWM of the mscheck
# process itself, read from /proc/<pid>/status while it runs (VmHWM only grows, so the last read
# before it exits is its peak); `/usr/bin/time` would report the largest process of the tree
# instead, which is a Synapse. The first, unmeasured run warms the
# caches (Synapse venv, compiled Python) and leaves a results.json whose timings order the
# following runs longest-first.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
shift || true
cargo build --release --quiet
bin=target/release/mscheck
report="${BENCH_REPORT_DIR:-target/bench-report}"
echo "warm-up run…" >&2
"$bin" run --report-dir "$report" "$@" >/dev/null 2>&1 || true
flakes=0
total=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  set +e
  "$bin" run --report-dir "$report" "$@" >"$report.log" 2>&1 &
  pid=$!
  rss_kib=0
  while kill -0 "$pid" 2>/dev/null; do
    hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    if [ -n "$hwm" ] && [ "$hwm" -gt "$rss_kib" ]; then rss_kib=$hwm; fi
    sleep 0.1
  done
  wait "$pid"
  code=$?
  set -e
  end=$(date +%s.%N)
  wall=$(echo "$end - $start" | bc)
  read -r failed errored slowest < <(python3 - "$report/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["stats"]
slow = s.get("slowest") or ["-", 0]
print(s["failed"], s["errored"], f"{slow[0]}={slow[1] / 1000:.1f}s")
PY
)
  if [ "$code" != 0 ]; then flakes=$((flakes + 1)); fi
  total=$(echo "$total + $wall" | bc)
  printf 'run %2d: %6.1f s  exit %s  failed %s  errored %s  mscheck peak %s MiB  slowest %s\n' \
    "$i" "$wall" "$code" "$failed" "$errored" "$((rss_kib / 1024))" "$slowest"
done
printf 'runs: %s  mean wall: %.1f s  runs not exiting 0: %s\n' "$runs" "$(echo "$total / $runs" | bc -l)" "$flakes"
