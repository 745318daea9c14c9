r"""What Schedule-Free AdamW and Schedule-Free SGD share: the average, the switch, the step loop.

Both keep two sequences besides the one the gradient is taken at (see
:mod:`optnotes.optim.adamw_schedule_free` for the derivation): the parameter tensor
holds the training point :math:`y = (1-\beta) z + \beta x` in train mode and the
average :math:`x` in eval mode, and ``state[p]["z"]`` holds :math:`z`. Moving between
the two is one ``lerp`` each way (:meth:`ScheduleFree.train`, :meth:`ScheduleFree.eval`),
and every step starts with the same scalars: the warmed-up learning rate
:math:`\eta_t` and the weight :math:`c_{t+1}` of the new point in the average
(:func:`advance_schedule`). This module holds these once, as the reference package
``schedulefree`` 1.4.1 (``adamw_schedulefree.py``, ``sgd_schedulefree.py``) computes them,
operation for operation.
"""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ._base import Optimizer, check

#: The reference's message when ``step()`` is called in eval mode, word for word.
NOT_IN_TRAIN_MODE = (
    "Optimizer was not in train mode when step is called. "
    "Please insert .train() and .eval() calls on the "
    "optimizer. See documentation for details."
)


class ScheduleFreeModeError(RuntimeError):
    """``step()`` was called while the optimizer is in eval mode.

    The reference raises a bare ``Exception`` with the same message; this is a
    ``RuntimeError`` (so an ``Exception`` too: code that catches the reference's error
    catches this one), named for what went wrong.
    """


def check_warmup_steps(warmup_steps: float) -> None:
    """Refuse a negative ``warmup_steps`` (the reference treats it as 0 without a word)."""
    check(warmup_steps >= 0, f"Invalid warmup_steps value: {warmup_steps}")


def advance_schedule(group: dict[str, Any]) -> tuple[Any, Any]:
    r"""Return this step's learning rate and average weight, and record them in ``group``.

    With :math:`t = k + 1` the number of this step (``group["k"]`` steps were taken before):

    .. math::

        \eta_t &= \eta \min(1, t / T_\text{warmup}) \\
        \eta_{\max} &= \max(\eta_{\max}, \eta_t) \\
        w_t &= t^r \, \eta_{\max}^{p} \\
        c_{t+1} &= w_t \Big/ \sum_{i \le t} w_i

    with :math:`p` the ``weight_lr_power``; :math:`c_{t+1} = 0` when the sum is 0 (a
    learning rate of 0 and :math:`p > 0`). The group keeps ``scheduled_lr``
    (:math:`\eta_t`, for logging), ``lr_max`` and ``weight_sum``; ``k`` is advanced by
    the caller, after the update.

    Parameters
    ----------
    group : dict
        The param group, updated in place.

    Returns
    -------
    tuple
        :math:`(\eta_t, c_{t+1})`, Python floats (tensors where ``lr`` is a tensor).
    """
    k = group["k"]
    warmup_steps = group["warmup_steps"]
    sched = (k + 1) / warmup_steps if k < warmup_steps else 1.0  # min(1, t/T_warmup)
    lr = group["lr"] * sched  # η_t
    group["scheduled_lr"] = lr
    lr_max = group["lr_max"] = max(lr, group["lr_max"])  # η_max, never decreasing
    weight = ((k + 1) ** group["r"]) * (lr_max ** group["weight_lr_power"])  # w_t = t^r η_max^p
    weight_sum = group["weight_sum"] = group["weight_sum"] + weight  # Σ_{i≤t} w_i
    try:
        ckp1 = weight / weight_sum  # c_{t+1} = w_t / Σ w_i
    except ZeroDivisionError:
        ckp1 = 0
    return lr, ckp1


class ScheduleFree(Optimizer):
    r"""Base class of the Schedule-Free optimizers: the train/eval switch and the step loop.

    A subclass names its interpolation weight :math:`\beta` (``_interpolation``),
    creates a parameter's state (``_init_state``, ``z`` among it) and updates one
    group (``_update``).
    """

    def _interpolation(self, group: dict[str, Any]) -> float:
        r"""Return :math:`\beta` of ``group``, the weight of :math:`x` in :math:`y`."""
        raise NotImplementedError

    def _update(
        self,
        group: dict[str, Any],
        params: list[Tensor],
        grads: list[Tensor],
        *,
        lr: Any,
        ckp1: Any,
        foreach: bool,
    ) -> None:
        """Update the parameters of ``group`` that have a gradient (their state exists)."""
        raise NotImplementedError

    def _switch(self, to_train: bool, weight: Callable[[float], float]) -> None:
        for group in self.param_groups:
            if group["train_mode"] == to_train:
                continue
            beta = self._interpolation(group)
            for param in group["params"]:
                state = self.state[param]
                if "z" in state:  # no z yet: never stepped, y = x = z
                    param.lerp_(end=state["z"].to(param.device), weight=weight(beta))
            group["train_mode"] = to_train

    @torch.no_grad()
    def eval(self) -> None:
        r"""Put the average :math:`x` into the parameters, for evaluation or a checkpoint.

        :math:`x = \bigl(y - (1-\beta) z\bigr)/\beta`, which is
        ``y.lerp_(z, 1 - 1/β)``. Groups already in eval mode are left alone.
        """
        self._switch(False, lambda beta: 1 - 1 / beta)  # x ← y + (1 − 1/β)(z − y)

    @torch.no_grad()
    def train(self) -> None:
        r"""Put the training point :math:`y` back into the parameters.

        :math:`y = \beta x + (1-\beta) z`, ``x.lerp_(z, 1 - β)``. Call it before the
        first step (the optimizer starts in eval mode, as the reference does; before the
        first step :math:`x = y = z` and nothing moves). Groups already in train mode are
        left alone.
        """
        self._switch(True, lambda beta: 1 - beta)  # y ← x + (1 − β)(z − x)

    @torch.no_grad()
    def step(self, closure=None):
        """Perform a single optimization step (in train mode only).

        Every group advances its step count ``k`` and its average's weights, whether
        or not any of its parameters has a gradient, as the reference does.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss.

        Returns
        -------
        torch.Tensor or None
            The loss returned by ``closure``, if one was given.

        Raises
        ------
        ScheduleFreeModeError
            If the optimizer is in eval mode (as the reference, only the first param
            group's mode is looked at).
        """
        if not self.param_groups[0]["train_mode"]:
            raise ScheduleFreeModeError(NOT_IN_TRAIN_MODE)
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [param for param in group["params"] if param.grad is not None]
            grads = [param.grad for param in params]
            if any(grad.is_sparse for grad in grads):
                raise RuntimeError(
                    f"optnotes.optim.{type(self).__name__} does not support sparse gradients"
                )
            lr, ckp1 = advance_schedule(group)
            for param in params:
                if "z" not in self.state[param]:
                    self.state[param].update(self._init_state(group, param))
            if params:
                # The reference's rule: any true value of foreach (None is false).
                foreach = bool(group["foreach"])
                self._update(group, params, grads, lr=lr, ckp1=ckp1, foreach=foreach)
            group["k"] = group["k"] + 1
        return loss
