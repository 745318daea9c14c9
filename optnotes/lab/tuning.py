"""The head-to-head's tuning protocol, written once, and the optimizers it compares.

The protocol, the same for every optimizer:

1. **Budget.** Every optimizer gets the same number of trials (``budget``, 6 by
   default). A trial is one learning rate, and one weight decay for the optimizers
   whose decoupled weight decay is part of their definition (AdamW, Lion, Muon,
   Schedule-Free AdamW): they split the budget into a grid of learning rates times
   their grid of weight decays, so they get fewer learning rates.
2. **Grid.** The learning rates are log-spaced over the same span around each
   optimizer's own default (``Contender.lr``, PyTorch's or the reference
   package's default; for SGD, whose default in PyTorch is a placeholder, 0.1, and
   0.01 with momentum 0.9, the same effective step), from ``10**LOW`` (about 0.3) to
   ``10**HIGH`` (100) times it: every optimizer is searched over the same factors of
   its default. The span leans upwards because defaults are set for long runs, and
   short runs prefer larger rates.
3. **Seeds.** Every trial runs with several seeds (initial weights and batches).
4. **Schedule.** Every run warms up linearly over the first 5 % of its steps and then
   decays along a cosine to zero; the Schedule-Free optimizers only warm up (their
   ``warmup_steps``), which is their point.
5. **Choice.** The trial with the lowest validation loss after the last step, averaged
   over the seeds, is chosen (a trial in which any seed diverged counts as infinitely
   bad). Only the chosen trial is reported on the test data, with its spread over
   the seeds, its validation curves, and the steps it took to reach the workload's
   target validation loss.

:func:`contenders` is the registry of the optimizers; :func:`trials` lays out one
optimizer's grid; :func:`tune` runs the protocol for one optimizer on one workload.
"""

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

import optnotes.optim as optim
from optnotes.lab.hybrid import Combined
from optnotes.lab.workloads import TrainingRun, Workload, steps_to_target, train_run

#: Trials per optimizer.
BUDGET = 6
#: The grid's lowest learning rate is the default times ``10**LOW``.
LOW = -0.5
#: The grid's highest learning rate is the default times ``10**HIGH``.
HIGH = 2.0

Build = Callable[..., torch.optim.Optimizer]


@dataclass(frozen=True)
class Contender:
    """One optimizer of the head-to-head, as the protocol builds it.

    Parameters
    ----------
    name : str
        Name in tables and legends.
    build : callable
        ``build(params, lr=..., weight_decay=...)`` returns the optimizer (Schedule-Free
        ones also take ``warmup_steps``).
    lr : float
        The default learning rate, the centre of the grid.
    weight_decays : tuple of float
        The weight decays tried; a single value is not tuned.
    schedule_free : bool
        Trained without a schedule, with the optimizer's own warm-up, and evaluated in
        its ``eval()`` mode.
    hybrid : bool
        Muon: ``build`` gets the hidden weight matrices only, the rest of the
        parameters go to AdamW with the same learning rate and weight decay.
    chapter : str
        The book chapter that derives it (a path under ``book/``).
    """

    name: str
    build: Build
    lr: float
    weight_decays: tuple[float, ...] = (0.0,)
    schedule_free: bool = False
    hybrid: bool = False
    chapter: str = ""

    def factory(
        self, workload: Workload, lr: float, weight_decay: float, *, warmup: int = 0
    ) -> Callable[[nn.Module], Any]:
        """Return ``model -> optimizer`` for one trial.

        Parameters
        ----------
        workload : optnotes.lab.workloads.Workload
            Splits a model's parameters for the hybrid (Muon) contender.
        lr, weight_decay : float
            The trial's setting.
        warmup : int
            Warm-up steps, passed to Schedule-Free optimizers only.

        Returns
        -------
        callable
            Builds the optimizer over a model's parameters.
        """
        options: dict[str, Any] = {"lr": lr, "weight_decay": weight_decay}
        if self.schedule_free:
            options["warmup_steps"] = warmup

        def make(model: nn.Module) -> Any:
            if not self.hybrid:
                return self.build(model.parameters(), **options)
            matrices, rest = workload.matrices(model)
            return Combined([self.build(matrices, **options), optim.AdamW(rest, **options)])

        return make


def _muon(params: Iterable[nn.Parameter], **options: Any) -> torch.optim.Optimizer:
    """Muon whose update has AdamW's RMS, so one learning rate serves both halves."""
    return optim.Muon(params, adjust_lr_fn="match_rms_adamw", **options)


