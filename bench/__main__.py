"""Run every benchmark module in this package (`make bench`), or the ones named:
`python -m bench claims`."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess  # nosec B404  # runs each benchmark in a process of its own
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    here = Path(__file__).parent
    found = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = [n for n in found if not names or n in names or n.removeprefix("bench_") in names]
    if not chosen:
        print("No benchmarks yet." if not found else f"No benchmark named {names}; have {found}.")
        return 0 if not found else 1
    if len(chosen) > 1:
        # One process each: Django is set up once per process, against the
        # database of the first benchmark that runs, and each wants its own.
        failed = [
            name
            for name in chosen
            if subprocess.run([sys.executable, "-m", "bench", name], check=False).returncode  # nosec B603  # this interpreter, a benchmark name we listed
        ]
        if failed:
            print(f"\nFailed: {', '.join(failed)}")
        return 1 if failed else 0
    print(f"\n=== {chosen[0]} ===", flush=True)
    importlib.import_module(f"bench.{chosen[0]}").run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
