r"""Linear warm-up (or decay): move the factor linearly from ``start_factor`` to ``end_factor``.

.. math::
    \eta_t = \eta_0 \Bigl(f_0 + (f_1 - f_0)\, \frac{\min(t, T)}{T}\Bigr)
"""

from torch.optim import Optimizer

from ._base import LRScheduler, current_lrs, warn_if_called_outside_step
from .schedules import linear_factor

__all__ = ["LinearLR"]


class LinearLR(LRScheduler):
    r"""Scale the learning rate of each param group by a factor moving linearly in ``total_iters``.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.LinearLR`: same
    arguments, checks, learning rates (bit for bit) and ``state_dict``. The closed
    form is ``linear_factor``,

    .. math::
        \eta_t = \eta_0 \Bigl(f_0 + (f_1 - f_0)\, \frac{\min(t, T)}{T}\Bigr),

    as a schedule ``linear(f_0, f_1, T)``. Like torch, the scheduler applies it
    *recursively*: at step 0 the current learning rate is multiplied by
    :math:`f_0`, then, up to step :math:`T`, by the ratio of consecutive factors

    .. math::
        \frac{f(t)}{f(t-1)} = \frac{T f_0 + t\,(f_1 - f_0)}{T f_0 + (t-1)(f_1 - f_0)}
        = 1 + \frac{f_1 - f_0}{T f_0 + (t-1)(f_1 - f_0)},

    and after :math:`T` it is left alone. A learning rate changed by hand during the
    ramp is therefore rescaled, not overwritten. With ``total_iters=0`` the learning
    rates stay at :math:`f_0 \eta_0` for good, as in torch (the recursion never
    reaches the end of a ramp of length 0); ``step(epoch)`` then divides by zero.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    start_factor : float, default 1/3
        The factor :math:`f_0 \in (0, 1]` at step 0.
    end_factor : float, default 1.0
        The factor :math:`f_1 \in [0, 1]` from step :math:`T` on.
    total_iters : int, default 5
        The length :math:`T` of the ramp.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.

    Raises
    ------
    ValueError
        If ``start_factor`` is not in :math:`(0, 1]` or ``end_factor`` not in
        :math:`[0, 1]`.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                f"equal to 1, got start_factor={start_factor}."
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(
                "Ending multiplicative factor expected to be between 0 and 1, "
                f"got end_factor={end_factor}."
            )
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch``, from the current ones."""
        warn_if_called_outside_step(self)
        t, T = self.last_epoch, self.total_iters
        f0, f1 = self.start_factor, self.end_factor
        if t == 0:
            return [group["lr"] * f0 for group in self.optimizer.param_groups]  # η₀ ← f₀ η₀
        if self._is_initial or t > T:
            # the step made by the constructor when resuming keeps the lr, and after T
            # the factor stays at f₁: f(t) = f(t-1)
            return current_lrs(self.optimizer)
        # η_t = η_{t−1} · (1 + (f₁ − f₀) / (T f₀ + (t − 1)(f₁ − f₀))), i.e. f(t) / f(t−1)
        ratio = 1.0 + (f1 - f0) / (T * f0 + (t - 1) * (f1 - f0))
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        """Closed-form learning rates at ``last_epoch`` (for ``step(epoch)``, ``SequentialLR``)."""
        f = linear_factor(self.last_epoch, self.start_factor, self.end_factor, self.total_iters)
        return [base_lr * f for base_lr in self.base_lrs]  # η_t = η₀ f(t)
