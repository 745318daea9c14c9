r"""The closed forms of ``LinearLR`` and ``ConstantLR``: a linear ramp and a step up to 1.

Both are usually warm-ups: a factor held below 1 (``ConstantLR``) or moved linearly
(``LinearLR``) for ``total_iters`` steps. As schedules (see
:mod:`~optnotes.lr_scheduler.schedules.base`) they are pieces of
:mod:`~optnotes.lr_scheduler.schedules.piecewise`:

* ``LinearLR(start_factor, end_factor, total_iters)`` is
  ``linear(start_factor, end_factor, total_iters)``;
* ``ConstantLR(factor, total_iters)`` is
  ``join([constant(factor), constant(1.0)], [total_iters])``.

The functions here are the same shapes written as PyTorch evaluates them in the
schedulers' ``_get_closed_form_lr`` (the path of the deprecated ``step(epoch)`` and of
``SequentialLR``'s milestones), operation for operation, so that the schedulers give
torch's floats bit for bit. They agree with the schedules above to round-off: after the
ramp, for instance, :math:`f_0 + (f_1 - f_0)` need not be exactly :math:`f_1`.
"""

__all__ = ["constant_factor", "linear_factor"]


def linear_factor(
    step: int,
    start_factor: float = 1.0 / 3,
    end_factor: float = 1.0,
    total_iters: int = 5,
) -> float:
    r"""Move the factor linearly from ``start_factor`` to ``end_factor`` in ``total_iters`` steps.

    .. math::
        f(t) = f_0 + (f_1 - f_0)\, \frac{\min(t, T)}{T}

    Parameters
    ----------
    step : int
        The step :math:`t`.
    start_factor : float, default 1/3
        The factor :math:`f_0` at step 0.
    end_factor : float, default 1.0
        The factor :math:`f_1` from step :math:`T` on.
    total_iters : int, default 5
        The length :math:`T` of the ramp.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    # f₀ + (f₁ − f₀)·min(t, T)/T, in torch's order of operations
    return start_factor + (end_factor - start_factor) * min(total_iters, step) / total_iters


def constant_factor(step: int, factor: float = 1.0 / 3, total_iters: int = 5) -> float:
    r"""Hold the factor at ``factor`` for ``total_iters`` steps, then at 1.

    .. math::
        f(t) = \begin{cases} c & t < T \\ 1 & t \ge T \end{cases}
        \;=\; c + [t \ge T]\,(1 - c)

    Parameters
    ----------
    step : int
        The step :math:`t`.
    factor : float, default 1/3
        The factor :math:`c` before step :math:`T`.
    total_iters : int, default 5
        The step :math:`T` at which the factor returns to 1.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    return factor + (step >= total_iters) * (1 - factor)  # c + [t ≥ T](1 − c), as torch
