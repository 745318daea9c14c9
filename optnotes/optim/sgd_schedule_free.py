r"""Schedule-Free SGD: SGD's steps, an average to evaluate, no schedule (Defazio et al., 2024).

The method of :mod:`optnotes.optim.adamw_schedule_free` (derived there) with the plain
gradient as the step direction (Defazio, Yang, Mehta, Mishchenko, Khaled and Cutkosky,
2024, *The Road Less Scheduled*):

.. math::

    y_t &= (1-\beta)\, z_t + \beta\, x_t \\
    \hat g_t &= g_t + \lambda\, y_t, \qquad g_t = \nabla f(y_t) \\
    z_{t+1} &= z_t - \eta_t\, \hat g_t \\
    x_{t+1} &= (1 - c_{t+1})\, x_t + c_{t+1}\, z_{t+1}

with :math:`\beta` the ``momentum`` (default 0.9), :math:`\lambda` the weight decay (an
L2 penalty evaluated at :math:`y`), :math:`\eta_t` the warmed-up learning rate and
:math:`c_{t+1} = w_t / \sum_{i \le t} w_i`, :math:`w_t = t^r \eta_{\max,t}^{p}`. Its
``momentum`` is not a buffer: :math:`y` leaning towards :math:`z` by :math:`1-\beta`
plays its part. Theory and the paper's experiments take it with a large learning rate
(default 1.0), as averaging tolerates large steps of the base sequence.

As in AdamW's case only :math:`y` (the parameter) and :math:`z` (``state["z"]``) are
kept, with

.. math::

    y_{t+1} = (1-c_{t+1})\, y_t + c_{t+1} z_t + \eta_t\bigl(\beta(1-c_{t+1})-1\bigr)\, \hat g_t

and ``eval()`` / ``train()`` (:class:`~optnotes.optim._schedule_free.ScheduleFree`) switch
the parameters to the average :math:`x = (y - (1-\beta) z)/\beta` and back.

**The reference.** ``schedulefree.SGDScheduleFree`` of ``schedulefree`` 1.4.1
(``sgd_schedulefree.py``). :func:`sgd_schedule_free_step_` and
:func:`sgd_schedule_free_foreach_` perform its operations in its order, so each path
equals the reference's bit for bit on the CPU (float32 and float64), after every step,
``eval()`` and ``train()``. Same arguments, defaults (``foreach=True``), checks and
messages (``lr`` and ``weight_decay`` at least 0, ``momentum`` in :math:`(0, 1)`),
param-group keys and state (``z``). The differences:

- **The gradient is left as it is.** With weight decay the reference adds
  :math:`\lambda y` to ``p.grad`` in place; ours adds it into a new tensor (one
  parameter's size at a time on the per-tensor path, the group's gradients once
  more on the foreach path, freed after the step). Without weight decay neither
  allocates anything. The numbers are the same bit for bit.
- ``step()`` in eval mode raises :class:`~optnotes.optim._schedule_free.ScheduleFreeModeError`,
  a ``RuntimeError``, with the reference's message (the reference: a bare ``Exception``).
- A negative ``warmup_steps`` is refused (the reference treats it as 0).
- ``foreach=None`` takes the per-tensor path, as in the reference. Complex parameters
  are stepped as the reference steps them, as complex tensors: every operation is
  linear with real coefficients.
"""

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from ._base import by_device_and_dtype, check, check_lr
from ._schedule_free import ScheduleFree, check_warmup_steps


def sgd_schedule_free_step_(
    param: Tensor,
    grad: Tensor,
    z: Tensor,
    *,
    lr: float,
    ckp1: float,
    momentum: float,
    weight_decay: float,
) -> None:
    r"""Apply one Schedule-Free SGD update to ``param`` (the point :math:`y`) in place.

    Parameters
    ----------
    param, grad
        As every update function takes them (see :mod:`optnotes.optim`): here
        ``param`` is :math:`y_t` and becomes :math:`y_{t+1}`.
    z : torch.Tensor
        The base sequence :math:`z_t`, updated in place to :math:`z_{t+1}`.
    lr : float
        This step's learning rate :math:`\eta_t` (after the warm-up).
    ckp1 : float
        The weight :math:`c_{t+1}` of :math:`z_{t+1}` in the average (the reference's name).
    momentum : float
        The interpolation weight :math:`\beta` of :math:`x` in :math:`y`.
    weight_decay : float
        :math:`\lambda`, an L2 penalty evaluated at :math:`y`.
    """
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # ĝ ← g + λy (a new tensor: g stays)
    param.lerp_(end=z, weight=ckp1)  # y ← (1−c)y + cz
    param.add_(grad, alpha=lr * (momentum * (1 - ckp1) - 1))  # y ← y + η(β(1−c) − 1)ĝ
    z.sub_(grad, alpha=lr)  # z ← z − ηĝ


