r"""RMSprop (Tieleman & Hinton, 2012).

Divide the gradient by a running root-mean-square of recent gradients, so
every coordinate moves at a similar pace. With smoothing constant
:math:`\alpha`:

.. math::

    v_t &= \alpha v_{t-1} + (1-\alpha) g_t^2 \\
    \theta_t &= \theta_{t-1} - \eta\, g_t / (\sqrt{v_t} + \epsilon)

The *centered* variant divides by an estimate of the standard deviation
instead, :math:`\sqrt{v_t - \bar g_t^2}` with :math:`\bar g_t = \alpha \bar g_{t-1}
+ (1-\alpha) g_t`; with momentum :math:`\mu` the normalised gradient feeds a
velocity :math:`b_t = \mu b_{t-1} + g_t/(\sqrt{v_t}+\epsilon)` and
:math:`\theta_t = \theta_{t-1} - \eta b_t`. There is no bias correction: the
first steps are larger than later ones.
"""

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from ._base import (
    Optimizer,
    as_float,
    ascent_and_l2,
    by_device_and_dtype,
    check,
    check_lr,
    complex_as_real,
    new_step_counter,
    zeros_like,
)


def rmsprop_step_(
    param: Tensor,
    grad: Tensor,
    square_avg: Tensor,
    grad_avg: Tensor | None,
    momentum_buffer: Tensor | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    maximize: bool,
) -> None:
    r"""Apply one RMSprop update to ``param`` in place.

    Parameters
    ----------
    param, grad, lr, weight_decay, maximize
        As every update function takes them (see :mod:`optnotes.optim`).
    square_avg : torch.Tensor
        Running mean :math:`v_{t-1}` of squared gradients, updated in place.
    grad_avg : torch.Tensor or None
        Running mean of gradients :math:`\bar g_{t-1}` (centered variant), or ``None``.
    momentum_buffer : torch.Tensor or None
        Velocity :math:`b_{t-1}` (starts at zero), or ``None`` without momentum.
    alpha : float
        Smoothing constant of the running averages :math:`\alpha`.
    eps : float
        Term added to the root mean square for numerical stability, :math:`\epsilon`.
    momentum : float
        Momentum factor :math:`\mu`.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # g ← g + λθ

    square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)  # v ← αv + (1−α)g²
    if grad_avg is not None:
        grad_avg.lerp_(grad, 1 - alpha)  # ḡ ← αḡ + (1−α)g
        avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()  # √(v − ḡ²)
    else:
        avg = square_avg.sqrt()  # √v
    avg.add_(eps)  # ε outside the square root

    if momentum_buffer is not None:
        momentum_buffer.mul_(momentum).addcdiv_(grad, avg)  # b ← μb + g / (√v + ε)
        param.add_(momentum_buffer, alpha=-lr)  # θ ← θ − ηb
    else:
        param.addcdiv_(grad, avg, value=-lr)  # θ ← θ − η g / (√v + ε)


def rmsprop_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    square_avgs: list[Tensor],
    grad_avgs: list[Tensor] | None,
    momentum_buffers: list[Tensor] | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    maximize: bool,
) -> None:
    r"""Apply :func:`rmsprop_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of torch's ``_multi_tensor_rmsprop``.

    Parameters
    ----------
    params, grads, square_avgs, grad_avgs, momentum_buffers : list
        One entry per parameter, each as the singular argument of :func:`rmsprop_step_`.
        ``grad_avgs`` is ``None`` unless centered, ``momentum_buffers`` without momentum.
    lr, alpha, eps, weight_decay, momentum, maximize
        As in :func:`rmsprop_step_`.
    """
    for (params_, grads_, square_avgs_, grad_avgs_, bufs), _ in by_device_and_dtype(
        [params, grads, square_avgs, grad_avgs, momentum_buffers]
    ):
        grads_ = ascent_and_l2(grads_, params_, weight_decay, maximize)

        torch._foreach_mul_(square_avgs_, alpha)  # v ← αv
        torch._foreach_addcmul_(square_avgs_, grads_, grads_, value=1 - alpha)  # v ← αv + (1−α)g²
        if grad_avgs_ is not None:
            torch._foreach_lerp_(grad_avgs_, grads_, 1 - alpha)  # ḡ ← αḡ + (1−α)g
            avg = torch._foreach_addcmul(square_avgs_, grad_avgs_, grad_avgs_, value=-1)  # v − ḡ²
            torch._foreach_sqrt_(avg)  # √(v − ḡ²)
        else:
            avg = torch._foreach_sqrt(square_avgs_)  # √v
        torch._foreach_add_(avg, eps)  # ε outside the square root

        if bufs is not None:
            torch._foreach_mul_(bufs, momentum)  # b ← μb
            torch._foreach_addcdiv_(bufs, grads_, avg)  # b ← μb + g / (√v + ε)
            torch._foreach_add_(params_, bufs, alpha=-lr)  # θ ← θ − ηb
        else:
            torch._foreach_addcdiv_(params_, grads_, avg, value=-lr)  # θ ← θ − η g / (√v + ε)


@complex_as_real(l2_before_views=True)
def rmsprop(
    params: list[Tensor],
    grads: list[Tensor],
    square_avgs: list[Tensor],
    grad_avgs: list[Tensor] | None,
    momentum_buffers: list[Tensor] | None,
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one RMSprop update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`rmsprop_foreach_` once, or :func:`rmsprop_step_` once per tensor. This is the
    call :class:`RMSprop` makes (as torch's class calls ``torch.optim.rmsprop.rmsprop``):
    the lists :func:`rmsprop_foreach_` takes, then the hyper-parameters of both by keyword.
    """
    if foreach:
        rmsprop_foreach_(params, grads, square_avgs, grad_avgs, momentum_buffers, **hyperparameters)
        return
    for i, param in enumerate(params):
        grad_avg = None if grad_avgs is None else grad_avgs[i]
        momentum_buffer = None if momentum_buffers is None else momentum_buffers[i]
        rmsprop_step_(param, grads[i], square_avgs[i], grad_avg, momentum_buffer, **hyperparameters)


class RMSprop(Optimizer):
    r"""RMSprop, optionally centered and with momentum.

    A drop-in replacement for :class:`torch.optim.RMSprop` (see :mod:`optnotes.optim`). The
    update is :func:`rmsprop_step_`, or :func:`rmsprop_foreach_` on the multi-tensor path.

    Parameters
    ----------
    params, foreach, maximize, capturable, differentiable
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float, default 1e-2
        Learning rate :math:`\eta`.
    alpha : float, default 0.99
        Smoothing constant :math:`\alpha` of the running averages.
    eps : float, default 1e-8
        :math:`\epsilon`, added to the root mean square.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` added to the gradient.
    momentum : float, default 0
        Momentum factor :math:`\mu`.
    centered : bool, default False
        Normalise by the estimated standard deviation of the gradient.
    """

    supports_complex = True  # as its real view: see complex_as_real

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        check(momentum >= 0.0, f"Invalid momentum value: {momentum}")
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        check(alpha >= 0.0, f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        state = {"step": new_step_counter()}
        state["square_avg"] = zeros_like(param)  # v₀ = 0
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(param)  # b₀ = 0
        if group["centered"]:
            state["grad_avg"] = zeros_like(param)  # ḡ₀ = 0
        return state

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        states = self._prepare_states(group, params)
        rmsprop(
            params,
            grads,
            square_avgs=[state["square_avg"] for state in states],
            grad_avgs=[state["grad_avg"] for state in states] if group["centered"] else None,
            momentum_buffers=(
                [state["momentum_buffer"] for state in states] if group["momentum"] > 0 else None
            ),
            lr=as_float(group["lr"]),
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            maximize=group["maximize"],
            foreach=foreach,
        )
