#!/usr/bin/env python3
"""Compatibility table for the README: one row per Synapse version and proposal, counted from the
results.json of `mscheck run --target synapse@<version>` runs.

    scripts/compat-table.py REPORT_DIR...   (each a report folder or a results.json)

Prints Markdown. Rows are ordered by version; a run's wall time and exit verdict come from its
stats."""

import json
import sys
from pathlib import Path

TITLES = {"msc4354": "MSC4354 sticky events", "msc4140": "MSC4140 delayed events"}
KEYS = ["passed", "failed", "errored", "skipped", "expected_failure", "unexpected_pass"]


def load(path: str) -> dict:
    p = Path(path)
    if p.is_dir():
        p = p / "results.json"
    with open(p) as f:
        return json.load(f)


def version_key(run: dict):
    v = run["targets"][0]["version"]
    parts = v.split("rc")[0].split(".")
    try:
        return tuple(int(x) for x in parts)
    except ValueError:
        return (10**6,)


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    runs = sorted((load(p) for p in paths), key=version_key)
    print("| Synapse | proposal | passed | failed | errors | skipped | expected failures | run |")
    print("|---|---|---|---|---|---|---|---|")
    for run in runs:
        target = run["targets"][0]
        counts = {}
        for s in run["scenarios"]:
            c = counts.setdefault(s["proposal"], dict.fromkeys(KEYS, 0))
            c[s["outcome"]] += 1
        stats = run["stats"]
        verdict = "PASSED" if stats["failed"] == 0 and stats["errored"] == 0 else "FAILED"
        wall = f"{verdict}, {stats['duration_ms'] / 1000:.0f} s"
        for proposal in ("msc4354", "msc4140"):
            c = counts.get(proposal, dict.fromkeys(KEYS, 0))
            print(
                f"| {target['version']} | {TITLES[proposal]} | {c['passed'] + c['unexpected_pass']} | "
                f"{c['failed']} | {c['errored']} | {c['skipped']} | {c['expected_failure']} | {wall} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
