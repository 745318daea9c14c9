r"""Reduce the learning rate when a monitored metric stops improving.

With mode ``'min'`` a metric :math:`m_t` improves on the best value :math:`b`
seen so far when

.. math::
    m_t < b\,(1 - \delta) \quad \text{(threshold\_mode 'rel')}, \qquad
    m_t < b - \delta \quad \text{(threshold\_mode 'abs')},

and with mode ``'max'`` when :math:`m_t > b\,(1 + \delta)` or
:math:`m_t > b + \delta`. After more than ``patience`` steps without
improvement every learning rate is cut,

.. math::
    \eta \leftarrow \max(\eta \cdot \text{factor},\ \eta_{\min})
    \quad \text{only if the cut is larger than } \varepsilon .
"""

import math
import warnings
from typing import Any, SupportsFloat

from torch.optim import Optimizer, lr_scheduler

from ._base import EPOCH_DEPRECATION_WARNING, current_lrs, set_group_value

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(lr_scheduler.ReduceLROnPlateau):
    r"""Reduce the learning rates when a metric has stopped improving.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.ReduceLROnPlateau`:
    same arguments (``verbose``, removed from torch, is refused), same
    learning rates, counters and ``state_dict``. It subclasses torch's class, so
    code that checks ``isinstance(s, torch.optim.lr_scheduler.ReduceLROnPlateau)``
    (training loops that feed it a metric, ``SequentialLR`` refusing it) treats
    it alike, but overrides every method: none of torch's logic runs. Like
    torch's class it does not run ``LRScheduler.__init__``: it neither sets
    ``initial_lr`` nor changes the learning rate at construction, and
    ``step`` takes the metric.

    Each ``step(metrics)`` does, in this order:

    1. if the metric improves on ``best`` (see the module docstring), it
       becomes ``best`` and the count of bad steps is reset, otherwise the
       count grows by one;
    2. during a cooldown the cooldown counter ticks down and bad steps are not
       counted;
    3. when the count exceeds ``patience``, every learning rate is reduced to
       :math:`\max(\eta\cdot\text{factor}, \eta_{\min})`, the cooldown starts
       and the count is reset.

    Points that surprise:

    * a reduction smaller than ``eps`` is skipped, so once :math:`\eta` is
      within ``eps`` of ``min_lr`` (or :math:`\eta(1-\text{factor}) \le
      \varepsilon`) the learning rate stops moving;
    * the ``'rel'`` threshold scales with :math:`b`, so for a negative metric
      in mode ``'min'`` the bar :math:`b(1-\delta)` lies *above* :math:`b`
      and a slightly worse value counts as an improvement;
    * ``patience=0`` cuts at the first step that does not improve.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are reduced.
    mode : str, default 'min'
        ``'min'``: the metric should decrease (a loss); ``'max'``: increase.
    factor : float, default 0.1
        The factor that multiplies the learning rates at a reduction, < 1.
    patience : int, default 10
        The number of steps without improvement that are tolerated.
    threshold : float, default 1e-4
        The smallest improvement :math:`\delta` that counts.
    threshold_mode : str, default 'rel'
        ``'rel'``: :math:`\delta` is relative to ``best``; ``'abs'``: absolute.
    cooldown : int, default 0
        The number of steps after a reduction during which bad steps are
        not counted.
    min_lr : float or list of float, default 0
        The lower bound :math:`\eta_{\min}` of the learning rates, one for all
        param groups or one per group.
    eps : float, default 1e-8
        Reductions of a learning rate by at most :math:`\varepsilon` are skipped.

    Raises
    ------
    ValueError
        If ``factor >= 1``, ``min_lr`` is a list of the wrong length, or
        ``mode`` or ``threshold_mode`` is unknown.
    TypeError
        If ``optimizer`` is not a ``torch.optim.Optimizer``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        self.factor = factor
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if isinstance(min_lr, list | tuple):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(
                    f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}"
                )
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            # a scalar also covers param groups added to the optimizer later
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = current_lrs(optimizer)
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        """Check and store the comparison settings (torch's name, called on load too)."""
        if mode not in {"min", "max"}:
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        self.mode_worse = math.inf if mode == "min" else -math.inf  # any metric beats it
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def _reset(self) -> None:
        """Forget the best value and both counters."""
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        """Whether the scheduler is in the cooldown after a reduction."""
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves on ``best`` by more than the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)  # m < b(1 − δ)
        if self.mode == "min":
            return a < best - self.threshold  # m < b − δ
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)  # m > b(1 + δ)
        return a > best + self.threshold  # m > b + δ

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:
        """Record the metric of the step that just ended and cut the learning rates if due.

        Parameters
        ----------
        metrics : float or torch.Tensor
            The monitored value (a 0-dim tensor is read out).
        epoch : int or None, default None
            Deprecated in torch: sets the step counter instead of advancing it.
        """
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch

        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1

        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad steps in the cooldown do not count

        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

        self._last_lr = current_lrs(self.optimizer)

    def _reduce_lr(self) -> None:
        """Cut every learning rate: η ← max(η·factor, η_min), unless the cut is ≤ eps."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    "The number of param groups in the `optimizer` "
                    f"({len(groups)}) differs "
                    f"from when `ReduceLROnPlateau` was initialized "
                    f"({len(self.min_lrs)}), usually due to a new "
                    "param group being added to the optimizer. Please "
                    "modify the `min_lrs` field to match the length "
                    "of the `optimizer` param groups."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)  # η ← max(η·factor, η_min)
            if old_lr - new_lr > self.eps:  # skip cuts of at most ε
                set_group_value(group, "lr", new_lr)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load the state written by ``state_dict`` (ours or torch's)."""
        self.__dict__.update(state_dict)
        self._init_is_better(
            mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode
        )
