r"""The 1cycle policy (Smith & Topin, 2019): one rise and fall of the learning rate per run.

.. math::
    \eta_t = v(t) \text{ through } \Bigl(\frac{\eta_{\max}}{d},\ \eta_{\max},\
    \frac{\eta_{\max}}{d\,d_f}\Bigr), \qquad
    \mu_t = v(t) \text{ through } (\mu_{\max},\ \mu_{\text{base}},\ \mu_{\max})

with the annealing :math:`v` between knots of ``schedules.one_cycle_value``.
"""

from typing import Any, Literal

from torch.optim import Optimizer

from ._base import LRScheduler, per_group, warn_if_called_outside_step
from .schedules.annealing import (
    annealing_cos,
    annealing_linear,
    check_anneal_strategy,
    check_step,
    one_cycle_knots,
    one_cycle_phases,
    one_cycle_value,
)

__all__ = ["OneCycleLR"]

# the param-group keys the phases anneal between, at step 0, at the peak and at the end
_LR_KEYS = ("initial_lr", "max_lr", "min_lr")
_MOMENTUM_KEYS = ("max_momentum", "base_momentum", "max_momentum")


class OneCycleLR(LRScheduler):
    r"""Raise the learning rates to ``max_lr`` and anneal them far below where they started.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.OneCycleLR`: same
    arguments, errors, ``state_dict``, learning rates and momenta, bit for bit. Call
    ``step()`` after every batch.

    With :math:`T` = ``total_steps`` and :math:`r` = ``pct_start``, the learning rate
    rises from :math:`\eta_{\max}/d` at step 0 to :math:`\eta_{\max}` at step
    :math:`rT - 1`, then falls to :math:`\eta_{\max}/(d\,d_f)` at step :math:`T - 1`;
    with ``three_phase=True`` it first falls back to :math:`\eta_{\max}/d` at step
    :math:`2rT - 2`, mirroring the rise, and only then to the minimum. Each phase is
    a half cosine or a straight line (``anneal_strategy``). With ``cycle_momentum``
    the momentum moves the other way: from ``max_momentum`` down to
    ``base_momentum`` at the peak, and back. The values are those of
    ``schedules.one_cycle_lr`` and ``schedules.one_cycle_momentum``; the scheduler
    evaluates ``one_cycle_value`` between the knots stored in each param group
    (``initial_lr``, ``max_lr``, ``min_lr``, ``max_momentum``, ``base_momentum``), so
    it is not recursive: a learning rate set by hand is overwritten at the next step.

    Like PyTorch's, it takes :math:`T + 1` values, for steps :math:`0, \dots, T`: the
    value at step :math:`T` continues the last phase one step past its end (a cosine
    turns back up), and stepping beyond raises ``ValueError``. The constructor
    **overwrites** the optimizer's learning rates with :math:`\eta_{\max}/d` and,
    with ``cycle_momentum``, its momenta with ``max_momentum``: ``group['momentum']``
    (a ``torch.optim.SGD`` built with ``momentum=0`` thereby gets momentum switched
    on) or the first entry of ``group['betas']`` (Adam and friends).

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    max_lr : float or list of float
        The peak :math:`\eta_{\max}`, one for all param groups or one per group.
    total_steps : int or None, default None
        The length :math:`T` of the cycle; if ``None``, ``epochs * steps_per_epoch``.
    epochs : int or None, default None
        The number of epochs, when ``total_steps`` is not given.
    steps_per_epoch : int or None, default None
        The number of batches per epoch, when ``total_steps`` is not given.
    pct_start : float, default 0.3
        The fraction :math:`r \in [0, 1]` of the cycle spent rising.
    anneal_strategy : {'cos', 'linear'}, default 'cos'
        Anneal along a half cosine or a straight line.
    cycle_momentum : bool, default True
        Cycle the momentum (or Adam's :math:`\beta_1`) inversely to the learning rate.
    base_momentum : float or list of float, default 0.85
        The momentum :math:`\mu_{\text{base}}` at the peak of the learning rate.
    max_momentum : float or list of float, default 0.95
        The momentum :math:`\mu_{\max}` at the start and the end.
    div_factor : float, default 25.0
        :math:`d`: the initial learning rate is :math:`\eta_{\max}/d`.
    final_div_factor : float, default 1e4
        :math:`d_f`: the final learning rate is :math:`\eta_{\max}/(d\,d_f)`.
    three_phase : bool, default False
        Fall back to the initial learning rate symmetrically to the rise before the
        final annihilation (the paper's schedule; the default is fastai's two phases).
    last_epoch : int, default -1
        The index of the last *batch*, when resuming; ``-1`` starts afresh.

    Raises
    ------
    ValueError
        If ``total_steps`` (or ``epochs`` or ``steps_per_epoch``) is not a positive
        integer or neither is given, ``pct_start`` is not a float in :math:`[0, 1]`,
        ``anneal_strategy`` is unknown, a list has not one entry per param group,
        ``cycle_momentum`` is set for an optimizer with neither ``momentum`` nor
        ``betas``, or ``step()`` is called more than ``total_steps`` times. Also if
        :math:`rT = 1` exactly, which leaves the rise no step (PyTorch divides by zero
        in the constructor).
    TypeError
        If ``optimizer`` is not a ``torch.optim.Optimizer``.
    KeyError
        If ``last_epoch`` is not -1 and a param group has no ``'initial_lr'``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: Literal["cos", "linear"] = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer

        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(
                    "You must define either total_steps OR (epochs AND steps_per_epoch)"
                )
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(
                    f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}"
                )
            total_steps = epochs * steps_per_epoch
        self.total_steps = total_steps

        # torch's phase table (saved in the state_dict): where each phase ends and which
        # param-group keys it anneals between, the knots of one_cycle_knots by name;
        # total_steps and pct_start are checked there
        ends = one_cycle_phases(total_steps, pct_start, three_phase)
        lr_keys = one_cycle_knots(*_LR_KEYS, three_phase)
        momentum_keys = one_cycle_knots(*_MOMENTUM_KEYS, three_phase)
        self._schedule_phases = [
            {
                "end_step": end,
                "start_lr": lr_keys[k],
                "end_lr": lr_keys[k + 1],
                "start_momentum": momentum_keys[k],
                "end_momentum": momentum_keys[k + 1],
            }
            for k, end in enumerate(ends)
        ]

        check_anneal_strategy(anneal_strategy)
        self._anneal_func_type = anneal_strategy

        max_lrs = per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for lr, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = lr / div_factor  # η₀ = η_max / d, overwritten
                group["max_lr"] = lr
                group["min_lr"] = group["initial_lr"] / final_div_factor  # η_max / (d d_f)

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            max_momentums = per_group("max_momentum", optimizer, max_momentum)
            base_momentums = per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for max_m, base_m, group in zip(
                    max_momentums, base_momentums, optimizer.param_groups, strict=True
                ):
                    self._set_momentum(group, max_m)  # the cycle starts at max_momentum
                    group["max_momentum"] = max_m
                    group["base_momentum"] = base_m

        super().__init__(optimizer, last_epoch)

    # torch's names of the two annealings (old checkpoints refer to them)
    _annealing_cos = staticmethod(annealing_cos)
    _annealing_linear = staticmethod(annealing_linear)

    def _anneal_func(self, start: Any, end: Any, pct: float) -> Any:
        """Anneal from ``start`` to ``end`` by ``anneal_strategy``, as torch's method does.

        A state loaded from a checkpoint of torch < 2.2 has no ``_anneal_func_type`` but
        the function itself, ``anneal_func``.
        """
        if hasattr(self, "_anneal_func_type"):
            return check_anneal_strategy(self._anneal_func_type)(start, end, pct)
        return self.anneal_func(start, end, pct)  # type: ignore[attr-defined]

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])  # β₁ plays the momentum
        else:
            group["momentum"] = momentum

    def _knots(self, group: dict[str, Any], kind: str) -> list[Any]:
        """Return a group's values at step 0 and at each phase's end (``kind``: lr, momentum)."""
        phases = self._schedule_phases
        return [group[phases[0][f"start_{kind}"]]] + [group[p[f"end_{kind}"]] for p in phases]

    def get_lr(self) -> list[float]:
        """Return the learning rates at step ``last_epoch``; also set the momenta if cycled."""
        warn_if_called_outside_step(self)
        step = self.last_epoch
        check_step(step, self.total_steps)  # steps 0, ..., T only
        ends = [phase["end_step"] for phase in self._schedule_phases]
        anneal = self._anneal_func
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(one_cycle_value(step, self._knots(group, "lr"), ends, anneal))
            if self.cycle_momentum:
                momentum = one_cycle_value(step, self._knots(group, "momentum"), ends, anneal)
                self._set_momentum(group, momentum)  # μ falls while η rises
        return lrs
