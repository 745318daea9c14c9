"""Step time and memory of optnotes.optim against torch.optim, both paths, same tensors.

    .venv/bin/python benchmarks/bench_optim.py [--sizes 1e6 1e7 5e7] [--device cpu|cuda]
        [--repeats 12] [--passes 12] [--optimizers SGD Adam ...] [--muon-max-size 2e7]
        [--note "the machine was shared"] [--out benchmarks/results]

For every size, the parameters are shaped like a small GPT (token embedding,
per block: two layer norms, a fused QKV projection, an output projection, a 4x
MLP; biases everywhere) and hold fixed random gradients. For every optimizer,
four optimizers share those parameters: optnotes and torch, each with
``foreach=False`` (single-tensor) and ``foreach=True`` (multi-tensor). Each
round times every variant once, optnotes and torch back to back on each path
(who goes first alternates); the rounds are spread over passes over the
optimizers, each with fresh instances, so that neither a burst of load from
elsewhere nor an unlucky placement of buffers in memory spoils many. The
table gives each variant's median step time and the median over rounds of the
ratio optnotes / torch of the back-to-back pairs. Memory: the bytes of
optimizer state per parameter, and the peak of the step's transient
allocations (CUDA: ``torch.cuda.max_memory_allocated``; CPU: the allocation
events of ``torch.profiler``). On Linux, glibc is told to keep freed memory
(see ``keep_freed_memory``), and the share of the CPUs that other processes
used during the run is recorded. Writes ``<device>.md``, ``<device>.json``
and ``<device>.png`` into ``--out``; ``--note`` adds a remark on the conditions
of the run (a shared machine, say) to the stored record.

Muon has a single-tensor path only (``torch.optim.Muon`` takes no ``foreach``
and its functional form refuses ``foreach=True``) and updates 2-D parameters
only, so it is timed on its single-tensor path and given the 2-D parameters of
each set (the embedding and the projection matrices; the biases and layer norms
are left out): its row's parameter and tensor counts, and its bytes per
parameter, are those of the matrices. Its step is long (the Newton-Schulz
iteration is five rounds of matrix products in bfloat16), so each sample times
one step, and ``--muon-max-size`` (default 2e7) skips it on larger sets, where
one step takes seconds on a CPU.

Two optimizers of ``optnotes.optim`` are not benchmarked. ``LBFGS`` has neither
a multi-tensor path nor a step of fixed cost: one ``step(closure)`` runs up to
``max_iter`` evaluations of the closure and stops on tolerances of the loss and
of the gradient, so with fixed gradients its time measures where those tests
stop rather than the optimizer's arithmetic. ``SparseAdam`` takes only sparse
gradients (of an embedding, say), which the dense parameters of this set do
not have, and has no ``foreach`` option either.
"""

import argparse
import collections
import ctypes
import gc
import itertools
import json
import os
import platform
import statistics
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from torch.profiler import ProfilerActivity, profile

import optnotes.optim

OPTIMIZERS = {  # the settings benchmarked: each optimizer's defaults, SGD with momentum
    "SGD": {"lr": 1e-3, "momentum": 0.9},
    "Adam": {"lr": 1e-3},
    "AdamW": {"lr": 1e-3},
    "RMSprop": {"lr": 1e-3},
    "Adagrad": {"lr": 1e-3},
    "Adadelta": {"lr": 1e-3},
    "Adamax": {"lr": 2e-3},
    "NAdam": {"lr": 2e-3},
    "RAdam": {"lr": 1e-3},
    "ASGD": {"lr": 1e-2},
    "Rprop": {"lr": 1e-2},
    "Adafactor": {"lr": 1e-2},
    "Muon": {"lr": 1e-3},
}
SINGLE_TENSOR_ONLY = {"Muon"}  # no foreach argument, in torch as in optnotes
MATRICES_ONLY = {"Muon"}  # given the 2-D parameters only
LIBRARIES = {"torch": torch.optim, "optnotes": optnotes.optim}
PATHS = {"single-tensor": False, "foreach": True}
TARGETS = {"single-tensor": 1.05, "foreach": 1.15}  # optnotes / torch, median step time


def paths_of(name: str) -> dict[str, bool]:
    """The paths timed for optimizer ``name``: path name -> ``foreach``."""
    return {"single-tensor": False} if name in SINGLE_TENSOR_ONLY else PATHS


