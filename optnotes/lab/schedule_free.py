r"""Schedule-Free runs: exact moments on the noisy quadratic, and digits training at y and x.

Schedule-Free SGD keeps two sequences, the base iterate :math:`z` and the average
:math:`x`, and takes the gradient at their interpolation :math:`y`:

.. math::

    y_t = (1-\beta)\, z_t + \beta\, x_t, \qquad
    z_{t+1} = z_t - \eta_t\, g(y_t), \qquad
    x_{t+1} = (1 - c_{t+1})\, x_t + c_{t+1}\, z_{t+1} .

On the noisy quadratic model (:class:`~optnotes.lab.noisy_quadratic.NoisyQuadratic`) the
gradient is :math:`h y_t + \xi_t` per coordinate, so the pair :math:`s_t = (z_t, x_t)` obeys
the linear recursion :math:`s_{t+1} = A_t s_t + b_t \xi_t` with

.. math::

    A_t = \begin{pmatrix} 1 - \eta_t h (1-\beta) & -\eta_t h \beta \\
          c_{t+1}\bigl(1 - \eta_t h (1-\beta)\bigr) & 1 - c_{t+1} - c_{t+1}\eta_t h \beta
          \end{pmatrix}, \qquad
    b_t = -\eta_t \begin{pmatrix} 1 \\ c_{t+1} \end{pmatrix},

and its mean and covariance follow exactly (:func:`schedule_free_moments`), as
:meth:`NoisyQuadratic.expected_loss <optnotes.lab.noisy_quadratic.NoisyQuadratic.expected_loss>`
does for plain SGD. The learning rates :math:`\eta_t` and weights :math:`c_{t+1}` are read off
a Schedule-Free optimizer (:func:`average_weights`), never recomputed here.

:func:`train_schedule_free` trains the digits MLP (optionally with batch norm,
:func:`bn_mlp`) with a Schedule-Free optimizer, with the model, split and batch order of
:func:`~optnotes.lab.experiments.train_digits`, and scores the training and test splits after chosen
epochs three ways: at :math:`y` (the parameters during training), at :math:`x` (after
``optimizer.eval()``), and, for a model with batch norm, at :math:`x` with the running
statistics recomputed there (``torch.optim.swa_utils.update_bn``).
"""

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import update_bn

from optnotes.lab.data import Data, digits
from optnotes.lab.experiments import OptimizerFactory
from optnotes.lab.models import mlp
from optnotes.lab.noisy_quadratic import ArrayLike, NoisyQuadratic
from optnotes.lab.seeding import manual_seed, resolve_seed
from optnotes.lab.training import batch_indices, evaluate

__all__ = [
    "ScheduleFreeMoments",
    "ScheduleFreeRun",
    "average_weights",
    "bn_mlp",
    "schedule_free_moments",
    "train_schedule_free",
]