def contenders(names: Sequence[str] | None = None) -> dict[str, Contender]:
    """Return the optimizers of the head-to-head, in the order of the book.

    Schedule-Free AdamW and SGD are included when ``optnotes.optim`` has them.
    Left out, as the head-to-head chapter explains: Rprop and L-BFGS (full-batch
    methods), SparseAdam (sparse gradients only).

    Parameters
    ----------
    names : sequence of str, optional
        Keep only these, in this order.

    Returns
    -------
    dict
        Name to :class:`Contender`.
    """
    sgd = optim.SGD
    registry = [
        # PyTorch's 1e-3 for SGD is a placeholder: plain SGD is centred at 0.1, and SGD with
        # momentum 0.9 at 0.01, the same effective step lr / (1 - momentum)
        Contender("SGD", sgd, 1e-1, chapter="optimizers/sgd"),
        Contender(
            "SGD momentum",
            lambda p, **o: sgd(p, momentum=0.9, **o),
            1e-2,
            chapter="optimizers/sgd",
        ),
        Contender("Adagrad", optim.Adagrad, 1e-2, chapter="optimizers/adagrad"),
        Contender("RMSprop", optim.RMSprop, 1e-2, chapter="optimizers/rmsprop"),
        Contender("Adadelta", optim.Adadelta, 1.0, chapter="optimizers/adadelta"),
        Contender("Adam", optim.Adam, 1e-3, chapter="optimizers/adam"),
        Contender("AdamW", optim.AdamW, 1e-3, (1e-2, 1e-1), chapter="optimizers/adamw"),
        Contender("Adamax", optim.Adamax, 2e-3, chapter="optimizers/adam-family"),
        Contender("NAdam", optim.NAdam, 2e-3, chapter="optimizers/adam-family"),
        Contender("RAdam", optim.RAdam, 1e-3, chapter="optimizers/adam-family"),
        Contender("ASGD", optim.ASGD, 1e-2, chapter="optimizers/averaging"),
        Contender("Adafactor", optim.Adafactor, 1e-2, chapter="optimizers/adafactor"),
        Contender(
            "Muon + AdamW", _muon, 1e-3, (1e-2, 1e-1), hybrid=True, chapter="optimizers/muon"
        ),
        Contender("Lion", optim.Lion, 1e-4, (1e-1, 1.0), chapter="optimizers/lion"),
    ]
    if hasattr(optim, "AdamWScheduleFree"):
        registry.append(
            Contender(
                "AdamW Schedule-Free",
                optim.AdamWScheduleFree,
                2.5e-3,
                (1e-2, 1e-1),
                schedule_free=True,
                chapter="optimizers/schedule-free",
            )
        )
    if hasattr(optim, "SGDScheduleFree"):
        registry.append(
            Contender(
                "SGD Schedule-Free",
                optim.SGDScheduleFree,
                1.0,
                schedule_free=True,
                chapter="optimizers/schedule-free",
            )
        )
    table = {c.name: c for c in registry}
    if names is None:
        return table
    missing = [name for name in names if name not in table]
    if missing:
        raise KeyError(f"unknown optimizers {missing}; known: {list(table)}")
    return {name: table[name] for name in names}


@dataclass(frozen=True)
class Trial:
    """One setting of the grid.

    Parameters
    ----------
    lr, weight_decay : float
        The learning rate and the weight decay.
    """

    lr: float
    weight_decay: float


def trials(
    contender: Contender, budget: int = BUDGET, *, low: float = LOW, high: float = HIGH
) -> list[Trial]:
    """Lay out the grid of one optimizer: ``budget`` trials, learning rates times decays.

    Parameters
    ----------
    contender : optnotes.lab.tuning.Contender
        Gives the centre ``lr`` and the weight decays.
    budget : int
        Number of trials; must be a multiple of the number of weight decays.
    low, high : float
        The learning rates run log-spaced from ``lr * 10**low`` to ``lr * 10**high``.

    Returns
    -------
    list of Trial
        Weight decays outermost, learning rates increasing.
    """
    n_decays = len(contender.weight_decays)
    if budget % n_decays:
        raise ValueError(f"a budget of {budget} cannot be split over {n_decays} weight decays")
    n_lrs = budget // n_decays
    exponents = [low + (high - low) * k / max(1, n_lrs - 1) for k in range(n_lrs)]
    return [Trial(contender.lr * 10**e, wd) for wd in contender.weight_decays for e in exponents]


