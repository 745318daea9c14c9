"""Every optimizer of the book, tuned by one protocol, on two workloads of different kinds.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/head_to_head.py [--quick]
        [--workloads digits markov] [--optimizers SGD Adam ...] [--budget 6]
        [--seeds 0 1 2] [--note "..."] [--out benchmarks/results]

The workloads (``optnotes.lab.workloads``): the book's digit classifier, an MLP on the
8x8 digits with a held-out validation split; and a small causal transformer trained on
sequences of a random order-2 Markov chain, whose entropy rate is the best achievable
loss, so that its losses are reported as the excess over that floor. The protocol
(``optnotes.lab.tuning``): the same number of trials for every optimizer, learning
rates log-spaced over the same span around each optimizer's default (times a grid of
weight decays for the optimizers with decoupled weight decay), every trial over the
same seeds, warm-up and cosine decay for all but the Schedule-Free optimizers, the
trial with the lowest mean final validation loss chosen, and only that one reported
on the test split: its spread over the seeds, its validation curves and its steps to
the workload's target validation loss.

Writes ``head_to_head.json`` (everything, with the machine and the command),
``head_to_head.md`` (the table) and ``head_to_head.png`` (test losses over seeds and
the validation curves) into ``--out``. ``--quick`` runs a tiny version in seconds (two
optimizers, short runs), for the script's own test.

Left out, as the head-to-head chapter explains: Rprop and L-BFGS, full-batch methods
(Rprop's sign rule breaks on noisy mini-batch gradients, L-BFGS's line search needs
the same function at every evaluation), and SparseAdam, which takes sparse gradients
only.
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from optnotes.lab.experiments import separated
from optnotes.lab.tuning import BUDGET, HIGH, LOW, Tuned, contenders, tune
from optnotes.lab.workloads import Workload, digits_workload, markov_workload

WARMUP_FRACTION = 0.05
QUICK_OPTIMIZERS = ["SGD momentum", "AdamW"]


def workloads(quick: bool) -> dict[str, Workload]:
    """The two workloads, full size or tiny (``--quick``)."""
    if quick:
        return {
            "digits": digits_workload(steps=20, eval_every=10),
            "markov": markov_workload(steps=10, n_train=128, n_eval=64, eval_every=5),
        }
    return {"digits": digits_workload(), "markov": markov_workload()}


def describe_machine() -> dict:
    """CPU, cores, threads and versions of the machine running the sweep."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average_start": round(os.getloadavg()[0], 2),
    }


def finite(value: float) -> float | None:
    """JSON has no infinity: a diverged run's loss is stored as null."""
    return value if math.isfinite(value) else None


def record(tuned: Tuned, workload: Workload, default_lr: float, schedule_free: bool) -> dict:
    """One optimizer's results on one workload, as stored in the JSON."""
    best = tuned.best
    return {
        "workload": workload.name,
        "optimizer": tuned.contender,
        "default_lr": default_lr,
        "schedule_free": schedule_free,
        "lr": best.trial.lr,
        "weight_decay": best.trial.weight_decay,
        "at_edge": tuned.at_edge,
        "trials": [
            {
                "lr": result.trial.lr,
                "weight_decay": result.trial.weight_decay,
                "val_loss": [finite(run.final_val_loss) for run in result.runs],
                "diverged": [run.diverged for run in result.runs],
            }
            for result in tuned.results
        ],
        "test_loss": [finite(run.test_loss) for run in best.runs],
        "test_excess": [finite(value) for value in tuned.test_excess()],
        "test_accuracy": tuned.test_accuracy(),
        "steps_to_target": tuned.steps_to_target(),
        "curve_steps": best.runs[0].steps,
        "val_excess": [[finite(loss - tuned.floor) for loss in run.val_loss] for run in best.runs],
        "seconds": sum(run.seconds for result in tuned.results for run in result.runs),
    }


