r"""Linear warm-up in front of any learning-rate scheduler (Goyal et al., 2017).

.. math::
    \eta_t = \begin{cases}
        \eta_0 \bigl(f_0 + (1 - f_0)\, t / W\bigr) & t < W \\
        \text{the next scheduler's value at its step } t - W & t \ge W
    \end{cases}

This is the join of a linear ramp with the next schedule,
``schedules.warmup(schedule, W, f_0)``, played by a scheduler: the ramp is
``linear_warmup_factor`` (that join with a constant 1), and the second piece is a
scheduler object, stepped from its own step 0 at the boundary :math:`W`.
"""

from typing import Any, SupportsFloat

import torch
from torch.optim import Optimizer

from ._base import LRScheduler, current_lrs, warn_if_called_outside_step
from .schedules import linear_warmup_factor

__all__ = ["LinearWarmup"]


class LinearWarmup(LRScheduler):
    r"""Raise the learning rates linearly for ``warmup_steps`` steps, then hand over to ``after``.

    The join ``schedules.warmup(g, W, f_0)`` of a linear ramp with a schedule
    :math:`g`, where :math:`g` is a scheduler. For :math:`t < W` the learning rate
    of a param group with initial learning rate :math:`\eta_0` is
    :math:`\eta_0\, f(t)` with ``linear_warmup_factor``
    :math:`f(t) = f_0 + (1 - f_0)\, t / W`. At :math:`t = W` the scheduler
    ``after`` takes over as if it started at that step: the learning rates are
    the ones ``after`` set at its own construction (its step-0 values), and
    every later ``step()`` is one ``after.step()``. Without ``after`` the
    learning rates reach :math:`\eta_0` at :math:`t = W` and are left alone
    from then on.

    ``after`` is built first, on the same optimizer, and passed in::

        warmup = LinearWarmup(opt, 5, after=CosineAnnealingLR(opt, T_max=95))

    It may be any scheduler of this package or of ``torch.optim.lr_scheduler``.
    The learning rates are those of

    .. code-block:: python

        SequentialLR(opt, [LinearLR(opt, start_factor, 1.0, total_iters=W), after],
                     milestones=[W])

    (to float round-off: ``LinearLR`` is recursive, the warm-up here is the
    closed form), without ``SequentialLR``'s surprises:

    * ``SequentialLR`` resets the learning rates to ``initial_lr`` and winds
      back ``last_epoch`` of every scheduler it is given, so the result depends
      on the order in which the schedulers were constructed (each constructor
      writes the learning rates; ``CyclicLR`` overwrites them with
      ``base_lr``). Here the warm-up ramps to ``initial_lr`` and the hand-over
      restores what ``after`` set, whatever the order of the others;
    * at the milestone ``SequentialLR`` restarts the next scheduler through the
      deprecated ``step(epoch)`` path (its closed form at epoch 0, which for
      ``CosineAnnealingLR`` with ``eta_min > 0`` differs in the last bit from
      ``base_lr``); here ``after`` only ever sees ordinary ``step()`` calls;
    * ``SequentialLR`` and ``ChainedScheduler`` refuse ``ReduceLROnPlateau``
      (and ``ChainedScheduler`` multiplies the factors, so a warm-up chained
      with a decay never reaches the peak). Here ``after`` may be a
      ``ReduceLROnPlateau``: ``step(metrics)`` *ignores* the metric while
      :math:`t + 1 \le W`, i.e. the metrics measured with a warm-up learning
      rate; the first metric ``after`` sees is the one passed at the step
      from :math:`t = W` to :math:`W + 1`, measured at the full learning rate.
      It then starts with a fresh ``best`` and counters.

    During the warm-up the learning rates are computed from :math:`\eta_0`,
    so a learning rate changed by hand is overwritten at the next step.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    warmup_steps : int
        The length :math:`W \ge 1` of the warm-up.
    start_factor : float, default 1/3
        The factor :math:`f_0 \in (0, 1]` at step 0 (``LinearLR``'s default).
    after : torch.optim.lr_scheduler.LRScheduler or None, default None
        The scheduler that takes over at step :math:`W`, built on ``optimizer``.

    Raises
    ------
    ValueError
        If ``warmup_steps < 1``, ``start_factor`` is outside :math:`(0, 1]`, or
        ``after`` schedules another optimizer.
    TypeError
        If ``after`` is not a learning-rate scheduler.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        start_factor: float = 1.0 / 3,
        after: LRScheduler | None = None,
    ) -> None:
        if warmup_steps < 1:
            raise ValueError(f"warmup_steps must be at least 1, got {warmup_steps}")
        if not 0 < start_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor}")
        if after is not None:
            if not isinstance(after, LRScheduler):
                raise TypeError(f"after must be an LRScheduler, got {type(after).__name__}")
            if after.optimizer is not optimizer:
                raise ValueError("after must schedule the same optimizer as the warm-up")
        self.warmup_steps = warmup_steps
        self.start_factor = start_factor
        self.after = after
        # the step-0 learning rates of `after`, as its constructor left them; restored at t = W
        self._after_lrs = None if after is None else list(after.get_last_lr())
        super().__init__(optimizer)

    def step(self, metrics: SupportsFloat | None = None) -> None:
        """Advance one step; past the warm-up, step ``after``.

        Parameters
        ----------
        metrics : float or torch.Tensor or None, default None
            The monitored value, only when ``after`` is a ``ReduceLROnPlateau``:
            ignored during the warm-up, required after it.

        Raises
        ------
        TypeError
            If ``metrics`` is given but ``after`` does not take one, or is missing
            after the warm-up when ``after`` needs one.
        """
        if metrics is not None and not self.reads_metrics:
            raise TypeError("step() takes metrics only when `after` is a ReduceLROnPlateau")
        if self.after is None or self.last_epoch < self.warmup_steps:
            super().step()  # warm-up, up to and including the hand-over at t = W
            return
        if self.reads_metrics and metrics is None:
            raise TypeError(
                "the warm-up is over: step(metrics) needs the metric that `after`, "
                "a ReduceLROnPlateau, watches"
            )
        self.last_epoch += 1
        if self.reads_metrics:
            self.after.step(metrics)
        else:
            self.after.step()
        self._last_lr = self.after.get_last_lr()

    @property
    def reads_metrics(self) -> bool:
        """Whether ``step`` takes the metric: ``after`` is a ``ReduceLROnPlateau``."""
        # ours subclasses torch's ReduceLROnPlateau, so one check covers both
        return isinstance(self.after, torch.optim.lr_scheduler.ReduceLROnPlateau)

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch`` while the warm-up is in charge."""
        warn_if_called_outside_step(self)
        t, W = self.last_epoch, self.warmup_steps
        if t < W:
            f = linear_warmup_factor(t, W, self.start_factor)
            return [base_lr * f for base_lr in self.base_lrs]  # η_t = η₀ (f₀ + (1 − f₀) t/W)
        if t == W:
            return list(self.base_lrs if self.after is None else self._after_lrs)  # hand-over
        return current_lrs(self.optimizer)  # no `after`: leave the learning rates alone

    def state_dict(self) -> dict[str, Any]:
        """Return the state, with the state of ``after`` under the key ``'after'``."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "after")}
        state["after"] = None if self.after is None else self.after.state_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the state written by ``state_dict``, including that of ``after``."""
        state = dict(state_dict)
        after_state = state.pop("after")
        self.__dict__.update(state)
        if after_state is not None:
            self.after.load_state_dict(after_state)
