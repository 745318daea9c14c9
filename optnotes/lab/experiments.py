"""The experiments the chapters share, written once: parity runs, digit training, seed statistics.

* :func:`parameter_history` and :func:`compare_optimizers` check an optimizer of ours
  against its reference on a small network, step for step;
* :func:`train_digits` trains the book's digit classifier with any optimizer and
  scheduler, the workload of the schedule chapters;
* :func:`spread` and :func:`separated` turn runs over several seeds into statements
  that hold on any machine: a difference is claimed only when it is large against the
  spread of the seeds (see the numerics appendix of the developers' notes).

Every seed passes through :mod:`optnotes.lab.seeding`, so ``OPTNOTES_SEED`` replays an
experiment on other draws.
"""

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn

from optnotes.lab.data import Data, digits
from optnotes.lab.models import mlp
from optnotes.lab.training import History, evaluate, fit

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
SchedulerFactory = Callable[[torch.optim.Optimizer], Any]


def digits_batch(size: int = 256, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the first ``size`` training digits on the CPU, a batch for full-batch runs.

    Parameters
    ----------
    size : int
        Number of examples.
    seed : int
        Seed of the train/test split (see :func:`optnotes.lab.data.digits`).

    Returns
    -------
    tuple of torch.Tensor
        Inputs of shape ``(size, 64)`` and class indices of shape ``(size,)``.
    """
    train, _ = digits(seed=seed, device="cpu")
    return train.x[:size], train.y[:size]


def parameter_history(
    optimizer_cls: Callable[..., torch.optim.Optimizer],
    batch: tuple[torch.Tensor, torch.Tensor] | None = None,
    *,
    steps: int = 50,
    dtype: torch.dtype = torch.float32,
    hidden: int = 32,
    seed: int = 0,
    **kwargs: Any,
) -> torch.Tensor:
    """Train a small MLP full-batch and record all its parameters after every step.

    Parameters
    ----------
    optimizer_cls : callable
        ``optimizer_cls(params, **kwargs)`` builds the optimizer.
    batch : tuple of torch.Tensor, optional
        Inputs and class indices; defaults to :func:`digits_batch`.
    steps : int
        Number of optimizer steps.
    dtype : torch.dtype
        Precision of the model and the inputs.
    hidden : int
        Width of the two hidden layers.
    seed : int
        Seed of the initial weights.
    **kwargs
        Passed to ``optimizer_cls``.

    Returns
    -------
    torch.Tensor
        Shape ``(steps, n_parameters)``: row ``t`` holds the parameters after step
        ``t + 1``, flattened and concatenated.
    """
    x, y = digits_batch() if batch is None else batch
    model = mlp(x.shape[1], hidden, int(y.max()) + 1, seed=seed).to(dtype)
    optimizer = optimizer_cls(model.parameters(), **kwargs)
    x = x.to(dtype)
    rows = []
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        rows.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    return torch.stack(rows)


@dataclass(frozen=True)
class Parity:
    """How far two optimizers' runs are apart in one setting.

    Parameters
    ----------
    setting : dict
        The hyper-parameters both ran with.
    max_difference : float
        Largest absolute difference of any parameter after any step.
    identical : bool
        Whether every parameter was equal, bit for bit, after every step.
    """

    setting: Mapping[str, Any]
    max_difference: float
    identical: bool

    def __str__(self) -> str:
        setting = dict(self.setting) or "the defaults"
        verdict = "identical" if self.identical else "DIFFERENT"
        return f"{verdict}: max |ours - reference| = {self.max_difference:.1e} for {setting}"


def compare_optimizers(
    ours: Callable[..., torch.optim.Optimizer],
    reference: Callable[..., torch.optim.Optimizer],
    settings: Sequence[Mapping[str, Any]],
    *,
    steps: int = 20,
    dtype: torch.dtype = torch.float32,
) -> list[Parity]:
    """Run two optimizers side by side in several settings and compare every step.

    Both train the same small MLP (:func:`parameter_history`) on the same digits.

    Parameters
    ----------
    ours, reference : callable
        Optimizer classes taking ``(params, **setting)``.
    settings : sequence of dict
        Hyper-parameters to try, one run per entry.
    steps : int
        Number of full-batch steps.
    dtype : torch.dtype
        Precision of the runs.

    Returns
    -------
    list of Parity
        One per setting; ``all(p.identical for p in result)`` is the bit-for-bit check.
    """
    batch = digits_batch()
    results = []
    for setting in settings:
        a = parameter_history(ours, batch, steps=steps, dtype=dtype, **setting)
        b = parameter_history(reference, batch, steps=steps, dtype=dtype, **setting)
        difference = (a - b).abs().nan_to_num(nan=math.inf).max().item()
        results.append(Parity(dict(setting), difference, torch.equal(a, b)))
    return results


@dataclass(frozen=True)
class DigitsRun:
    """One training run of :func:`train_digits`.

    Parameters
    ----------
    history : History
        Per-step and per-epoch records of ``fit``.
    test_accuracy : float
        Accuracy on the test split after training.
    model : torch.nn.Module
        The trained model.
    optimizer : torch.optim.Optimizer
        Its optimizer, with its final state.
    """

    history: History
    test_accuracy: float
    model: nn.Module
    optimizer: torch.optim.Optimizer


def sgd_momentum(lr: float, momentum: float = 0.9) -> OptimizerFactory:
    """Return a factory of ``optnotes.optim.SGD`` with momentum, the schedule chapters' optimizer.

    Parameters
    ----------
    lr : float
        Learning rate.
    momentum : float
        Momentum coefficient.

    Returns
    -------
    callable
        ``params -> SGD(params, lr=lr, momentum=momentum)``.
    """
    from optnotes.optim import SGD

    return lambda params: SGD(params, lr=lr, momentum=momentum)


def train_digits(
    make_optimizer: OptimizerFactory,
    *,
    make_scheduler: SchedulerFactory | None = None,
    scheduler_interval: Literal["epoch", "batch"] = "epoch",
    data: tuple[Data, Data, Data] | None = None,
    epochs: int = 15,
    batch_size: int = 32,
    hidden: int = 64,
    depth: int = 2,
    clip_grad_norm: float | None = None,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = False,
) -> DigitsRun:
    """Train an MLP on the 8x8 digits and report its test accuracy.

    Parameters
    ----------
    make_optimizer : callable
        ``make_optimizer(params)`` returns the optimizer, e.g. ``sgd_momentum(0.1)``.
    make_scheduler : callable, optional
        ``make_scheduler(optimizer)`` returns a learning-rate scheduler.
    scheduler_interval : str
        Step the scheduler per ``"epoch"`` or per ``"batch"`` (see ``fit``).
    data : tuple of Data, optional
        ``(train, validation, test)``: trained on, watched every epoch (a plateau
        scheduler reads its loss), and scored at the end. Defaults to the digits split
        of ``seed`` with the test split as validation data.
    epochs, batch_size : int
        Length of the run and examples per step.
    hidden, depth : int
        Width and number of hidden layers of the MLP.
    clip_grad_norm : float, optional
        Clip the global gradient norm to this value before each step.
    seed : int
        Seed of the initial weights, the batch order and the default split.
    device : torch.device or str, optional
        Where to train; defaults to ``best_device()``.
    progress : bool
        Show a progress bar.

    Returns
    -------
    DigitsRun
        The history, the test accuracy, the model and the optimizer.
    """
    if data is None:
        train, test = digits(seed=seed, device=device)
        data = (train, test, test)
    train, validation, test = data
    model = mlp(train[0].shape[1], hidden, 10, depth=depth, seed=seed)
    optimizer = make_optimizer(model.parameters())
    scheduler = None if make_scheduler is None else make_scheduler(optimizer)
    history = fit(
        model,
        optimizer,
        train,
        val_data=validation,
        epochs=epochs,
        batch_size=batch_size,
        scheduler=scheduler,
        scheduler_interval=scheduler_interval,
        clip_grad_norm=clip_grad_norm,
        device=device,
        seed=seed,
        progress=progress,
    )
    return DigitsRun(history, evaluate(model, test)["accuracy"], model, optimizer)


@dataclass(frozen=True)
class Spread:
    """Summary of one quantity measured over several seeds.

    Parameters
    ----------
    values : tuple of float
        One value per seed.
    """

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        """Mean over the seeds."""
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        """Sample standard deviation over the seeds (0 for a single seed)."""
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0

    @property
    def min(self) -> float:
        """Smallest value."""
        return min(self.values)

    @property
    def max(self) -> float:
        """Largest value."""
        return max(self.values)

    def __str__(self) -> str:
        return f"{self.mean:.4g} ± {self.std:.2g} (range {self.min:.4g} to {self.max:.4g})"


def spread(values: Iterable[float]) -> Spread:
    """Summarise values measured over seeds.

    Parameters
    ----------
    values : iterable of float
        One value per seed.

    Returns
    -------
    Spread
        Mean, standard deviation, minimum and maximum.
    """
    return Spread(tuple(float(v) for v in values))


def separated(a: Iterable[float], b: Iterable[float], *, sigmas: float = 3.0) -> bool:
    r"""Whether ``a`` is larger than ``b`` on average by far more than seed noise explains.

    The claim "``a`` exceeds ``b``" is accepted when the difference of the means exceeds
    ``sigmas`` standard errors of that difference (Welch's form,
    :math:`\sqrt{s_a^2/n_a + s_b^2/n_b}`). A claim tested this way holds for other seed
    sets, other CPUs and GPUs unless the effect itself is small; a borderline effect
    should be reported as such, not claimed.

    Parameters
    ----------
    a, b : iterable of float
        Values over seeds, at least two each.
    sigmas : float
        Required margin in standard errors.

    Returns
    -------
    bool
        ``mean(a) - mean(b) > sigmas * standard_error``.
    """
    a, b = spread(a), spread(b)
    if len(a.values) < 2 or len(b.values) < 2:
        raise ValueError("separated() needs at least two seeds on each side")
    error = math.sqrt(a.std**2 / len(a.values) + b.std**2 / len(b.values))
    return a.mean - b.mean > sigmas * error
