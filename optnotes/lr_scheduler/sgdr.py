r"""Cosine annealing with warm restarts (SGDR; Loshchilov & Hutter, 2017).

.. math::
    \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\,
    \frac{1}{2}\Bigl(1 + \cos\frac{\pi T_{\text{cur}}}{T_i}\Bigr),
    \qquad T_i = T_0 T_{\text{mult}}^i \text{ in the } i\text{-th cycle}
"""

import math

from torch.optim import Optimizer

from ._base import LRScheduler, warn_if_called_outside_step
from .schedules.decay import cosine_annealing_lr
from .schedules.restarts import sgdr_cycle

__all__ = ["CosineAnnealingWarmRestarts"]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Anneal the learning rates along a cosine, restarting from the top after each cycle.

    A drop-in replacement for
    :class:`torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`: same arguments,
    errors, ``state_dict`` and learning rates, bit for bit, for ``step()`` and for
    ``step(epoch)`` with fractional epochs.

    The scheduler keeps two counters: :math:`T_{\text{cur}}`, the steps since the last
    restart (``T_cur``), and :math:`T_i`, the length of the current cycle (``T_i``).
    Each ``step()`` adds 1 to :math:`T_{\text{cur}}`; when it reaches :math:`T_i` the
    cycle restarts, :math:`T_{\text{cur}} \leftarrow T_{\text{cur}} \bmod T_i` and
    :math:`T_i \leftarrow T_{\text{mult}} T_i`. The learning rate is then the closed
    form ``cosine_annealing_lr(T_cur, base_lr, eta_min, T_i)``; it is not recursive,
    so a learning rate set by hand is overwritten at the next step.

    ``step(epoch)`` jumps to any epoch :math:`t \ge 0`, fractional ones included (call
    it with ``epoch + i / iters`` after each of the ``iters`` batches of an epoch): the
    counters are then computed from :math:`t` by ``schedules.sgdr_cycle``, and
    ``last_epoch`` becomes :math:`\lfloor t \rfloor`. Unlike other schedulers', this
    path is not deprecated and gives no warning. Calls with and without ``epoch`` can
    be mixed: ``step(26)`` then ``step()`` is ``step(27)``. With
    :math:`T_{\text{mult}} > 1`, ``step(epoch)`` places a few restart epochs at the end
    of the previous cycle (see ``schedules.sgdr_cycle``), as PyTorch does.

    Resuming with ``last_epoch = k`` counts from :math:`T_{\text{cur}} = k + 1` with a
    single restart check, which is right for :math:`T_{\text{mult}} = 1` but, for
    :math:`T_{\text{mult}} > 1`, only while :math:`k + 1 < 2T_0`
    (``load_state_dict`` restores the counters).

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    T_0 : int
        The length :math:`T_0` of the first cycle, a positive integer.
    T_mult : int, default 1
        The factor :math:`T_{\text{mult}} \ge 1`, an integer, by which each cycle is
        longer than the one before.
    eta_min : float, default 0.0
        The smallest learning rate :math:`\eta_{\min}`, at the end of each cycle.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.

    Raises
    ------
    ValueError
        If ``T_0`` is not a positive integer, ``T_mult`` not an integer
        :math:`\ge 1`, or ``eta_min`` not a float or an int.
    TypeError
        If ``optimizer`` is not a ``torch.optim.Optimizer``.
    KeyError
        If ``last_epoch`` is not -1 and a param group has no ``'initial_lr'``.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, float | int):
            raise ValueError(
                f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Return the learning rates at ``T_cur`` steps into a cycle of ``T_i`` steps."""
        warn_if_called_outside_step(self)
        return [
            cosine_annealing_lr(self.T_cur, base_lr, self.eta_min, self.T_i)
            for base_lr in self.base_lrs
        ]

    def step(self, epoch: float | None = None) -> None:
        """Advance one step, or jump to ``epoch``.

        Parameters
        ----------
        epoch : float or None, default None
            The epoch to jump to, possibly fractional; ``None`` advances one step.

        Raises
        ------
        ValueError
            If ``epoch`` is negative.
        """
        if epoch is None and self.last_epoch < 0:
            epoch = 0  # the step made by the constructor
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:  # restart: T_cur ← T_cur − T_i, T_i ← T_mult·T_i
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            self.T_cur, self.T_i = sgdr_cycle(epoch, self.T_0, self.T_mult)
        # set last_epoch, write get_lr() into the param groups, remember them (torch's tail)
        self._update_lr(math.floor(epoch))
