r"""Schedules given as functions of the step: ``LambdaLR`` and ``MultiplicativeLR``.

.. math::
    \text{LambdaLR: } \eta_t = \eta_0\, \lambda(t), \qquad
    \text{MultiplicativeLR: } \eta_t = \eta_{t-1}\, \lambda(t)
    = \eta_0 \prod_{s=1}^{t} \lambda(s)

Any schedule of :mod:`~optnotes.lr_scheduler.schedules` is a ``lr_lambda`` for
``LambdaLR``: ``LambdaLR(opt, schedules.warmup(schedules.cosine(90), 10))``.
"""

import types
from collections.abc import Callable, Sequence
from typing import Any

from torch.optim import Optimizer

from ._base import LRScheduler, current_lrs, per_group, warn_if_called_outside_step

__all__ = ["LambdaLR", "MultiplicativeLR"]

LrLambda = Callable[[int], float]


class _PerGroupLambdas(LRScheduler):
    """What ``LambdaLR`` and ``MultiplicativeLR`` share: one function per param group.

    The ``state_dict`` holds, in place of each function, ``None`` for a plain function
    or ``lambda`` (which cannot be saved: it is code) and a copy of ``__dict__`` for a
    callable object (its state); ``load_state_dict`` updates the ``__dict__`` of the
    functions the scheduler was built with. This is torch's layout, so a state saved
    by either library loads into the other.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: LrLambda | Sequence[LrLambda],
        last_epoch: int = -1,
    ) -> None:
        self.optimizer = optimizer
        # one function per group: a list or tuple must have one entry per group (ValueError)
        self.lr_lambdas: list[LrLambda] = per_group("lr_lambda", optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """Return the state, with the state of each ``lr_lambda`` that is a callable object.

        Every entry of ``self.__dict__`` but the optimizer and the functions, and under
        ``"lr_lambdas"`` one entry per param group: ``None`` for a function or a
        ``lambda``, a copy of its ``__dict__`` for a callable object.

        Returns
        -------
        dict
            The scheduler's state.
        """
        state = {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "lr_lambdas")
        }
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state from ``state_dict``, restoring the state of callable objects.

        The functions themselves are not replaced: each saved ``__dict__`` updates the
        one of the ``lr_lambda`` this scheduler was built with, and functions saved as
        ``None`` are left as they are. ``state_dict`` is left unchanged.

        Parameters
        ----------
        state_dict : dict
            A state returned by ``state_dict`` (of this class or of torch's).
        """
        lr_lambdas = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        state_dict["lr_lambdas"] = lr_lambdas  # give the caller its dict back, as torch does
        for idx, saved in enumerate(lr_lambdas):
            if saved is not None:
                self.lr_lambdas[idx].__dict__.update(saved)


class LambdaLR(_PerGroupLambdas):
    r"""Set the learning rate of each param group to its initial value times ``lr_lambda(t)``.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.LambdaLR`: same
    arguments, learning rates and ``state_dict`` (see below). The schedule is the
    function itself, evaluated afresh at every step (there is no recursion),

    .. math::
        \eta_t = \eta_0\, \lambda(t),

    so a learning rate changed by hand is overwritten at the next step. Every
    schedule of :mod:`~optnotes.lr_scheduler.schedules` can be passed as
    ``lr_lambda``.

    ``state_dict`` stores each ``lr_lambda`` only when it is a callable object, not a
    function or a ``lambda``: then the ``__dict__`` of the object, which
    ``load_state_dict`` copies into the object the new scheduler was built with.
    A ``functools.partial`` (a schedule of :mod:`~optnotes.lr_scheduler.schedules`)
    counts as an object, with an empty ``__dict__``.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    lr_lambda : callable or list of callable
        The factor :math:`\lambda(t)` as a function of the step, or a list or tuple
        of such functions, one per param group.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.

    Raises
    ------
    ValueError
        If a list or tuple ``lr_lambda`` does not have one function per param group.
    TypeError
        If an ``lr_lambda`` is not callable (torch fails at once too, calling it in
        the constructor's step).
    """

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch``, from the initial ones."""
        warn_if_called_outside_step(self)
        return [
            base_lr * fn(self.last_epoch)  # η_t = η₀ λ(t)
            for fn, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]


class MultiplicativeLR(_PerGroupLambdas):
    r"""Multiply the learning rate of each param group by ``lr_lambda(t)`` at every step.

    A drop-in replacement for :class:`torch.optim.lr_scheduler.MultiplicativeLR`:
    same arguments, checks, learning rates and ``state_dict`` (stored as
    ``LambdaLR``'s). The scheduler is recursive,

    .. math::
        \eta_t = \eta_{t-1}\, \lambda(t) = \eta_0 \prod_{s=1}^{t} \lambda(s),

    where the construction (step 0) leaves the learning rate alone and never calls
    :math:`\lambda`; a learning rate changed by hand keeps being multiplied from its
    new value. ``MultiplicativeLR(opt, lambda t: gamma)`` is ``ExponentialLR(opt,
    gamma)``.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose learning rates are scheduled.
    lr_lambda : callable or list of callable
        The factor :math:`\lambda(t)` of step :math:`t`, or a list or tuple of such
        functions, one per param group.
    last_epoch : int, default -1
        The index of the last step, when resuming; ``-1`` starts afresh.

    Raises
    ------
    ValueError
        If a list or tuple ``lr_lambda`` does not have one function per param group.
    TypeError
        If an ``lr_lambda`` is not callable.
    """

    def get_lr(self) -> list[float]:
        """Learning rates for step ``last_epoch``, from the current ones."""
        warn_if_called_outside_step(self)
        if self._is_initial:
            # the step made by the constructor keeps the lr (also when resuming)
            return current_lrs(self.optimizer)
        return [
            group["lr"] * fn(self.last_epoch)  # η_t = η_{t−1} λ(t)
            for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)
        ]
