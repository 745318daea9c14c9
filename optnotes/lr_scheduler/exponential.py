r"""Exponential decay: multiply the learning rate by :math:`\gamma` at every step.

.. math::
    \eta_t = \eta_0\, \gamma^{t}
"""

from torch.optim import Optimizer

from ._base import LRScheduler, current_lrs, warn_if_called_outside_step
from .schedules import exponential_factor

__all__ = ["ExponentialLR"]


class ExponentialLR(LRScheduler):
    r"""Decay the learning rate of each param group by ``gamma`` at every step.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.ExponentialLR`:
    same arguments, learning rates and ``state_dict``. The closed form is
    ``exponential_factor`` (as a schedule, ``schedules.exponential``); like
    torch, and because bit-for-bit parity with torch needs it, the scheduler
    applies it *recursively*, :math:`\eta_t = \gamma\,\eta_{t-1}`, so a
    learning rate changed by hand keeps decaying from its new value. The
    recursive product and the power :math:`\eta_0\gamma^t` agree to float
    round-off only.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    gamma : float
        The decay factor :math:`\gamma`.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch``, from the current ones."""
        warn_if_called_outside_step(self)
        if self._is_initial:
            # the step made by the constructor keeps the lr (also when resuming)
            return current_lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]  # η ← γη

    def _get_closed_form_lr(self) -> list[float]:
        """Closed-form learning rates at ``last_epoch`` (for ``step(epoch)``, ``SequentialLR``)."""
        f = exponential_factor(self.last_epoch, self.gamma)
        return [base_lr * f for base_lr in self.base_lrs]  # η_t = η₀ γᵗ
