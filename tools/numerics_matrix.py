"""Execute every notebook of the book under several numerics profiles and tabulate the result.

Floating-point results differ in their last bits between CPUs (vector kernels, FMA), thread
counts and accelerators, and a chaotic run turns that into a different story. A claim the
book makes about an experiment must survive all of it, and every random draw honours
``OPTNOTES_SEED``. This script runs the notebooks (through nbmake, two at a time by default)
once per profile:

========================  =========================================================
native                    this machine's default kernels, one thread per notebook
scalar kernels            ``ATEN_CPU_CAPABILITY=default``: no SIMD in ATEN's kernels
avx2 kernels              ``ATEN_CPU_CAPABILITY=avx2`` (only where the CPU has more)
two threads               ``OMP_NUM_THREADS=2``: other reduction orders (half as many
                          notebooks at once, so the cores are not oversubscribed;
                          ``OMP_WAIT_POLICY=PASSIVE``, so idle threads do not spin)
seed offset N             ``OPTNOTES_SEED=N``: other weights, splits, batches, noise
========================  =========================================================

and writes a notebook x profile table (pass/fail and seconds) to
``_build/numerics/matrix.md`` and ``matrix.json``. It exits with status 1 if any cell failed.

Run it as ``make numerics``, or ``python tools/numerics_matrix.py --help`` for options.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "numerics"


def profiles(seeds: list[int]) -> dict[str, dict[str, str]]:
    """Return the profiles to run, by name, as environment variables to set."""
    import torch

    found = {
        "native": {},
        "scalar kernels": {"ATEN_CPU_CAPABILITY": "default"},
        # passive waiting: a spinning idle thread on a busy machine costs 10x, not a new order
        "two threads": {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"},
    }
    if torch.backends.cpu.get_cpu_capability() not in ("AVX2", "DEFAULT"):
        found["avx2 kernels"] = {"ATEN_CPU_CAPABILITY": "avx2"}
    for seed in seeds:
        found[f"seed offset {seed}"] = {"OPTNOTES_SEED": str(seed)}
    return found


def run_profile(name: str, env: dict[str, str], notebooks: list[str], jobs: int) -> dict:
    """Execute the notebooks under one profile; return per-notebook outcome and time."""
    report = OUT / f"{name.replace(' ', '-')}.xml"
    environment = {**os.environ, "OMP_NUM_THREADS": "1", **env}
    # as many threads in all as there are cores: notebooks of several threads run fewer at once
    jobs = max(1, jobs // int(environment["OMP_NUM_THREADS"]))
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(jobs),
        "--nbmake", "--nbmake-kernel=python3", "--nbmake-timeout=300",
        f"--junitxml={report}", *notebooks,
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=environment, check=False, capture_output=True)
    wall = time.perf_counter() - started
    results = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        # nbmake names a notebook like a module: book.schedules.step.ipynb
        notebook = case.get("classname", "").removesuffix(".ipynb").replace(".", "/") + ".ipynb"
        failed = case.find("failure") is not None or case.find("error") is not None
        message = ""
        if failed:
            node = case.find("failure") if case.find("failure") is not None else case.find("error")
            message = (node.get("message") or "")[:300]
        results[notebook] = {"passed": not failed, "seconds": float(case.get("time", 0))}
        if message:
            results[notebook]["message"] = message
    return {"env": env, "wall_seconds": wall, "notebooks": results}


def table(matrix: dict[str, dict]) -> str:
    """Format the matrix as a Markdown table: one row per notebook, one column per profile."""
    names = list(matrix)
    notebooks = sorted({nb for run in matrix.values() for nb in run["notebooks"]})
    lines = [
        "| notebook | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for notebook in notebooks:
        cells = []
        for name in names:
            result = matrix[name]["notebooks"].get(notebook)
            if result is None:
                cells.append("not run")
            else:
                mark = "pass" if result["passed"] else "**FAIL**"
                cells.append(f"{mark} {result['seconds']:.0f} s")
        lines.append(f"| {notebook.removeprefix('book/')} | " + " | ".join(cells) + " |")
    walls = " | ".join(f"{matrix[name]['wall_seconds']:.0f} s" for name in names)
    lines.append(f"| *wall time of the profile* | {walls} |")
    return "\n".join(lines)


def main() -> int:
    """Run the matrix from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: all of book/)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at once")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[1, 2, 3], help="OPTNOTES_SEED offsets to run"
    )
    parser.add_argument(
        "--only", help="comma-separated names of the profiles to run, e.g. 'native,two threads'"
    )
    args = parser.parse_args()
    notebooks = args.notebooks or sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "book").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )  # fmt: skip
    OUT.mkdir(parents=True, exist_ok=True)
    selected = profiles(args.seeds)
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        selected = {name: env for name, env in selected.items() if name in wanted}
    import torch

    matrix = {}
    for name, env in selected.items():
        print(f"profile {name!r} {env or ''} ...", flush=True)
        matrix[name] = run_profile(name, env, notebooks, args.jobs)
        failed = [nb for nb, r in matrix[name]["notebooks"].items() if not r["passed"]]
        print(f"    {len(notebooks) - len(failed)} passed, {len(failed)} failed "
              f"in {matrix[name]['wall_seconds']:.0f} s {failed or ''}", flush=True)  # fmt: skip
    machine = {
        "cpu": platform.processor() or platform.machine(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "jobs": args.jobs,
    }
    text = table(matrix)
    (OUT / "matrix.md").write_text(f"{text}\n\nmachine: {machine}\n")
    (OUT / "matrix.json").write_text(json.dumps({"machine": machine, "matrix": matrix}, indent=1))
    print(text)
    print(f"\nmachine: {machine}\nwritten to {OUT.relative_to(ROOT)}/matrix.md and matrix.json")
    return int(any(not r["passed"] for run in matrix.values() for r in run["notebooks"].values()))


if __name__ == "__main__":
    sys.exit(main())
