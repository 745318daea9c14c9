r"""Averages of the SGD iterates: exact moments on the noisy quadratic, and digits training.

Every average of the iterates the book meets is one recursion with a weight
:math:`\mu_t \in (0, 1]` for the newest iterate,

.. math::

    \bar\theta_t = \bar\theta_{t-1} + \mu_t (\theta_t - \bar\theta_{t-1}), \qquad
    \bar\theta_0 = \theta_0 ,

where :math:`\mu_t = 1` copies the iterate (the average has not started yet):

* the Polyak–Ruppert (SWA) mean of :math:`\theta_{s+1}, \ldots, \theta_t` has
  :math:`\mu_t = 1 / \max(1, t - s)` (:func:`polyak_weights`);
* the exponential moving average (EMA) with decay :math:`\beta` has
  :math:`\mu_t = 1 - \beta` once started (:func:`ema_weights`), as ``AveragedModel`` with
  ``get_ema_multi_avg_fn(β)`` keeps it: its first update copies.

On the noisy quadratic model (:class:`~optnotes.lab.noisy_quadratic.NoisyQuadratic`) SGD
without momentum is linear in Gaussian noise, :math:`\theta_t = a_t \theta_{t-1} + \eta_t \xi_t`
with :math:`a_t = 1 - \eta_t h` per coordinate, so the pair :math:`(\theta_t, \bar\theta_t)` is
Gaussian and its means, variances and covariance follow exact recursions
(:func:`averaged_moments`). :func:`simulate_averaged` samples the same runs, with the draws of
:meth:`NoisyQuadratic.simulate <optnotes.lab.noisy_quadratic.NoisyQuadratic.simulate>`.

:func:`train_averaged` trains the digits MLP as
:func:`~optnotes.lab.experiments.train_digits` does and keeps any number of
``torch.optim.swa_utils.AveragedModel`` averages, updated after every optimizer step from a
given epoch on (an optimizer step hook: :func:`~optnotes.lab.training.fit` has no callbacks),
and scored on the test split after every epoch.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from optnotes.lab.data import Data, digits
from optnotes.lab.experiments import OptimizerFactory
from optnotes.lab.models import mlp
from optnotes.lab.noisy_quadratic import ArrayLike, NoisyQuadratic
from optnotes.lab.seeding import generator
from optnotes.lab.training import History, evaluate, fit

__all__ = [
    "AveragedMoments",
    "AveragedRun",
    "Averaging",
    "averaged_moments",
    "ema_weights",
    "polyak_weights",
    "simulate_averaged",
    "train_averaged",
]


def _steps(steps: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    return steps


def polyak_weights(steps: int, start: int = 0) -> np.ndarray:
    r"""Return the weights :math:`\mu_t = 1/\max(1, t - s)` of the mean after step ``start``.

    With them the recursion keeps :math:`\bar\theta_t = \theta_t` up to :math:`t = s + 1`,
    then the arithmetic mean of :math:`\theta_{s+1}, \ldots, \theta_t`.

    Parameters
    ----------
    steps : int
        Number of steps :math:`T`.
    start : int
        The step :math:`s` after which averaging starts (0: average every iterate).

    Returns
    -------
    numpy.ndarray
        Float64 of shape ``(steps,)``: :math:`\mu_1, \ldots, \mu_T`.

    Raises
    ------
    ValueError
        If ``steps`` is not a positive integer or ``start`` is negative.
    """
    steps = _steps(steps)
    if start < 0:
        raise ValueError(f"start must not be negative, got {start}")
    t = np.arange(1, steps + 1)
    return 1.0 / np.maximum(1, t - start)


def ema_weights(steps: int, decay: float, start: int = 0) -> np.ndarray:
    r"""Return the weights of an EMA with decay :math:`\beta` started after step ``start``.

    :math:`\mu_t = 1` up to :math:`t = s + 1` (the first update copies, as
    ``AveragedModel`` does), then :math:`1 - \beta`.

    Parameters
    ----------
    steps : int
        Number of steps :math:`T`.
    decay : float
        The decay :math:`\beta \in [0, 1)`.
    start : int
        The step :math:`s` after which averaging starts.

    Returns
    -------
    numpy.ndarray
        Float64 of shape ``(steps,)``.

    Raises
    ------
    ValueError
        If ``steps`` is not a positive integer, ``decay`` is outside ``[0, 1)`` or
        ``start`` is negative.
    """
    steps = _steps(steps)
    if not 0 <= decay < 1:
        raise ValueError(f"decay must lie in [0, 1), got {decay}")
    if start < 0:
        raise ValueError(f"start must not be negative, got {start}")
    weights = np.full(steps, 1.0 - decay)
    weights[: start + 1] = 1.0
    return weights


def _weights(weights: ArrayLike, steps: int) -> np.ndarray:
    mu = np.array(weights, dtype=np.float64).reshape(-1)
    if mu.shape != (steps,):
        raise ValueError(f"weights must have one entry per step ({steps}), got {mu.shape}")
    if not np.all((mu > 0) & (mu <= 1)):
        raise ValueError("weights must lie in (0, 1]")
    return mu


@dataclass(frozen=True)
class AveragedMoments:
    r"""Exact moments of the SGD iterate and of its average, per step and coordinate.

    Every array has shape ``(T + 1, dim)``, from the start (means :math:`\theta_0`, variances
    0) to the end.

    Parameters
    ----------
    mean, variance : numpy.ndarray
        Of the iterate :math:`\theta_t`.
    average_mean, average_variance : numpy.ndarray
        Of the average :math:`\bar\theta_t`.
    covariance : numpy.ndarray
        :math:`\operatorname{Cov}(\theta_t, \bar\theta_t)`.
    curvatures : numpy.ndarray
        The problem's :math:`h_i`, to turn moments into expected losses.
    """

    mean: np.ndarray
    variance: np.ndarray
    average_mean: np.ndarray
    average_variance: np.ndarray
    covariance: np.ndarray
    curvatures: np.ndarray

    @property
    def expected_loss(self) -> np.ndarray:
        r"""The expected loss of the iterate, :math:`\frac12 \sum_i h_i (m_{t,i}^2 + s_{t,i})`."""
        return 0.5 * ((self.mean**2 + self.variance) * self.curvatures).sum(axis=-1)

    @property
    def average_expected_loss(self) -> np.ndarray:
        r""":math:`\mathbb{E}[L(\bar\theta_t)]`, shape ``(T + 1,)``."""
        second = self.average_mean**2 + self.average_variance
        return 0.5 * (second * self.curvatures).sum(axis=-1)


def averaged_moments(
    problem: NoisyQuadratic, lrs: ArrayLike, weights: ArrayLike
) -> AveragedMoments:
    r"""Return the exact moments of SGD's iterate and of its average on the noisy quadratic.

    With :math:`a = 1 - \eta_t h` and :math:`\mu = \mu_t`, per coordinate:

    .. math::

        m_t &= a\, m_{t-1}, \qquad s_t = a^2 s_{t-1} + \eta_t^2 c, \\
        \bar m_t &= (1 - \mu)\, \bar m_{t-1} + \mu\, m_t, \\
        r_t &= (1 - \mu)\, a\, r_{t-1} + \mu\, s_t, \\
        \bar s_t &= (1 - \mu)^2\, \bar s_{t-1} + 2 \mu (1 - \mu)\, a\, r_{t-1} + \mu^2 s_t,

    where :math:`r_t = \operatorname{Cov}(\theta_t, \bar\theta_t)` and the step's noise is
    independent of :math:`\bar\theta_{t-1}`, so that
    :math:`\operatorname{Cov}(\theta_t, \bar\theta_{t-1}) = a\, r_{t-1}`.

    Parameters
    ----------
    problem : NoisyQuadratic
        The problem (curvatures, noise, start).
    lrs : sequence of float
        The learning rate :math:`\eta_t` of each step, shape ``(T,)``.
    weights : sequence of float
        The averaging weight :math:`\mu_t \in (0, 1]` of each step, shape ``(T,)``, e.g.
        :func:`polyak_weights` or :func:`ema_weights`.

    Returns
    -------
    AveragedMoments
        Means, variances and covariance of the iterate and the average.

    Raises
    ------
    ValueError
        If ``lrs`` is not a valid sequence of shape ``(T,)`` or ``weights`` does not have
        ``T`` entries in :math:`(0, 1]`.
    """
    eta = problem._lrs(lrs)
    if eta.ndim != 1:
        raise ValueError(f"lrs must have shape (steps,), got {eta.shape}")
    mu = _weights(weights, eta.shape[0])
    h, c = problem.curvatures, problem.noise
    shape = (eta.shape[0] + 1, problem.dim)
    m, s, am, as_, r = (np.zeros(shape) for _ in range(5))
    m[0] = am[0] = problem.start
    for t in range(eta.shape[0]):
        a, w = 1 - eta[t] * h, mu[t]
        m[t + 1] = a * m[t]
        s[t + 1] = a**2 * s[t] + eta[t] ** 2 * c
        am[t + 1] = (1 - w) * am[t] + w * m[t + 1]
        as_[t + 1] = (1 - w) ** 2 * as_[t] + 2 * w * (1 - w) * a * r[t] + w**2 * s[t + 1]
        r[t + 1] = (1 - w) * a * r[t] + w * s[t + 1]
    return AveragedMoments(m, s, am, as_, r, h.copy())


def simulate_averaged(
    problem: NoisyQuadratic, lrs: ArrayLike, weights: ArrayLike, *, runs: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Sample SGD runs on the noisy quadratic and the average of each run's iterates.

    The iterates are those of :meth:`NoisyQuadratic.simulate
    <optnotes.lab.noisy_quadratic.NoisyQuadratic.simulate>` with the same ``seed`` (the same
    draws); the average follows :math:`\bar\theta \leftarrow \bar\theta + \mu_t(\theta_t -
    \bar\theta)`, a copy where :math:`\mu_t = 1`.

    Parameters
    ----------
    problem : NoisyQuadratic
        The problem.
    lrs, weights : sequence of float
        As for :func:`averaged_moments`.
    runs : int
        Number of independent runs.
    seed : int
        The seed of the gradient noise, as the chapter names it.

    Returns
    -------
    iterates, averages : numpy.ndarray
        Float64 of shape ``(T + 1, runs, dim)``, from the start.

    Raises
    ------
    ValueError
        As :func:`averaged_moments`, or if ``runs`` is not a positive integer.
    """
    eta = problem._lrs(lrs)
    if eta.ndim != 1:
        raise ValueError(f"lrs must have shape (steps,), got {eta.shape}")
    mu = _weights(weights, eta.shape[0])
    draws = generator(seed)
    theta = problem.initial(runs)
    average = theta.clone()
    iterates, averages = [theta], [average]
    for t in range(eta.shape[0]):
        theta = problem.step(theta, float(eta[t]), draws)
        average = theta.clone() if mu[t] == 1 else average + mu[t] * (theta - average)
        iterates.append(theta)
        averages.append(average)
    return torch.stack(iterates).numpy(), torch.stack(averages).numpy()