def summarise(rows: list[dict]) -> None:
    """Add, per workload, the mean and spread of the test excess and the verdict vs the best.

    ``tied_with_best`` marks an optimizer whose mean is not worse than the best one's by
    more than three standard errors of the difference
    (``optnotes.lab.experiments.separated``): not separated from the best, which a large
    spread over the seeds can cause as well as a small difference.
    """
    for name in dict.fromkeys(row["workload"] for row in rows):
        group = [row for row in rows if row["workload"] == name]
        for row in group:
            values = [math.inf if v is None else v for v in row["test_excess"]]
            row["mean"] = statistics.fmean(values)
            row["sd"] = statistics.stdev(values) if all(map(math.isfinite, values)) else math.inf
        ranked = sorted(group, key=lambda row: row["mean"])
        leader = ranked[0]
        for rank, row in enumerate(ranked, start=1):
            row["rank"] = rank
            finite_both = all(v is not None for v in row["test_excess"] + leader["test_excess"])
            row["tied_with_best"] = row is leader or (
                finite_both and not separated(row["test_excess"], leader["test_excess"], sigmas=3.0)
            )
        for row in group:
            row["mean"], row["sd"] = finite(row["mean"]), finite(row["sd"])


def number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "diverged"
    return f"{value:.{digits}f}"


def steps_cell(steps: list[int | None]) -> str:
    reached = [s for s in steps if s is not None]
    if not reached:
        return f"never (0 of {len(steps)})"
    return f"{statistics.median(reached):g} ({len(reached)} of {len(steps)})"


def write_markdown(path: Path, stored: dict) -> None:
    lines = [f"Regenerate with: `{stored['command']}`", ""]
    parts = stored.get("parts") or [stored]
    for part in parts:
        machine = part["machine"]
        run = "" if len(parts) == 1 else f"`{part['command']}` ran "
        lines.append(
            f"- {run}on {machine['cpu']} ({machine['cores']} cores, {machine['torch_threads']} "
            f"torch thread{'s' if machine['torch_threads'] != 1 else ''}); torch "
            f"{machine['torch']}, Python {machine['python']}; {machine['date']}; "
            f"{machine['wall_seconds']} s; load average {machine['load_average_start']} at the "
            "start." + (f" Note: {machine['note']}" if machine.get("note") else "")
        )
    lines += [
        "",
        f"Protocol: {stored['protocol']['summary']}",
        "",
    ]
    for name, workload in stored["workloads"].items():
        rows = sorted(
            (row for row in stored["results"] if row["workload"] == name),
            key=lambda row: row["rank"],
        )
        measure = "test loss" if workload["floor"] == 0 else "test excess loss (nats)"
        lines += [
            f"### {name}: {workload['description']}",
            "",
            (
                f"Best achievable loss (entropy rate): {workload['floor']:.4f} nats. "
                if workload["floor"]
                else ""
            )
            + f"Target: validation {'excess ' if workload['floor'] else ''}loss "
            f"{workload['target']:g}. Not separated: less than 3 standard errors worse than "
            "the best (with 3 seeds, a large spread alone can make it so).",
            "",
            f"| rank | optimizer | default lr | chosen lr | weight decay | {measure}, mean ± sd "
            "| min to max |"
            + (" test accuracy |" if workload["classification"] else "")
            + " steps to target (median, runs) | vs best |",
            "|---:|---|---:|---:|---:|---:|---:|"
            + ("---:|" if workload["classification"] else "")
            + "---:|---|",
        ]
        for row in rows:
            values = [v for v in row["test_excess"] if v is not None]
            span = f"{min(values):.3f} to {max(values):.3f}" if values else "–"
            edge = " (edge)" if row["at_edge"] else ""
            accuracy = ""
            if workload["classification"]:
                accuracy = f" {100 * statistics.fmean(row['test_accuracy']):.1f} % |"
            lines.append(
                f"| {row['rank']} | {row['optimizer']} | {row['default_lr']:.3g} "
                f"| {row['lr']:.3g}{edge} | {row['weight_decay']:g} "
                f"| {number(row['mean'])} ± {number(row['sd'])} | {span} |{accuracy} "
                f"{steps_cell(row['steps_to_target'])} "
                f"| {'not separated' if row['tied_with_best'] else 'worse'} |"
            )
        lines.append("")
    lines.append(
        "(edge): the chosen learning rate is the smallest or largest of the optimizer's grid."
    )
    path.write_text("\n".join(lines) + "\n")


