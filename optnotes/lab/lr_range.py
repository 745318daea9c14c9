"""The learning-rate range test: a short run whose learning rate grows at every step.

Smith (2017, "Cyclical Learning Rates for Training Neural Networks", section 3.3) trains a
model for a few hundred steps while the learning rate rises from a tiny value to a huge one,
and reads a good learning rate off the curve of loss against learning rate: too small and
the loss barely moves, too large and it blows up, somewhere in between it falls fastest.
fastai's ``lr_find`` and the package ``pytorch-lr-finder`` made the test popular; this is
the same test, in the book's conventions:

* :func:`lr_range_test` sweeps the rate exponentially on a *copy* of the model and of the
  optimizer, so the originals come back exactly as they were;
* it records the raw loss of every batch and fastai's smoothed, bias-corrected loss, and
  stops once the smoothed loss exceeds a multiple of the best so far;
* :meth:`RangeTestResult.suggestion` turns the curve into one learning rate by a stated
  rule, and :func:`plot_lr_range` draws the curve with the suggestions marked.

A suggestion is a starting point for a few real runs, not an answer: the curve is noisy,
where it blows up depends on the batch size, and the copy trains for only a few hundred
steps, from the initial weights, with an ever-changing learning rate.
"""

import copy
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from torch import nn

from optnotes.lab.device import best_device
from optnotes.lab.plotting import MIN_FONT_PT, series_styles, style
from optnotes.lab.seeding import manual_seed
from optnotes.lab.training import LossFn, _default_loss, _move, batch_indices

Rule = Literal["steepest", "min/10"]
RULES: tuple[Rule, ...] = ("steepest", "min/10")
"""The rules :meth:`RangeTestResult.suggestion` knows."""


@dataclass
class RangeTestResult:
    """What a learning-rate range test recorded, one entry per step.

    Parameters
    ----------
    lrs : list of float
        The learning rate of each step (of every param group of the copy).
    losses : list of float
        The loss of each step's batch, computed before the step, with the weights that
        the earlier (smaller) learning rates produced.
    smoothed : list of float
        The exponentially smoothed, bias-corrected loss (see :func:`lr_range_test`).
    stopped_early : bool
        Whether the test stopped before its last step because the smoothed loss diverged
        (exceeded ``diverge_factor`` times its best value, or was not finite). The step
        that triggered the stop is recorded.
    """

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    stopped_early: bool = False

    def suggestion(
        self, rule: Rule = "steepest", *, skip_start: int = 10, skip_end: int = 5
    ) -> float:
        r"""Return a learning rate read off the smoothed loss by a named rule.

        Both rules look only at the points left after dropping the first ``skip_start``
        and the last ``skip_end`` steps (as ``pytorch-lr-finder`` and fastai do): the
        first are dominated by the smoothing's warm-up and the last by the divergence.

        ``"steepest"``
            The learning rate where the smoothed loss falls fastest: the most negative
            slope of the smoothed loss against :math:`\log` lr (central differences,
            ``numpy.gradient``), ``pytorch-lr-finder``'s suggestion. It can mislead
            because the slope of a noisy curve is noisier still: one lucky batch makes a
            steep spot, and a different seed can move the answer by a large factor.
        ``"min/10"``
            The learning rate of the smallest smoothed loss, divided by 10 (fastai's older
            rule): at the minimum the rate is already about to blow up, so a tenth of it
            is meant to be safe. It can mislead because where the loss turns up depends on
            the batch size (smaller batches, noisier gradients, an earlier blow-up) and on
            the smoothing, which lags the raw loss by about ``1 / (1 - smoothing)`` steps
            and so places the minimum too late.

        Either way the copy trained only briefly, from the initial weights, while the
        rate kept rising: the rate that suits the first few hundred steps need not suit a
        whole run (which is why schedules warm up and decay).

        Parameters
        ----------
        rule : str
            ``"steepest"`` or ``"min/10"``.
        skip_start, skip_end : int
            Steps left out at the start and at the end of the curve.

        Returns
        -------
        float
            The suggested learning rate.

        Raises
        ------
        ValueError
            If the rule is unknown, a skip is negative, or fewer than three finite points
            remain.
        """
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}; choose from {list(RULES)}")
        if skip_start < 0 or skip_end < 0:
            raise ValueError(f"skips must be >= 0, got {skip_start} and {skip_end}")
        lrs = np.asarray(self.lrs, dtype=float)[skip_start : len(self.lrs) - skip_end]
        smoothed = np.asarray(self.smoothed, dtype=float)[skip_start : len(self.lrs) - skip_end]
        finite = np.isfinite(smoothed)
        lrs, smoothed = lrs[finite], smoothed[finite]
        if lrs.size < 3:
            raise ValueError(
                f"{lrs.size} finite points left after skipping {skip_start} at the start and "
                f"{skip_end} at the end of {len(self.lrs)}; lower the skips or run more steps"
            )
        if rule == "min/10":
            return float(lrs[np.argmin(smoothed)] / 10)
        slopes = np.gradient(smoothed, np.log(lrs))
        return float(lrs[np.argmin(slopes)])


