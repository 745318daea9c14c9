r"""Cyclical learning rates (Smith, 2017), with momentum cycled the opposite way.

.. math::
    \eta_t = \eta_{\text{base}} + (\eta_{\max} - \eta_{\text{base}})\, h_t\, \sigma,
    \qquad
    \mu_t = \mu_{\max} + (\mu_{\text{base}} - \mu_{\max})\, h_t\, \sigma

with the triangle wave :math:`h_t \in [0, 1]` and amplitude policy :math:`\sigma`
of ``schedules.cyclic_value``.
"""

import types
from collections.abc import Callable
from typing import Any

from torch.optim import Optimizer

from ._base import LRScheduler, per_group, set_group_value, warn_if_called_outside_step
from .schedules import cyclic_geometry, cyclic_scale_fn, cyclic_value

__all__ = ["CyclicLR"]


class CyclicLR(LRScheduler):
    r"""Cycle the learning rate of each param group between two bounds.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.CyclicLR`: same
    arguments, learning rates, momenta and ``state_dict``. The values come from
    ``cyclic_value``, once for the learning rate (rising from ``base_lr`` to
    ``max_lr``) and once for the momentum (falling from ``max_momentum`` to
    ``base_momentum`` while the learning rate rises). It is not recursive: the
    learning rate at step :math:`t` depends on :math:`t` only, so a learning
    rate set by hand is overwritten at the next step.

    Like torch, the constructor **overwrites** the optimizer's learning rates
    with ``base_lr`` and, with ``cycle_momentum``, its momenta with
    ``max_momentum``: ``group['momentum']`` for optimizers that have one (a
    ``torch.optim.SGD`` built with ``momentum=0`` thereby gets momentum
    switched on) or the first entry of ``group['betas']`` (Adam and friends).

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    base_lr : float or list of float
        The bottom of the cycle, one for all param groups or one per group.
    max_lr : float or list of float
        The top of the cycle (reached only if the amplitude policy allows).
    step_size_up : int, default 2000
        Steps from ``base_lr`` up to ``max_lr``.
    step_size_down : int or None, default None
        Steps back down; ``None`` means the same as ``step_size_up``.
    mode : str, default 'triangular'
        The amplitude policy: ``'triangular'``, ``'triangular2'`` or
        ``'exp_range'`` (see ``cyclic_scale_fn``); ignored when ``scale_fn`` is
        given.
    gamma : float, default 1.0
        The per-step amplitude decay of ``'exp_range'``.
    scale_fn : callable or None, default None
        A custom amplitude policy with values in :math:`[0, 1]`.
    scale_mode : str, default 'cycle'
        With ``scale_fn``: evaluate it on the cycle number (``'cycle'``) or the
        step (``'iterations'``). The built-in modes set it themselves.
    cycle_momentum : bool, default True
        Cycle the momentum (or Adam's :math:`\beta_1`) inversely to the
        learning rate.
    base_momentum : float or list of float, default 0.8
        The momentum at the peak of the learning rate.
    max_momentum : float or list of float, default 0.9
        The momentum at the bottom of the learning rate.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.

    Raises
    ------
    ValueError
        If a list has not one entry per param group, ``mode`` is unknown while
        ``scale_fn`` is ``None``, ``scale_mode`` is unknown, ``step_size_up``
        is not positive or ``step_size_down`` negative, or ``cycle_momentum``
        is set for an optimizer with neither ``momentum`` nor ``betas``.
    TypeError
        If ``optimizer`` is not a ``torch.optim.Optimizer``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer

        base_lrs = per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                set_group_value(group, "lr", lr)  # the cycle starts at base_lr
        self.max_lrs = per_group("max_lr", optimizer, max_lr)

        self.total_size, self.step_ratio = cyclic_geometry(step_size_up, step_size_down)

        if scale_mode not in {"cycle", "iterations"}:
            raise ValueError(f"scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()  # raises ValueError for an unknown mode without scale_fn

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for max_m, base_m, group in zip(
                    self.max_momentums, self.base_momentums, optimizer.param_groups, strict=True
                ):
                    self._set_momentum(group, max_m)  # the cycle starts at max_momentum
                    group["max_momentum"] = max_m
                    group["base_momentum"] = base_m

        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        """Pick the built-in amplitude policy of ``mode`` (torch's name, called on load too)."""
        if self._scale_fn_custom is None:
            self._scale_fn_ref, self.scale_mode = cyclic_scale_fn(self.mode, self.gamma)

    def scale_fn(self, x: float) -> float:
        r"""Return the amplitude :math:`\sigma(x)` of the custom policy, or else of ``mode``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])  # β₁ plays the momentum
        else:
            group["momentum"] = momentum

    def _cycle(self, low: float, high: float) -> float:
        t = self.last_epoch
        return cyclic_value(
            t, low, high, self.total_size, self.step_ratio, self.scale_fn, self.scale_mode
        )

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch``; with ``cycle_momentum``, also set the momenta."""
        warn_if_called_outside_step(self)
        lrs = [
            self._cycle(base_lr, max_lr)
            for base_lr, max_lr in zip(self.base_lrs, self.max_lrs, strict=True)
        ]
        if self.cycle_momentum:
            for group, base_m, max_m in zip(
                self.optimizer.param_groups, self.base_momentums, self.max_momentums, strict=True
            ):
                self._set_momentum(group, self._cycle(max_m, base_m))  # μ falls while η rises
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """Return the state as torch lays it out.

        A custom ``scale_fn`` is saved (as its ``__dict__``) only if it is a
        callable object; a function or lambda is not saved and must be passed
        to the constructor again.
        """
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)  # rebuilt from mode and gamma on load
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = (
            None if fn is None or isinstance(fn, types.FunctionType) else fn.__dict__.copy()
        )
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the state written by ``state_dict`` (ours or torch's)."""
        state = dict(state_dict)
        fn_state = state.pop("_scale_fn_custom")
        super().load_state_dict(state)
        if fn_state is not None:
            self._scale_fn_custom.__dict__.update(fn_state)
        self._init_scale_fn()
