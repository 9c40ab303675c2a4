"""`make bench`: every benchmark, one after the other, each printing its figures.

    python benchmarks/run_all.py [--quick]

--quick uses small sizes (a smoke run); the issue targets are quoted at full size.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    quick = "--quick" in sys.argv
    runs = [
        [
            "bench_cli.py",
            *(
                ["--sizes", "1000,10000", "--import-sizes", "1000", "--repeat", "1"]
                if quick
                else []
            ),
        ],
        [
            "bench_cache.py",
            *(
                ["--sizes", "1000,10000", "--repeat", "1", "--history-rows", "30000"]
                if quick
                else []
            ),
        ],
        ["bench_ledger.py", *(["--sizes", "1000,10000"] if quick else [])],
        ["bench_layouts.py", *(["--sizes", "2000", "--repeat", "1"] if quick else [])],
        ["bench_render.py", *(["--n", "200"] if quick else [])],
    ]
    failed = 0
    for script, *args in runs:
        print(f"\n# {script} {' '.join(args)}", flush=True)
        done = subprocess.run([sys.executable, str(HERE / script), *args], check=False)
        failed += done.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