def lr_range_test(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn | None,
    data: tuple[torch.Tensor, torch.Tensor],
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    batch_size: int = 64,
    smoothing: float = 0.98,
    diverge_factor: float = 4.0,
    device: torch.device | str | None = None,
    seed: int = 0,
) -> RangeTestResult:
    r"""Run the learning-rate range test on a copy of a model and its optimizer.

    Step :math:`i = 0, \dots, n - 1` of the ``n = num_steps`` steps trains one mini-batch
    with the learning rate :math:`\eta_i = \eta_0 (\eta_{n-1} / \eta_0)^{i / (n - 1)}`, the
    same for every param group (``numpy.geomspace(start_lr, end_lr, num_steps)``). The
    loss of the batch, computed before the step, is smoothed as fastai does,

    .. math::

        a_t = \beta a_{t-1} + (1 - \beta) \ell_t, \quad a_0 = 0, \qquad
        \bar\ell_t = a_t / (1 - \beta^t),

    and the test stops as soon as :math:`\bar\ell_t` exceeds ``diverge_factor`` times the
    smallest :math:`\bar\ell` so far, or is not finite.

    The model is copied with ``copy.deepcopy`` and the optimizer rebuilt for the copy's
    parameters from ``type(optimizer)``, its defaults and a deep copy of its
    ``state_dict`` (hyper-parameters of every group, momentum buffers, step counts).
    The original model's parameters and gradients, the optimizer's state and its
    learning rates are left exactly as they were.

    Parameters
    ----------
    model : torch.nn.Module
        The model; only its copy is trained (in training mode).
    optimizer : torch.optim.Optimizer
        Any optimizer (ours or ``torch.optim``'s) over parameters of ``model``; its
        class must accept its own ``defaults`` as keyword arguments, as torch's do.
    loss_fn : callable or None
        ``loss_fn(output, targets)``, a mean over the batch; ``None`` for cross-entropy
        with integer targets and mean squared error otherwise (as in
        :func:`optnotes.lab.training.fit`).
    data : tuple of torch.Tensor
        Inputs and targets, e.g. the training ``Data`` of :mod:`optnotes.lab.data`
        (``digits()[0]``), batched as :func:`~optnotes.lab.training.fit` batches it
        (:func:`~optnotes.lab.training.batch_indices`): a seeded permutation split into
        ``batch_size`` chunks, a new permutation whenever the data run out.
    start_lr, end_lr : float
        The first and the last learning rate, ``0 < start_lr < end_lr``.
    num_steps : int
        Number of steps (and of learning rates), at least 2.
    batch_size : int
        Examples per step. The result depends on it: smaller batches give noisier
        gradients, and the loss blows up at smaller learning rates.
    smoothing : float
        :math:`\beta` in ``[0, 1)``; 0 leaves the loss unsmoothed.
    diverge_factor : float
        Stop when the smoothed loss exceeds this multiple of its best value (> 1); the
        rule assumes a positive loss, as a mean squared error or a cross-entropy is.
    device : torch.device or str, optional
        Where to run the copy; defaults to ``best_device()``.
    seed : int
        Seeds the batch order and any randomness of the model (``OPTNOTES_SEED`` is added,
        see :mod:`optnotes.lab.seeding`); torch's global CPU random state is restored
        afterwards.

    Returns
    -------
    RangeTestResult
        The learning rates, raw and smoothed losses, and whether the test stopped early.

    Raises
    ------
    ValueError
        If an argument is out of range, or the optimizer holds parameters that are not
        the model's.
    TypeError
        If ``data`` is not an ``(inputs, targets)`` pair of tensors.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if num_steps < 2:
        raise ValueError(f"num_steps must be at least 2, got {num_steps}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
    if not diverge_factor > 1:
        raise ValueError(f"diverge_factor must be > 1, got {diverge_factor}")
    x, y = _inputs_and_targets(data)

    device = best_device() if device is None else torch.device(device)
    model_copy, optimizer_copy = _copy(model, optimizer)
    _move(model_copy, optimizer_copy, device)
    x, y = x.to(device), y.to(device)
    loss_fn = _default_loss(y) if loss_fn is None else loss_fn
    lrs = np.geomspace(start_lr, end_lr, num_steps).tolist()

    result = RangeTestResult()
    average, best = 0.0, math.inf
    cuda = []
    if device.type == "cuda":
        cuda = [torch.cuda.current_device() if device.index is None else device.index]
    with torch.random.fork_rng(devices=cuda):
        manual_seed(seed)
        model_copy.train()
        batches = itertools.chain.from_iterable(
            batch_indices(len(x), batch_size, device=device) for _ in itertools.count()
        )
        for step, lr in enumerate(lrs, start=1):
            _set_lr(optimizer_copy, lr)
            batch = next(batches)
            loss = loss_fn(model_copy(x[batch]), y[batch])
            value = loss.item()
            average = smoothing * average + (1 - smoothing) * value
            smoothed = average / (1 - smoothing**step)
            result.lrs.append(lr)
            result.losses.append(value)
            result.smoothed.append(smoothed)
            best = min(best, smoothed)
            if not math.isfinite(smoothed) or smoothed > diverge_factor * best:
                result.stopped_early = step < num_steps
                break
            optimizer_copy.zero_grad()
            loss.backward()
            optimizer_copy.step()
    return result


def _inputs_and_targets(data: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """Unpack ``data`` as ``(inputs, targets)``, with a hint for a ``(train, test)`` pair."""
    x, y = data
    if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
        raise TypeError(
            "data must be (inputs, targets) tensors, e.g. the training split digits()[0], "
            f"not a pair of {type(x).__name__} and {type(y).__name__}"
        )
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"need as many inputs as targets, at least one; got {len(x)}, {len(y)}")
    return x, y


def _copy(
    model: nn.Module, optimizer: torch.optim.Optimizer
) -> tuple[nn.Module, torch.optim.Optimizer]:
    """Copy a model and rebuild its optimizer, state included, for the copy's parameters."""
    memo: dict[int, object] = {}
    model_copy = copy.deepcopy(model, memo)
    groups = []
    for group in optimizer.param_groups:
        params = [memo.get(id(param)) for param in group["params"]]
        if any(param is None for param in params):
            raise ValueError("the optimizer holds parameters that are not the model's")
        groups.append({"params": params})
    optimizer_copy = type(optimizer)(groups, **copy.deepcopy(optimizer.defaults))
    # load_state_dict may keep the tensors it is given (when device and dtype already
    # match): a deep copy keeps the original's state out of reach.
    optimizer_copy.load_state_dict(copy.deepcopy(optimizer.state_dict()))
    return model_copy, optimizer_copy