@dataclass(frozen=True)
class Averaging:
    """One average that :func:`train_averaged` keeps.

    Parameters
    ----------
    make : callable
        ``make(model)`` returns the ``AveragedModel``, e.g. ``lambda m: AveragedModel(m)``
        (equal weights, SWA) or ``lambda m: AveragedModel(m,
        multi_avg_fn=get_ema_multi_avg_fn(0.99))`` (EMA).
    start_epoch : int
        Updates begin after this many epochs (0: after the first step).
    """

    make: Callable[[nn.Module], AveragedModel]
    start_epoch: int = 0


@dataclass(frozen=True)
class AveragedRun:
    """One training run of :func:`train_averaged`.

    Parameters
    ----------
    history : History
        The records of ``fit`` (the validation metrics are the last iterate's).
    model : torch.nn.Module
        The trained model: the last iterate.
    optimizer : torch.optim.Optimizer
        Its optimizer, with its final state.
    averages : dict
        The ``AveragedModel`` of every average, by name.
    test : dict
        ``{"last": metrics, name: metrics, ...}``: test loss and accuracy at the end.
    test_loss : dict
        The test loss after every epoch, ``"last"`` and each average's (``nan`` before the
        average has started).
    """

    history: History
    model: nn.Module
    optimizer: torch.optim.Optimizer
    averages: dict[str, AveragedModel]
    test: dict[str, dict[str, float]]
    test_loss: dict[str, list[float]]