def plot(path: Path, stored: dict) -> None:
    names = list(stored["workloads"])
    fig, axes = plt.subplots(2, len(names), figsize=(6.5 * len(names), 9), squeeze=False)
    for column, name in enumerate(names):
        workload = stored["workloads"][name]
        rows = sorted(
            (row for row in stored["results"] if row["workload"] == name),
            key=lambda row: row["rank"],
        )
        ax = axes[0, column]
        for i, row in enumerate(rows):
            values = [v for v in row["test_excess"] if v is not None]
            ax.plot(values, [i] * len(values), "o", color="C0", alpha=0.6)
            if row["mean"] is not None:
                ax.plot([row["mean"]], [i], "|", color="black", markersize=14)
        ax.set_yticks(range(len(rows)), [row["optimizer"] for row in rows])
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        label = "test loss" if workload["floor"] == 0 else "test loss − entropy rate (nats)"
        ax.set(xlabel=f"{label}, chosen setting (dots: seeds, bar: mean)", title=name)
        ax.grid(axis="x", alpha=0.3)
        ax = axes[1, column]
        for row in rows:
            i = stored["optimizers"].index(row["optimizer"])  # one style per optimizer
            curves = np.array(
                [[np.nan if v is None else v for v in seed] for seed in row["val_excess"]]
            )
            ax.plot(
                row["curve_steps"],
                np.nanmean(curves, axis=0),
                color=plt.cm.tab20(i % 20),
                linestyle=["-", "--", ":"][i // 7 % 3],
                label=row["optimizer"],
            )
        ax.axhline(workload["target"], color="black", linewidth=0.8, linestyle="--")
        ax.set_yscale("log")
        ax.set(
            xlabel="step",
            ylabel="validation " + ("loss" if workload["floor"] == 0 else "excess loss"),
        )
        ax.legend(fontsize=7, ncol=2)
        ax.grid(alpha=0.3)
    fig.suptitle(
        f"{stored['machine']['cpu']}, torch {stored['machine']['torch']}: "
        "each optimizer at its chosen setting",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def protocol_summary(budget: int, seeds: list[int]) -> str:
    return (
        f"{budget} trials per optimizer: learning rates log-spaced from 10^{LOW:g} to "
        f"10^{HIGH:g} times the optimizer's default (AdamW, Lion, Muon and Schedule-Free "
        f"AdamW: fewer learning rates times 2 weight decays); every trial with seeds "
        f"{', '.join(map(str, seeds))}; linear warm-up over {WARMUP_FRACTION:.0%} of the steps, "
        "then cosine decay to 0 (Schedule-Free: warm-up only); the trial with the lowest mean "
        "final validation loss chosen (any diverged seed disqualifies a trial) and reported on "
        "the test split."
    )


def command_line(args: argparse.Namespace, *, complete: bool) -> str:
    """The command of this invocation, or (``complete``) of the whole sweep it belongs to."""
    threads = os.environ.get("OMP_NUM_THREADS")
    command = (f"OMP_NUM_THREADS={threads} " if threads else "") + (
        ".venv/bin/python benchmarks/head_to_head.py"
    )
    options = []
    if args.quick:
        options.append("--quick")
    if args.workloads and not complete:
        options.append("--workloads " + " ".join(args.workloads))
    if args.optimizers and not complete:
        options.append("--optimizers " + " ".join(f"'{name}'" for name in args.optimizers))
    if args.merge and not complete:
        options.append("--merge")
    if args.budget:
        options.append(f"--budget {args.budget}")
    if args.seeds:
        options.append("--seeds " + " ".join(map(str, args.seeds)))
    return " ".join([command, *options])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny version, in seconds")
    parser.add_argument("--workloads", nargs="+", choices=["digits", "markov"])
    parser.add_argument("--optimizers", nargs="+", help="names of optnotes.lab.tuning")
    parser.add_argument("--budget", type=int, default=None, help=f"trials (default {BUDGET})")
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument(
        "--merge",
        action="store_true",
        help="add the optimizers run now to the results stored in --out (replacing theirs)",
    )
    parser.add_argument("--note", default="", help="a remark on the run, stored with it")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)

    budget = args.budget or (2 if args.quick else BUDGET)
    seeds = args.seeds or ([0, 1] if args.quick else [0, 1, 2])
    chosen = args.optimizers or (QUICK_OPTIMIZERS if args.quick else None)
    registry = contenders(chosen)
    tasks = workloads(args.quick)
    if args.workloads:
        tasks = {name: tasks[name] for name in args.workloads}

    machine = describe_machine()
    if args.note:
        machine["note"] = args.note
    start = time.perf_counter()
    rows = []
    for workload in tasks.values():
        for contender in registry.values():
            tuned = tune(
                workload, contender, budget=budget, seeds=seeds, warmup_fraction=WARMUP_FRACTION
            )
            row = record(tuned, workload, contender.lr, contender.schedule_free)
            rows.append(row)
            print(
                f"{workload.name:7} {contender.name:22} lr {row['lr']:.3g} wd "
                f"{row['weight_decay']:g}  test excess {row['test_excess']}  "
                f"{row['seconds']:.1f} s",
                flush=True,
            )
    machine["wall_seconds"] = round(time.perf_counter() - start)
    part = {
        "command": command_line(args, complete=False),
        "machine": machine,
        "workloads": list(tasks),
        "optimizers": list(registry),
    }
    described = {
        name: {
            "description": w.description,
            "steps": w.steps,
            "batch_size": w.batch_size,
            "eval_every": w.eval_every,
            "floor": w.floor,
            "target": w.target,
            "classification": w.classification,
            "levels": list(w.levels),
            "sizes": {
                "train": len(w.train.x),
                "validation": len(w.validation.x),
                "test": len(w.test.x),
            },
        }
        for name, w in tasks.items()
    }
    stem = args.out / "head_to_head"
    parts = [part]
    if args.merge and stem.with_suffix(".json").exists():
        old = json.loads(stem.with_suffix(".json").read_text())
        parts = old.get("parts") or [
            {
                "command": old["command"],
                "machine": old["machine"],
                "workloads": list(old["workloads"]),
                "optimizers": old["optimizers"],
            }
        ]
        parts.append(part)
        done = {(row["workload"], row["optimizer"]) for row in rows}
        kept = [r for r in old["results"] if (r["workload"], r["optimizer"]) not in done]
        rows = kept + rows
        described = {**old["workloads"], **described}
    order = list(contenders())
    rows.sort(
        key=lambda row: (
            list(described).index(row["workload"]),
            order.index(row["optimizer"]) if row["optimizer"] in order else len(order),
        )
    )
    summarise(rows)
    names = list(dict.fromkeys(row["optimizer"] for row in rows))
    known = contenders([name for name in names if name in order])
    stored = {
        "machine": parts[0]["machine"],
        "command": command_line(args, complete=True),
        "parts": parts,
        "protocol": {
            "budget": budget,
            "seeds": seeds,
            "lr_span": [LOW, HIGH],
            "warmup_fraction": WARMUP_FRACTION,
            "weight_decays": {name: list(c.weight_decays) for name, c in known.items()},
            "summary": protocol_summary(budget, seeds),
        },
        "workloads": described,
        "optimizers": names,
        "results": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(stored, indent=1))
    write_markdown(stem.with_suffix(".md"), stored)
    plot(stem.with_suffix(".png"), stored)
    print(stem.with_suffix(".md").read_text())
    return stored


if __name__ == "__main__":
    main(sys.argv[1:])