def _set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set the learning rate of every param group (in place when it is a tensor)."""
    for group in optimizer.param_groups:
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(lr)
        else:
            group["lr"] = lr


def plot_lr_range(
    result: RangeTestResult,
    ax: Axes | None = None,
    *,
    mark: Sequence[Rule] = ("steepest",),
) -> Axes:
    """Draw the loss against the learning rate, with suggested learning rates marked.

    The smoothed loss is the solid line, the raw batch loss a faint one behind it; the
    learning-rate axis is logarithmic. The value axis is fitted to the smoothed loss, so
    the blow-up at the end does not flatten the rest of the curve.

    Parameters
    ----------
    result : RangeTestResult
        What :func:`lr_range_test` returned.
    ax : ``matplotlib.axes.Axes``, optional
        Where to draw; a new figure by default.
    mark : list of str
        Rules of :meth:`RangeTestResult.suggestion` whose learning rates are marked with
        a vertical line, labelled beside it and in the legend (with the default skips); ``()`` marks
        none.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    with style():
        ax = plt.subplots()[1] if ax is None else ax
        lrs = np.asarray(result.lrs, dtype=float)
        smoothed = np.asarray(result.smoothed, dtype=float)
        lines = series_styles(1 + len(mark))
        color = lines[0]["color"]
        ax.plot(lrs, result.losses, color=color, alpha=0.3, linewidth=1.0, label="batch loss")
        ax.plot(lrs, smoothed, color=color, label="smoothed loss")
        finite = smoothed[np.isfinite(smoothed)]
        if finite.size:
            low, high = finite.min(), finite.max()
            margin = 0.05 * (high - low) or 0.05 * abs(high) or 0.05
            ax.set_ylim(low - margin, high + margin)
        for rule, line in zip(mark, lines[1:], strict=True):
            lr = result.suggestion(rule)
            ax.axvline(
                lr, color=line["color"], linestyle=line["linestyle"], label=f"{rule}: {lr:.2g}"
            )
            ax.text(
                lr,
                0.02,
                f" {rule} ",
                transform=ax.get_xaxis_transform(),
                rotation=90,
                ha="right",
                va="bottom",
                color=line["color"],
                fontsize=MIN_FONT_PT,
            )
        title = "learning-rate range test" + (" (stopped early)" if result.stopped_early else "")
        ax.set(xscale="log", xlabel="learning rate", ylabel="loss", title=title)
        ax.legend(loc="best")  # STYLE sets legend text to MIN_FONT_PT
    return ax