def sgd_schedule_free_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    zs: list[Tensor],
    *,
    lr: float,
    ckp1: float,
    momentum: float,
    weight_decay: float,
) -> None:
    """Apply :func:`sgd_schedule_free_step_` to every tensor of ``params`` at once.

    The reference's foreach operations in its order, over lists.

    Parameters
    ----------
    params, grads, zs : list of torch.Tensor
        One entry per parameter, each as the singular argument of
        :func:`sgd_schedule_free_step_`.
    lr, ckp1, momentum, weight_decay
        As in :func:`sgd_schedule_free_step_`.
    """
    for (params_, grads_, zs_), _ in by_device_and_dtype([params, grads, zs]):
        if weight_decay != 0:
            grads_ = torch._foreach_add(grads_, params_, alpha=weight_decay)  # ĝ ← g + λy
        torch._foreach_lerp_(params_, zs_, weight=ckp1)  # y ← (1−c)y + cz
        torch._foreach_add_(params_, grads_, alpha=lr * (momentum * (1 - ckp1) - 1))
        torch._foreach_sub_(zs_, grads_, alpha=lr)  # z ← z − ηĝ


def sgd_schedule_free(
    params: list[Tensor],
    grads: list[Tensor],
    zs: list[Tensor],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one Schedule-Free SGD update to every tensor of ``params``, on one path.

    :func:`sgd_schedule_free_foreach_` once, or :func:`sgd_schedule_free_step_` once
    per tensor: the call :class:`SGDScheduleFree` makes for each param group.
    """
    if foreach:
        sgd_schedule_free_foreach_(params, grads, zs, **hyperparameters)
        return
    for i, param in enumerate(params):
        sgd_schedule_free_step_(param, grads[i], zs[i], **hyperparameters)


class SGDScheduleFree(ScheduleFree):
    r"""Schedule-Free SGD: no learning-rate schedule; evaluate the average.

    A drop-in replacement for ``schedulefree.SGDScheduleFree`` (``schedulefree`` 1.4.1;
    see :mod:`optnotes.optim.sgd_schedule_free`): same arguments, defaults and checks,
    same update, ``train()``/``eval()``, ``state_dict`` layout. Unlike the reference it
    leaves ``p.grad`` as it is. The update is :func:`sgd_schedule_free_step_`, or
    :func:`sgd_schedule_free_foreach_` on the multi-tensor path.

    Call ``train()`` before training steps and ``eval()`` before evaluating or
    saving a checkpoint.

    Parameters
    ----------
    params
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float, default 1.0
        Learning rate :math:`\eta` after the warm-up, at least 0.
    momentum : float, default 0.9
        The interpolation weight :math:`\beta \in (0, 1)` of the average in the point
        :math:`y`.
    weight_decay : float, default 0
        :math:`\lambda`, an L2 penalty evaluated at :math:`y`.
    warmup_steps : int, default 0
        Steps of linear warm-up: :math:`\eta_t = \eta\, t/T` up to step :math:`T`.
    r : float, default 0
        Power of the step number in the average's weights :math:`w_t = t^r \eta_{\max}^p`.
    weight_lr_power : float, default 2
        Power :math:`p` of the largest learning rate so far in those weights.
    foreach : bool, default True
        Multi-tensor path when true, as in the reference (``None`` is per-tensor).

    Raises
    ------
    ValueError
        Naming the argument that is out of range, with the reference's messages.
    """

    #: Steps complex parameters as complex tensors, as the reference does (linear update).
    supports_complex = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2,
        foreach: bool | None = True,
    ) -> None:
        # The reference's checks and messages, in its order; then warmup_steps.
        check_lr(lr)
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        check(0 < momentum < 1, f"Momentum must be between 0 and 1 exclusive: {momentum}")
        check_warmup_steps(warmup_steps)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "r": r,
            "k": 0,  # steps taken
            "warmup_steps": warmup_steps,
            "train_mode": False,
            "weight_sum": 0.0,  # Σ w_i
            "lr_max": -1.0,  # η_max
            "scheduled_lr": 0.0,  # η_t of the last step
            "weight_lr_power": weight_lr_power,
            "weight_decay": weight_decay,
            "foreach": foreach,
        }
        super().__init__(params, defaults)

    def _interpolation(self, group: dict[str, Any]) -> float:
        return group["momentum"]

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        return {"z": torch.clone(param, memory_format=torch.preserve_format)}  # z₁ = y₁ = x₁

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
        sgd_schedule_free(
            params,
            grads,
            zs=[self.state[param]["z"] for param in params],
            lr=lr,
            ckp1=ckp1,
            momentum=group["momentum"],
            weight_decay=group["weight_decay"],
            foreach=foreach,
        )