def params_of(name: str, params: list[torch.Tensor]) -> list[torch.Tensor]:
    """The parameters optimizer ``name`` is given: all, or the 2-D ones for Muon."""
    return [p for p in params if p.ndim == 2] if name in MATRICES_ONLY else params


def create(module, name: str, params: list[torch.Tensor], foreach: bool):
    """An optimizer with the benchmarked settings, ``foreach`` passed where it exists."""
    options = dict(OPTIMIZERS[name])
    if name not in SINGLE_TENSOR_ONLY:
        options["foreach"] = foreach
    return getattr(module, name)(params_of(name, params), **options)


def gpt_shapes(total: float) -> list[tuple[int, ...]]:
    """Parameter shapes of a GPT-like model with about ``total`` parameters."""
    width = 64
    while total / (12 * (2 * width) ** 2) >= 4:  # the widest model that keeps >= 4 blocks
        width *= 2
    vocab = 16 * width
    block = [(width,), (width,), (3 * width, width), (3 * width,), (width, width), (width,)]
    block += [(width,), (width,), (4 * width, width), (4 * width,), (width, 4 * width), (width,)]
    per_block = sum(torch.Size(s).numel() for s in block)
    blocks = max(1, round((total - vocab * width) / per_block))
    return [(vocab, width), *(block * blocks), (width,), (width,)]


def make_params(shapes: list[tuple[int, ...]], device: str) -> list[torch.Tensor]:
    """Parameters with fixed random gradients (small, so that no optimizer diverges)."""
    generator = torch.Generator(device).manual_seed(0)
    params = []
    for shape in shapes:
        param = torch.randn(shape, device=device, generator=generator).requires_grad_()
        param.grad = 1e-3 * torch.randn(shape, device=device, generator=generator)
        params.append(param)
    return params


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """Bytes held in the optimizer's state (buffers and step counters)."""
    tensors = (v for state in optimizer.state.values() for v in state.values())
    return sum(t.numel() * t.element_size() for t in tensors if torch.is_tensor(t))


def transient_peak(optimizer: torch.optim.Optimizer, device: str) -> int:
    """Peak bytes allocated during one step beyond what was allocated before it."""
    if device == "cuda":
        sync(device)
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        optimizer.step()
        sync(device)
        return torch.cuda.max_memory_allocated() - before
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        optimizer.step()
    events = prof.profiler.kineto_results.events()
    allocations = sorted((e.start_ns(), e.nbytes()) for e in events if e.name() == "[memory]")
    return max(itertools.accumulate((n for _, n in allocations), initial=0))


def time_steps(optimizer, device, steps):
    """Seconds per step, averaged over ``steps`` consecutive steps."""
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.step()
    sync(device)
    return (time.perf_counter() - start) / steps


