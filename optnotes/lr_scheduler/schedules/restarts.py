r"""Cosine annealing with warm restarts (SGDR; Loshchilov & Hutter, 2017) in closed form.

The learning rate follows ``cosine_annealing_lr`` within a cycle and jumps back to the
top at each restart; the :math:`i`-th cycle lasts :math:`T_i = T_0 T_{\text{mult}}^i`
steps. With :math:`T_{\text{cur}}` the steps since the last restart:

.. math::
    \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\,
    \frac{1}{2}\Bigl(1 + \cos\frac{\pi T_{\text{cur}}}{T_i}\Bigr)

``sgdr_cycle`` locates a (possibly fractional) epoch in its cycle, ``sgdr_lr`` is the
learning rate there, and the factory ``sgdr`` the schedule (see
:mod:`~optnotes.lr_scheduler.schedules.base`). ``CosineAnnealingWarmRestarts`` counts
:math:`T_{\text{cur}}` and :math:`T_i` up itself at each ``step()``, and calls
``sgdr_cycle`` for ``step(epoch)``.
"""

import math
from functools import partial

from .base import Schedule
from .decay import cosine_annealing_lr

__all__ = ["sgdr", "sgdr_cycle", "sgdr_lr"]


def sgdr_cycle(epoch: float, T_0: int, T_mult: int = 1) -> tuple[float, int]:
    r"""Locate ``epoch`` in its cycle: the time since the last restart and the cycle length.

    With :math:`T_{\text{mult}} = 1` every cycle lasts :math:`T_0` and
    :math:`T_{\text{cur}} = t \bmod T_0`. Otherwise the restarts are at
    :math:`T_0 (T_{\text{mult}}^n - 1) / (T_{\text{mult}} - 1)`, so

    .. math::
        n = \Bigl\lfloor \log_{T_{\text{mult}}}\Bigl(
            \frac{t}{T_0}(T_{\text{mult}} - 1) + 1\Bigr) \Bigr\rfloor, \qquad
        T_{\text{cur}} = t - T_0\,\frac{T_{\text{mult}}^n - 1}{T_{\text{mult}} - 1},
        \qquad T_i = T_0 T_{\text{mult}}^n.

    This is PyTorch's ``CosineAnnealingWarmRestarts.step(epoch)``, floating point
    included: ``math.log(x, base)`` can round an exact power of the base to just below
    the integer (:math:`\log_3 243 = 4.999\ldots`, :math:`\log_{10} 1000 = 2.999\ldots`),
    and the epoch of such a restart is then placed at the *end* of the previous cycle,
    :math:`T_{\text{cur}} = T_i`, where the learning rate is :math:`\eta_{\min}`
    instead of :math:`\eta_0` (with :math:`T_0 = 1, T_{\text{mult}} = 3`: at
    :math:`t = 121`). Counting ``step()`` by ``step()`` does not have this glitch.

    Parameters
    ----------
    epoch : float
        The epoch :math:`t \ge 0`, fractional to move within an epoch.
    T_0 : int
        The length of the first cycle.
    T_mult : int, default 1
        The factor :math:`T_{\text{mult}} \ge 1` by which each cycle is longer than the
        one before.

    Returns
    -------
    tuple of (float, int)
        :math:`T_{\text{cur}}` and :math:`T_i`.

    Raises
    ------
    ValueError
        If ``epoch`` is negative.
    """
    if epoch < 0:
        raise ValueError(f"Expected non-negative epoch, but got {epoch}")
    if epoch < T_0:
        return epoch, T_0  # still in the first cycle
    if T_mult == 1:
        return epoch % T_0, T_0
    n = int(math.log((epoch / T_0 * (T_mult - 1) + 1), T_mult))  # restarts so far
    return epoch - T_0 * (T_mult**n - 1) / (T_mult - 1), T_0 * T_mult**n


def sgdr_lr(epoch: float, base_lr: float, eta_min: float, T_0: int, T_mult: int = 1) -> float:
    r"""Learning rate of cosine annealing with warm restarts, in closed form.

    .. math::
        \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\,
        \frac{1}{2}\Bigl(1 + \cos\frac{\pi T_{\text{cur}}}{T_i}\Bigr)

    with :math:`(T_{\text{cur}}, T_i)` = ``sgdr_cycle(epoch, T_0, T_mult)``, i.e.
    ``cosine_annealing_lr(T_cur, base_lr, eta_min, T_i)``.

    Parameters
    ----------
    epoch : float
        The epoch :math:`t \ge 0`.
    base_lr : float
        The learning rate :math:`\eta_0` at each restart.
    eta_min : float
        The learning rate :math:`\eta_{\min}` at the end of each cycle.
    T_0, T_mult : int
        The length of the first cycle and the growth factor, as in ``sgdr_cycle``.

    Returns
    -------
    float
        The learning rate :math:`\eta_t`.
    """
    T_cur, T_i = sgdr_cycle(epoch, T_0, T_mult)
    return cosine_annealing_lr(T_cur, base_lr, eta_min, T_i)


def sgdr(T_0: int, T_mult: int = 1, eta_min_ratio: float = 0.0) -> Schedule:
    r"""Return cosine annealing with warm restarts as a schedule of factors (``sgdr_lr``).

    ``sgdr_lr`` with :math:`\eta_0 = 1` and :math:`\eta_{\min} = r`: the learning
    rates of ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min=r·lr)`` divided by
    ``lr`` (up to round-off, and but for the restarts ``sgdr_cycle`` misplaces).

    Parameters
    ----------
    T_0 : int
        The length of the first cycle, a positive integer.
    T_mult : int, default 1
        The growth factor of the cycles, an integer :math:`\ge 1`.
    eta_min_ratio : float, default 0.0
        The bottom :math:`r` of each cycle, as a fraction of the initial learning rate.

    Returns
    -------
    callable
        The factor as a function of the step.

    Raises
    ------
    ValueError
        If ``T_0`` or ``T_mult`` is not an integer in range.
    """
    if T_0 <= 0 or not isinstance(T_0, int):
        raise ValueError(f"Expected positive integer T_0, but got {T_0}")
    if T_mult < 1 or not isinstance(T_mult, int):
        raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
    return partial(sgdr_lr, base_lr=1.0, eta_min=eta_min_ratio, T_0=T_0, T_mult=T_mult)