def average_weights(make_optimizer: OptimizerFactory, steps: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Read the learning rates and average weights a Schedule-Free optimizer uses.

    The optimizer is built over one scalar parameter with a zero gradient and stepped
    ``steps`` times (in train mode); after each step its param group holds the
    warmed-up learning rate ``scheduled_lr`` :math:`\eta_t` and the running sum
    ``weight_sum`` :math:`\sum_{i \le t} w_i`, from which the weight of the newest point in
    the average is :math:`c_{t+1} = w_t / \sum_{i \le t} w_i`.

    Parameters
    ----------
    make_optimizer : callable
        ``make_optimizer(params)`` returns the optimizer, e.g.
        ``lambda p: SGDScheduleFree(p, lr=0.1, warmup_steps=10)``.
    steps : int
        Number of steps.

    Returns
    -------
    lrs : numpy.ndarray
        :math:`\eta_1, \ldots, \eta_T`, shape ``(steps,)``.
    weights : numpy.ndarray
        :math:`c_2, \ldots, c_{T+1}`, the weight of :math:`z_{t+1}` in :math:`x_{t+1}` at
        step :math:`t`, shape ``(steps,)``.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    param = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([param])
    optimizer.train()
    param.grad = torch.zeros_like(param)
    lrs, sums = np.empty(steps), np.empty(steps + 1)
    sums[0] = 0.0
    for t in range(steps):
        optimizer.step()
        group = optimizer.param_groups[0]
        lrs[t], sums[t + 1] = float(group["scheduled_lr"]), float(group["weight_sum"])
    increments = np.diff(sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(sums[1:] > 0, increments / np.where(sums[1:] > 0, sums[1:], 1), 0.0)
    return lrs, weights


@dataclass(frozen=True)
class ScheduleFreeMoments:
    """Exact moments of Schedule-Free SGD on a noisy quadratic, per step and coordinate.

    Arrays have shape ``(T + 1, dim)``, or ``(T + 1, k, dim)`` for ``k`` columns of
    learning rates; row 0 is the start.

    Parameters
    ----------
    curvatures : numpy.ndarray
        The problem's :math:`h`, shape ``(dim,)``.
    beta : float
        The interpolation weight of :math:`x` in :math:`y`.
    mean_z, mean_x : numpy.ndarray
        Means of :math:`z_t` and :math:`x_t`.
    var_z, var_x, cov_zx : numpy.ndarray
        Their variances and covariance.
    """

    curvatures: np.ndarray
    beta: float
    mean_z: np.ndarray
    mean_x: np.ndarray
    var_z: np.ndarray
    var_x: np.ndarray
    cov_zx: np.ndarray

    @property
    def mean_y(self) -> np.ndarray:
        r"""Mean of :math:`y_t = (1-\beta) z_t + \beta x_t`."""
        return (1 - self.beta) * self.mean_z + self.beta * self.mean_x

    @property
    def var_y(self) -> np.ndarray:
        r"""Variance of :math:`y_t`."""
        b = self.beta
        return (1 - b) ** 2 * self.var_z + b**2 * self.var_x + 2 * b * (1 - b) * self.cov_zx

    def _loss(self, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
        return 0.5 * (self.curvatures * (mean**2 + var)).sum(axis=-1)

    @property
    def expected_loss_x(self) -> np.ndarray:
        r"""Expected loss at the average :math:`x_t` (what ``eval()`` evaluates)."""
        return self._loss(self.mean_x, self.var_x)

    @property
    def expected_loss_y(self) -> np.ndarray:
        r"""Expected loss at :math:`y_t` (the parameters during training)."""
        return self._loss(self.mean_y, self.var_y)

    @property
    def expected_loss_z(self) -> np.ndarray:
        r"""Expected loss at the base iterate :math:`z_t`."""
        return self._loss(self.mean_z, self.var_z)


def schedule_free_moments(
    problem: NoisyQuadratic, lrs: ArrayLike, weights: ArrayLike, beta: float
) -> ScheduleFreeMoments:
    r"""Exact means and covariances of Schedule-Free SGD on the noisy quadratic model.

    The recursion of the module docstring, started at :math:`z_0 = x_0 = \theta_0` with no
    variance; ``SGDScheduleFree`` with ``momentum=beta`` and ``weight_decay=0`` computes one
    sample of it.

    Parameters
    ----------
    problem : NoisyQuadratic
        Curvatures, noise variances and start.
    lrs : sequence of float or numpy.ndarray
        :math:`\eta_t`, shape ``(T,)``, or ``(T, k)`` for ``k`` runs at once (e.g. a grid of
        peak learning rates, one column each).
    weights : sequence of float or numpy.ndarray
        :math:`c_{t+1}`, shape ``(T,)`` (see :func:`average_weights`), or ``(T, k)``.
    beta : float
        Interpolation weight in :math:`[0, 1]`: 0 takes the gradient at :math:`z` (plain
        SGD, averaged by Polyak and Ruppert), 1 at :math:`x` (primal averaging).

    Returns
    -------
    ScheduleFreeMoments
        The moments after every step.
    """
    eta = np.asarray(lrs, dtype=np.float64)
    c = np.asarray(weights, dtype=np.float64)
    if eta.ndim not in (1, 2) or eta.shape[0] < 1 or not np.all(np.isfinite(eta)):
        raise ValueError("lrs must be a finite array of shape (T,) or (T, k)")
    if c.shape[0] != eta.shape[0] or c.ndim > eta.ndim:
        raise ValueError(f"weights must have {eta.shape[0]} rows, like lrs")
    if not np.all((c >= 0) & (c <= 1)):
        raise ValueError("weights must lie in [0, 1]")
    if not 0 <= beta <= 1:
        raise ValueError(f"beta must lie in [0, 1], got {beta!r}")
    h = np.asarray(problem.curvatures, dtype=np.float64)
    noise = np.asarray(problem.noise, dtype=np.float64)
    shape = (h.size,) if eta.ndim == 1 else (eta.shape[1], h.size)
    if c.ndim == 1 and eta.ndim == 2:
        c = np.repeat(c[:, None], eta.shape[1], axis=1)
    steps = eta.shape[0]
    out = {name: np.zeros((steps + 1, *shape)) for name in ("mz", "mx", "vz", "vx", "czx")}
    out["mz"][0] = out["mx"][0] = np.broadcast_to(np.asarray(problem.start, float), shape)
    for t in range(steps):
        e, w = eta[t][..., None], c[t][..., None]
        # s_{t+1} = A s_t + b ξ_t, rows of A: (a11, a12) for z, (a21, a22) for x
        a11, a12 = 1 - e * h * (1 - beta), -e * h * beta
        a21, a22 = w * a11, 1 - w + w * a12
        b1, b2 = -e, -w * e
        mz, mx = out["mz"][t], out["mx"][t]
        vz, vx, czx = out["vz"][t], out["vx"][t], out["czx"][t]
        out["mz"][t + 1] = a11 * mz + a12 * mx
        out["mx"][t + 1] = a21 * mz + a22 * mx
        out["vz"][t + 1] = a11**2 * vz + 2 * a11 * a12 * czx + a12**2 * vx + b1**2 * noise
        out["vx"][t + 1] = a21**2 * vz + 2 * a21 * a22 * czx + a22**2 * vx + b2**2 * noise
        out["czx"][t + 1] = (
            a11 * a21 * vz + (a11 * a22 + a12 * a21) * czx + a12 * a22 * vx + b1 * b2 * noise
        )
    return ScheduleFreeMoments(
        h, float(beta), out["mz"], out["mx"], out["vz"], out["vx"], out["czx"]
    )


def bn_mlp(
    in_features: int, hidden: int, out_features: int, *, depth: int = 2, seed: int = 0
) -> nn.Sequential:
    """Build an MLP with batch norm: ``depth`` blocks of ``Linear`` + ``BatchNorm1d`` + ``ReLU``.

    Parameters
    ----------
    in_features, hidden, out_features, depth, seed
        As for :func:`optnotes.lab.models.mlp`.

    Returns
    -------
    torch.nn.Sequential
        The model, its weights drawn from ``seed`` (global random state untouched).
    """
    sizes = [in_features] + [hidden] * depth
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(resolve_seed(seed))
        layers: list[nn.Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [nn.Linear(n_in, n_out), nn.BatchNorm1d(n_out), nn.ReLU()]
        layers.append(nn.Linear(sizes[-1], out_features))
        return nn.Sequential(*layers)


@dataclass(frozen=True)
class ScheduleFreeRun:
    """One training run of :func:`train_schedule_free`.

    Parameters
    ----------
    epochs : list of int
        The epochs after which both splits were scored.
    at_y, at_x : list of dict
        ``train_loss``, ``train_accuracy``, ``test_loss`` and ``test_accuracy`` (over the
        whole splits) after each of those epochs, at :math:`y` (optimizer in train mode)
        and at :math:`x` (after ``optimizer.eval()``, batch-norm statistics as training
        left them).
    at_x_bn : list of dict
        At :math:`x` with the batch-norm statistics recomputed there (empty for a model
        without batch norm).
    train_loss : list of float
        The loss of every training batch, at :math:`y`.
    model : torch.nn.Module
        The trained model, its parameters at :math:`y` (train mode).
    optimizer : torch.optim.Optimizer
        Its optimizer, in train mode.
    """

    epochs: list[int]
    at_y: list[dict[str, float]]
    at_x: list[dict[str, float]]
    at_x_bn: list[dict[str, float]]
    train_loss: list[float]
    model: nn.Module
    optimizer: torch.optim.Optimizer


def _has_batch_norm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def _score(model: nn.Module, train: Data, test: Data) -> dict[str, float]:
    scores = {f"train_{k}": v for k, v in evaluate(model, train).items()}
    scores.update({f"test_{k}": v for k, v in evaluate(model, test).items()})
    return scores


def train_schedule_free(
    make_optimizer: OptimizerFactory,
    *,
    data: tuple[Data, Data] | None = None,
    epochs: int = 10,
    evaluate_at: Iterable[int] | None = None,
    batch_size: int = 32,
    hidden: int = 64,
    depth: int = 2,
    batch_norm: bool = False,
    bn_batches: int = 10,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> ScheduleFreeRun:
    """Train the digits MLP with a Schedule-Free optimizer and score it at y and at x.

    Model (:func:`~optnotes.lab.models.mlp`, or :func:`bn_mlp` with ``batch_norm``), split
    and batch order are those of :func:`~optnotes.lab.experiments.train_digits` with the same
    ``seed``. After each epoch in ``evaluate_at`` both splits are scored at :math:`y`,
    then ``optimizer.eval()`` moves the parameters to :math:`x` and it is scored again; a
    model with batch norm is scored a third time after ``update_bn`` over the first
    ``bn_batches`` training batches of the next epoch's order, forward passes at
    :math:`x` in train mode. The running statistics are then restored and
    ``optimizer.train()`` moves the parameters back to :math:`y`: the scoring changes
    the run only by the round-off of that round trip, and not the batch order.

    Parameters
    ----------
    make_optimizer : callable
        ``make_optimizer(params)`` returns a Schedule-Free optimizer (with ``train()`` and
        ``eval()``).
    data : tuple of Data, optional
        ``(train, test)``; defaults to the digits split of ``seed``.
    epochs : int
        Length of the run.
    evaluate_at : iterable of int, optional
        Epochs after which to score (default: every epoch).
    batch_size, hidden, depth, seed, device
        As for :func:`~optnotes.lab.experiments.train_digits`.
    batch_norm : bool
        Use :func:`bn_mlp` instead of :func:`~optnotes.lab.models.mlp`.
    bn_batches : int
        Training batches for recomputing the batch-norm statistics at :math:`x`.

    Returns
    -------
    ScheduleFreeRun
        The scores, the per-batch training loss, the model and the optimizer.
    """
    marks = sorted(set(range(1, epochs + 1) if evaluate_at is None else evaluate_at))
    if not marks or marks[0] < 1 or marks[-1] > epochs:
        raise ValueError(f"evaluate_at must lie in 1..{epochs}, got {marks}")
    train, test = digits(seed=seed, device=device) if data is None else data
    build = bn_mlp if batch_norm else mlp
    model = build(train.x.shape[1], hidden, 10, depth=depth, seed=seed).to(train.x.device)
    optimizer = make_optimizer(model.parameters())
    has_bn = _has_batch_norm(model)
    loss_fn = nn.CrossEntropyLoss()
    manual_seed(seed)
    at_y, at_x, at_x_bn, losses = [], [], [], []
    for epoch in range(1, epochs + 1):
        model.train()
        optimizer.train()
        for batch in batch_indices(len(train.x), batch_size, device=train.x.device):
            loss = loss_fn(model(train.x[batch]), train.y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
        if epoch not in marks:
            continue
        at_y.append(_score(model, train, test))
        optimizer.eval()
        at_x.append(_score(model, train, test))
        if has_bn:
            saved = {k: v.clone() for k, v in model.named_buffers()}
            with torch.random.fork_rng(devices=[]):  # the next epoch's order stays as it was
                order = batch_indices(len(train.x), batch_size, device=train.x.device)
            update_bn((train.x[b] for b in order[:bn_batches]), model)
            at_x_bn.append(_score(model, train, test))
            model.load_state_dict(saved, strict=False)
        optimizer.train()
    train_loss = torch.stack(losses).tolist()
    if not all(math.isfinite(v) for v in train_loss):
        raise FloatingPointError("the training loss became nan or infinite")
    return ScheduleFreeRun(marks, at_y, at_x, at_x_bn, train_loss, model, optimizer)
