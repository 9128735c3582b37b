"""Execute every notebook (outputs not saved) and print a table of run time, kernel peak
memory and every measured result with its floor.

Run through `./course benchmark`; `--write` also stores the table in docs/benchmark.md.
Each notebook runs in a fresh process, so peak memory is that notebook's kernel alone.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from execute_notebooks import course_notebooks  # noqa: E402


def run_one(path: Path, results_file: Path) -> dict:
    env = dict(os.environ, COURSE_RESULTS_FILE=str(results_file))
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "execute_notebooks.py"),
                           "--no-save", "--report", str(path)],
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"notebook": path.name, "wall_s": float("nan"), "peak_mb": float("nan"),
                "error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--write", action="store_true", help="write docs/benchmark.md")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or course_notebooks()
    rows, failed = [], False
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            results_file = Path(tmp) / f"{path.stem}.jsonl"
            timing = run_one(path, results_file)
            failed |= "error" in timing
            results = ([json.loads(line) for line in results_file.read_text().splitlines()]
                       if results_file.exists() else [])
            rows.append((timing, results))
            print(f"{path.name}: {timing['wall_s']} s ({timing.get('cpu_s')} s CPU), {timing['peak_mb']} MB, "
                  f"{len(results)} results{' FAILED ' + str(timing['error']) if 'error' in timing else ''}",
                  file=sys.stderr)
    lines = [f"Measured on {date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores, "
             f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
             f"device {os.environ.get('COURSE_DEVICE', 'auto')}. Peak memory is the kernel's "
             f"maximum resident set size.", "",
             "Setup is the first cell (imports); CPU is the kernel's user + system time; claims",
             "(asserted conclusions) are counted, not listed.", "",
             "| notebook | wall time (s) | setup (s) | CPU (s) | peak memory (MB) | claims | result | value | floor |",
             "|---|---:|---:|---:|---:|---:|---|---:|---:|"]
    for timing, results in rows:
        claims = sum(1 for r in results if "claim" in r)
        floors = [r for r in results if "claim" not in r]
        head = (f"| {timing['notebook']} | {timing['wall_s']} | {timing.get('setup_s', '')} | "
                f"{timing.get('cpu_s', '')} | {timing['peak_mb']} | {claims} |")
        if not floors:
            lines.append(head + " | | |")
        for i, r in enumerate(floors):
            kind = next(k for k in ("floor", "ceiling", "halfway") if k in r)
            sign = {"floor": ">=", "ceiling": "<=", "halfway": ">= halfway"}[kind]
            lines.append((head if i == 0 else "| | | | | |") +
                         f" {r['name']} | {r['value']:.3f} | {sign} {r[kind]:.3f} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        out = ROOT / "docs" / "benchmark.md"
        out.write_text("# Benchmark: every notebook on this machine\n\n"
                       "Made by `./course benchmark --write`; not a test, a record.\n\n" + table + "\n")
        print(f"written to {out.relative_to(ROOT)}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