def train_averaged(
    make_optimizer: OptimizerFactory,
    averages: Mapping[str, Averaging],
    *,
    data: tuple[Data, Data] | None = None,
    epochs: int = 15,
    batch_size: int = 32,
    hidden: int = 64,
    depth: int = 2,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> AveragedRun:
    """Train the digits MLP and keep averages of its weights, updated after every step.

    The model, split and batch order are those of
    :func:`~optnotes.lab.experiments.train_digits` with the same ``seed``, so the last
    iterate is that run's. A step hook on the optimizer calls each average's
    ``update_parameters(model)`` after every ``optimizer.step()`` from its ``start_epoch``
    on. The MLP has no batch norm, so no ``update_bn`` is needed.

    Parameters
    ----------
    make_optimizer : callable
        ``make_optimizer(params)`` returns the optimizer.
    averages : dict
        :class:`Averaging` specifications by name (not ``"last"``).
    data : tuple of Data, optional
        ``(train, test)``; defaults to the digits split of ``seed``.
    epochs, batch_size, hidden, depth, seed, device
        As for :func:`~optnotes.lab.experiments.train_digits`.

    Returns
    -------
    AveragedRun
        The history, the model, the averages and their test metrics.

    Raises
    ------
    ValueError
        If an average is named ``"last"`` or starts at or after the last epoch.
    """
    for name, spec in averages.items():
        if name == "last":
            raise ValueError('"last" names the last iterate; choose another name')
        if not 0 <= spec.start_epoch < epochs:
            raise ValueError(
                f"{name}: start_epoch must lie in [0, {epochs}), got {spec.start_epoch}"
            )
    train, test = digits(seed=seed, device=device) if data is None else data
    model = mlp(train.x.shape[1], hidden, 10, depth=depth, seed=seed)
    optimizer = make_optimizer(model.parameters())
    steps_per_epoch = math.ceil(len(train.x) / batch_size)
    kept: dict[str, AveragedModel] = {}
    curves: dict[str, list[float]] = {name: [] for name in averages}
    step = 0

    def after_step(*_: object) -> None:
        nonlocal step
        step += 1
        for name, spec in averages.items():
            if step > spec.start_epoch * steps_per_epoch:
                if name not in kept:
                    kept[name] = spec.make(model)
                kept[name].update_parameters(model)
        if step % steps_per_epoch == 0:  # the end of an epoch
            for name in averages:
                loss = evaluate(kept[name], test)["loss"] if name in kept else math.nan
                curves[name].append(loss)

    handle = optimizer.register_step_post_hook(after_step)
    try:
        history = fit(
            model,
            optimizer,
            train,
            val_data=test,
            epochs=epochs,
            batch_size=batch_size,
            device=device,
            seed=seed,
            progress=False,
        )
    finally:
        handle.remove()
    scores = {"last": evaluate(model, test)}
    scores.update({name: evaluate(kept[name], test) for name in averages if name in kept})
    test_loss = {"last": list(history.epochs["val_loss"]), **curves}
    return AveragedRun(history, model, optimizer, kept, scores, test_loss)
