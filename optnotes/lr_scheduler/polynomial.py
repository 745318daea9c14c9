r"""Polynomial decay: from the initial learning rate down to 0 in ``total_iters`` steps.

.. math::
    \eta_t = \eta_0 \Bigl(1 - \frac{\min(t, T)}{T}\Bigr)^{p}
"""

from torch.optim import Optimizer

from ._base import LRScheduler, current_lrs, warn_if_called_outside_step
from .schedules import polynomial_factor

__all__ = ["PolynomialLR"]


class PolynomialLR(LRScheduler):
    r"""Decay the learning rate of each param group along a polynomial, to 0 at ``total_iters``.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.PolynomialLR`: same
    arguments, learning rates (bit for bit) and ``state_dict``. The closed form is
    ``polynomial_factor`` (as a schedule, ``schedules.polynomial``),

    .. math::
        \eta_t = \eta_0 \Bigl(1 - \frac{\min(t, T)}{T}\Bigr)^{p}.

    Like torch, the scheduler applies it *recursively*, multiplying the current
    learning rate by the ratio of two consecutive factors,

    .. math::
        \eta_t = \eta_{t-1} \left(\frac{1 - t/T}{1 - (t-1)/T}\right)^{p},
        \qquad 1 \le t \le T,

    which is 0 at :math:`t = T` (for :math:`p > 0`); after :math:`T` the learning rate
    is left alone. A learning rate changed by hand before :math:`T` is rescaled and
    still reaches 0 at :math:`T`; one changed after :math:`T` keeps its new value.

    With ``total_iters`` 0 or negative the recursion never divides and the learning
    rates never change, as in torch; ``step(epoch)``, which evaluates the closed form,
    then raises ``ZeroDivisionError`` for 0.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    total_iters : int, default 5
        The number of steps :math:`T` to reach 0.
    power : float, default 1.0
        The power :math:`p` of the polynomial.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch``, from the current ones."""
        warn_if_called_outside_step(self)
        t, T = self.last_epoch, self.total_iters
        if self._is_initial or t > T:
            # the step made by the constructor keeps the lr (also when resuming), and
            # after T the factor stays at 0: f(t) = f(t-1)
            return current_lrs(self.optimizer)
        # η_t = η_{t−1} · ((1 − t/T) / (1 − (t−1)/T))^p, the ratio f(t) / f(t−1)
        ratio = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        """Closed-form learning rates at ``last_epoch`` (for ``step(epoch)``, ``SequentialLR``)."""
        f = polynomial_factor(self.last_epoch, self.total_iters, self.power)
        return [base_lr * f for base_lr in self.base_lrs]  # η_t = η₀ (1 − min(t, T)/T)^p