@dataclass
class TrialResult:
    """The runs of one trial, one per seed.

    Parameters
    ----------
    trial : optnotes.lab.tuning.Trial
        The setting.
    runs : list of optnotes.lab.workloads.TrainingRun
        One run per seed.
    """

    trial: Trial
    runs: list[TrainingRun]

    @property
    def score(self) -> float:
        """The mean final validation loss over the seeds; ``inf`` if any seed diverged."""
        losses = [run.final_val_loss for run in self.runs]
        if any(run.diverged for run in self.runs) or not all(map(math.isfinite, losses)):
            return math.inf
        return statistics.fmean(losses)


@dataclass
class Tuned:
    """The protocol's result for one optimizer on one workload.

    Parameters
    ----------
    contender : str
        The optimizer's name.
    workload : str
        The workload's name.
    floor : float
        The workload's best achievable loss (0 where unknown).
    target : float
        The validation loss of the time to target (floor plus the target excess).
    results : list of optnotes.lab.tuning.TrialResult
        Every trial, in grid order.
    seeds : list of int
        The seeds of every trial.
    """

    contender: str
    workload: str
    floor: float
    target: float
    results: list[TrialResult]
    seeds: list[int] = field(default_factory=list)

    @property
    def best(self) -> TrialResult:
        """The chosen trial, with the lowest mean final validation loss (the first on a tie)."""
        return min(self.results, key=lambda result: result.score)

    @property
    def at_edge(self) -> bool:
        """Whether the chosen learning rate is the smallest or largest of its grid."""
        best = self.best.trial
        lrs = sorted(r.trial.lr for r in self.results if r.trial.weight_decay == best.weight_decay)
        return best.lr in (lrs[0], lrs[-1])

    def test_excess(self) -> list[float]:
        """Test loss minus the floor, one value per seed of the chosen trial."""
        return [run.test_loss - self.floor for run in self.best.runs]

    def test_accuracy(self) -> list[float | None]:
        """Test accuracy per seed of the chosen trial (``None`` for a language model)."""
        return [run.test_accuracy for run in self.best.runs]

    def steps_to_target(self) -> list[int | None]:
        """Return the steps to the target per seed of the chosen trial (``None``: never)."""
        return [steps_to_target(run, self.target) for run in self.best.runs]


def tune(
    workload: Workload,
    contender: Contender,
    *,
    budget: int = BUDGET,
    seeds: Sequence[int] = (0, 1, 2),
    low: float = LOW,
    high: float = HIGH,
    steps: int | None = None,
    warmup_fraction: float = 0.05,
    on_run: Callable[[Trial, int, TrainingRun], None] | None = None,
) -> Tuned:
    """Run the protocol for one optimizer on one workload.

    Parameters
    ----------
    workload : optnotes.lab.workloads.Workload
        The task and its budget of steps.
    contender : optnotes.lab.tuning.Contender
        The optimizer.
    budget : int
        Trials (see :func:`trials`).
    seeds : sequence of int
        The seeds of every trial.
    low, high : float
        The span of the learning-rate grid around the default (powers of 10).
    steps : int, optional
        Override the workload's steps.
    warmup_fraction : float
        Share of the steps spent warming up.
    on_run : callable, optional
        Called as ``on_run(trial, seed, run)`` after every run (progress, logging).

    Returns
    -------
    Tuned
        Every trial's runs and the chosen one.
    """
    n_steps = workload.steps if steps is None else steps
    warmup = max(1, round(warmup_fraction * n_steps))
    results = []
    for trial in trials(contender, budget, low=low, high=high):
        factory = contender.factory(workload, trial.lr, trial.weight_decay, warmup=warmup)
        runs = []
        for seed in seeds:
            run = train_run(
                workload,
                factory,
                seed=seed,
                schedule="none" if contender.schedule_free else "cosine",
                warmup_fraction=warmup_fraction,
                steps=n_steps,
            )
            runs.append(run)
            if on_run is not None:
                on_run(trial, seed, run)
        results.append(TrialResult(trial, runs))
    return Tuned(
        contender=contender.name,
        workload=workload.name,
        floor=workload.floor,
        target=workload.floor + workload.target,
        results=results,
        seeds=list(seeds),
    )