def bench_optimizer(name, params, device, rounds, steps_per_sample, times, memory):
    """Time fresh instances of the four variants of one optimizer; add to ``times``.

    ``rounds`` numbers the rounds to run. In each, optnotes and torch run back
    to back on each path (who goes first alternates), so a burst of load from
    elsewhere hits both. Who allocates its state first alternates too: on the
    same machine, fresh instances' step times can differ by tens of percent
    (where their buffers land in memory, presumably). The first call also
    fills ``memory``.
    """
    libraries = list(LIBRARIES.items())[:: 1 if rounds[0] % 2 else -1]
    paths = paths_of(name)
    variants = {
        (library, path): create(module, name, params, foreach)
        for library, module in libraries
        for path, foreach in paths.items()
    }
    for key, optimizer in variants.items():
        optimizer.step()  # creates the state
        if key not in memory:
            memory[key] = (state_bytes(optimizer), transient_peak(optimizer, device))
    for round_ in rounds:
        for path in list(paths)[:: 1 if round_ % 2 else -1]:
            for library in list(LIBRARIES)[:: 1 if round_ // 2 % 2 else -1]:
                times[library, path].append(
                    time_steps(variants[library, path], device, steps_per_sample)
                )


def run_size(size, device, repeats, passes, names, muon_max_size=float("inf")):
    """All optimizers on one parameter set: ``repeats`` rounds, spread over ``passes`` passes."""
    shapes = gpt_shapes(size)
    params = make_params(shapes, device)
    numel = sum(p.numel() for p in params)
    if size > muon_max_size:
        names = [name for name in names if name not in MATRICES_ONLY]
    steps_per_sample = max(1, round(1e7 / numel))  # ~10 M elements per timed sample
    times = {name: collections.defaultdict(list) for name in names}
    memory = {name: {} for name in names}
    for pass_ in range(min(passes, repeats)):
        for name in names:
            rounds = range(pass_, repeats, passes)
            steps = 1 if name in MATRICES_ONLY else steps_per_sample  # Muon: a long step
            bench_optimizer(name, params, device, rounds, steps, times[name], memory[name])
            gc.collect()
        print(f"{numel / 1e6:6.1f} M  pass {pass_ + 1}/{passes} done", flush=True)
    rows = []
    for name in names:
        given = params_of(name, params)
        given_numel = sum(p.numel() for p in given)  # bytes per parameter are per these
        for path in paths_of(name):
            ours, theirs = times[name]["optnotes", path], times[name]["torch", path]
            mem_ours, mem_theirs = memory[name]["optnotes", path], memory[name]["torch", path]
            rows.append(
                {
                    "size": numel,
                    "tensors": len(given),
                    "params_optimized": given_numel,
                    "optimizer": name,
                    "path": path,
                    "torch_ms": 1e3 * statistics.median(theirs),
                    "optnotes_ms": 1e3 * statistics.median(ours),
                    # the median of the ratios of back-to-back pairs
                    "ratio": statistics.median(a / b for a, b in zip(ours, theirs, strict=True)),
                    "target": TARGETS[path],
                    "torch_state_bytes_per_param": mem_theirs[0] / given_numel,
                    "optnotes_state_bytes_per_param": mem_ours[0] / given_numel,
                    "torch_peak_bytes_per_param": mem_theirs[1] / given_numel,
                    "optnotes_peak_bytes_per_param": mem_ours[1] / given_numel,
                    "torch_samples_ms": [1e3 * t for t in theirs],
                    "optnotes_samples_ms": [1e3 * t for t in ours],
                }
            )
    return rows


def keep_freed_memory() -> str:
    """Make glibc keep freed memory for reuse rather than return it to the OS at once.

    The variants allocate very differently (a foreach step allocates temporaries
    for all tensors at once), and by default glibc hands large freed blocks back
    to the OS, so the next variant's first touch of fresh pages would be timed
    with it. Keeping them, as a training loop with a single optimizer reaches
    steady state, measures the optimizers rather than the page faults.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "the platform's default"
    m_trim_threshold, m_mmap_threshold = -1, -3  # mallopt parameters (malloc.h)
    libc.mallopt(m_mmap_threshold, 32 << 20)  # blocks up to 32 MiB from the heap...
    libc.mallopt(m_trim_threshold, 2**31 - 1)  # ...which is not trimmed below 2 GiB free
    return "glibc, freed memory kept"


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds used so far by all processes (Linux; 0 elsewhere) and by this one."""
    stat = Path("/proc/stat")
    ticks = [int(v) for v in stat.read_text().split()[1:9]] if stat.exists() else [0] * 8
    busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
    own = os.times()
    return busy / os.sysconf("SC_CLK_TCK"), own.user + own.system


def short(number: float) -> str:
    """Write a size as on the command line: 1e6, 2.5e7."""
    mantissa, exponent = f"{number:e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


def describe_machine(device: str) -> dict:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    machine = {
        "cpu": cpu,
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": device,
        "load_average_start": round(os.getloadavg()[0], 2),
    }
    if device == "cuda":
        machine["gpu"] = torch.cuda.get_device_name()
    return machine


def write_markdown(path: Path, machine: dict, rows: list[dict], command: str) -> None:
    where = machine.get("gpu", machine["cpu"])
    lines = [
        f"Machine: {where}; {machine['torch_threads']} torch threads; torch {machine['torch']}; "
        f"load average {machine['load_average_start']} at the start; other processes used "
        f"{machine['cpu_share_of_others']:.0%} of the CPUs during the {machine['wall_seconds']} s "
        f"run; allocator: {machine['allocator']}."
        + (f" Note: {machine['note']}" if machine.get("note") else ""),
        f"Command: `{command}`",
        "",
        "Times: median ms per step. Ratio: median over rounds of optnotes / torch, timed back to "
        "back. State: optimizer state in bytes per parameter. Step peak: transient memory of "
        "one step, bytes per parameter. Muon: single-tensor path only, given the 2-D "
        "parameters only; its tensors and bytes per parameter count those.",
        "",
        "| params | tensors | optimizer | path | torch ms | optnotes ms | ratio | target "
        "| state B/param torch / ours | step peak B/param torch / ours |",
        "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['size'] / 1e6:.1f} M | {r['tensors']} | {r['optimizer']} | {r['path']} "
            f"| {r['torch_ms']:.2f} | {r['optnotes_ms']:.2f} | {r['ratio']:.3f} | ≤ {r['target']} "
            f"| {r['torch_state_bytes_per_param']:.2f} / {r['optnotes_state_bytes_per_param']:.2f} "
            f"| {r['torch_peak_bytes_per_param']:.2f} / {r['optnotes_peak_bytes_per_param']:.2f} |"
        )
    path.write_text("\n".join(lines) + "\n")


def plot(path: Path, machine: dict, rows: list[dict]) -> None:
    names = list(dict.fromkeys(r["optimizer"] for r in rows))
    sizes = list(dict.fromkeys(r["size"] for r in rows))
    ratios = [r["ratio"] for r in rows]
    fig, axes = plt.subplots(1, len(PATHS), figsize=(12, 4.5), sharey=True)
    offset = 0.6 / len(sizes)
    for ax, path_name in zip(axes, PATHS, strict=True):
        for k, size in enumerate(sizes):
            ratio = {
                r["optimizer"]: r["ratio"]
                for r in rows
                if r["size"] == size and r["path"] == path_name
            }
            xs = [i + (k - (len(sizes) - 1) / 2) * offset for i in range(len(names))]
            ys = [ratio.get(n, float("nan")) for n in names]  # Muon: no foreach path
            ax.plot(xs, ys, "o", label=f"{size / 1e6:.1f} M params")
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.axhline(TARGETS[path_name], color="red", linestyle="--", label="target")
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
        ax.set_ylim(min(0.8, min(ratios) - 0.05), max(1.25, max(ratios) + 0.05))
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(f"{path_name} (foreach={PATHS[path_name]})")
    axes[0].set_ylabel("step time, optnotes / torch")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9)
    fig.suptitle(
        f"{machine.get('gpu', machine['cpu'])}, torch {machine['torch']}: median ratio of "
        "back-to-back steps",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e6, 1e7, 5e7])
    default_device = "cuda" if torch.cuda.is_available() else "cpu"
    parser.add_argument("--device", choices=["cpu", "cuda"], default=default_device)
    parser.add_argument("--repeats", type=int, default=12, help="timed rounds per optimizer")
    parser.add_argument("--passes", type=int, default=12, help="passes over the optimizers")
    parser.add_argument(
        "--optimizers", nargs="+", choices=list(OPTIMIZERS), default=list(OPTIMIZERS)
    )
    parser.add_argument(
        "--muon-max-size", type=float, default=2e7, help="time Muon on sets up to this size"
    )
    parser.add_argument("--note", default="", help="a remark on the run, stored with it")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()

    machine = describe_machine(args.device)
    machine["allocator"] = keep_freed_memory()
    if args.note:
        machine["note"] = args.note
    start, cpu_at_start = time.perf_counter(), cpu_seconds()
    rows = [
        row
        for size in args.sizes
        for row in run_size(
            size, args.device, args.repeats, args.passes, args.optimizers, args.muon_max_size
        )
    ]
    elapsed = time.perf_counter() - start
    machine["wall_seconds"] = round(elapsed)
    busy, own = (now - then for now, then in zip(cpu_seconds(), cpu_at_start, strict=True))
    machine["cpu_share_of_others"] = max(0.0, busy - own) / (elapsed * os.cpu_count())
    args.out.mkdir(parents=True, exist_ok=True)
    threads = os.environ.get("OMP_NUM_THREADS")  # part of the command when set
    command = (f"OMP_NUM_THREADS={threads} " if threads else "") + (
        ".venv/bin/python benchmarks/bench_optim.py "
    )
    command += " ".join(
        [
            f"--sizes {' '.join(map(short, args.sizes))}",
            f"--device {args.device}",
            f"--repeats {args.repeats}",
            f"--passes {args.passes}",
            *(
                [f"--optimizers {' '.join(args.optimizers)}"]
                if args.optimizers != list(OPTIMIZERS)
                else []
            ),
            *(
                [f"--muon-max-size {short(args.muon_max_size)}"]
                if args.muon_max_size != 2e7
                else []
            ),
        ]
    )
    stem = args.out / args.device
    stem.with_suffix(".json").write_text(
        json.dumps({"machine": machine, "command": command, "rows": rows}, indent=1)
    )
    write_markdown(stem.with_suffix(".md"), machine, rows, command)
    plot(stem.with_suffix(".png"), machine, rows)
    print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
