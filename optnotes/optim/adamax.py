r"""Adamax: Adam with the infinity norm in place of the second moment (Kingma & Ba, 2015, §7.1).

Adam scales the step by :math:`v_t^{1/2}`, a decaying average of :math:`g^2`. With
:math:`|g|^p` in place of :math:`g^2` and the :math:`p`-th root, the limit
:math:`p \to \infty` of :math:`\bigl((1-\beta_2^p)\sum_k \beta_2^{p(t-k)} |g_k|^p\bigr)^{1/p}`
is a maximum, computed recursively and needing no bias correction:

.. math::

    m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\
    u_t &= \max(\beta_2 u_{t-1},\, |g_t| + \epsilon) \\
    \theta_t &= \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}

As in torch, :math:`\epsilon` is added to :math:`|g_t|` inside the maximum (the paper
has none), which keeps :math:`u_t > 0`.
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
    check_betas,
    check_lr,
    complex_as_real,
    new_step_counter,
    zeros_like,
)


def adamax_step_(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_inf: Tensor,
    step: float,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    r"""Apply one Adamax update to ``param`` in place.

    Parameters
    ----------
    param, grad, lr, weight_decay, maximize
        As every update function takes them (see :mod:`optnotes.optim`).
    exp_avg : torch.Tensor
        The first moment :math:`m_{t-1}`, updated in place.
    exp_inf : torch.Tensor
        The infinity norm :math:`u_{t-1}`, updated in place.
    step : float
        The number :math:`t` of this step, starting at 1.
    beta1, beta2 : float
        Decay rates :math:`\beta_1` of the first moment and :math:`\beta_2` of the norm.
    eps : float
        Term added to :math:`|g_t|` inside the maximum, :math:`\epsilon`.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # g ← g + λθ

    exp_avg.lerp_(grad, 1 - beta1)  # m ← β₁m + (1−β₁)g
    torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps), out=exp_inf)  # u ← max(β₂u, |g|+ε)

    bias_correction = 1 - beta1**step  # 1 − β₁ᵗ; u needs none
    param.addcdiv_(exp_avg, exp_inf, value=-lr / bias_correction)  # θ ← θ − η m / ((1−β₁ᵗ) u)


def adamax_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_infs: list[Tensor],
    steps: list[float],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    r"""Apply :func:`adamax_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of torch's ``_multi_tensor_adamax``.

    Parameters
    ----------
    params, grads, exp_avgs, exp_infs, steps : list
        One entry per parameter, each as the singular argument of :func:`adamax_step_`.
    lr, beta1, beta2, eps, weight_decay, maximize
        As in :func:`adamax_step_`.
    """
    for (params_, grads_, exp_avgs_, exp_infs_), indices in by_device_and_dtype(
        [params, grads, exp_avgs, exp_infs]
    ):
        grads_owned = maximize or weight_decay != 0  # grads_ is our copy, free to overwrite
        grads_ = ascent_and_l2(grads_, params_, weight_decay, maximize)

        torch._foreach_lerp_(exp_avgs_, grads_, 1 - beta1)  # m ← β₁m + (1−β₁)g
        torch._foreach_mul_(exp_infs_, beta2)  # β₂u
        if grads_owned:
            torch._foreach_abs_(grads_)  # |g|
        else:
            grads_ = torch._foreach_abs(grads_)  # |g|
        torch._foreach_add_(grads_, eps)  # |g| + ε
        torch._foreach_maximum_(exp_infs_, grads_)  # u ← max(β₂u, |g|+ε)

        step_sizes = [(lr / (1 - beta1 ** steps[i])) * -1 for i in indices]  # −η / (1 − β₁ᵗ)
        torch._foreach_addcdiv_(params_, exp_avgs_, exp_infs_, step_sizes)  # θ ← θ − η m̂ / u


@complex_as_real(l2_before_views=True)
def adamax(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_infs: list[Tensor],
    steps: list[float],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one Adamax update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`adamax_foreach_` once, or :func:`adamax_step_` once per tensor: the call
    :class:`Adamax` makes, as torch's class calls ``torch.optim.adamax.adamax``.
    """
    if foreach:
        adamax_foreach_(params, grads, exp_avgs, exp_infs, steps, **hyperparameters)
        return
    for i, param in enumerate(params):
        adamax_step_(param, grads[i], exp_avgs[i], exp_infs[i], steps[i], **hyperparameters)


class Adamax(Optimizer):
    r"""Adamax, Adam's infinity-norm variant.

    A drop-in replacement for :class:`torch.optim.Adamax` (see :mod:`optnotes.optim`). The
    update is :func:`adamax_step_`, or :func:`adamax_foreach_` on the multi-tensor path.

    Parameters
    ----------
    params, foreach, maximize, differentiable, capturable
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float, default 2e-3
        Learning rate :math:`\eta`.
    betas : tuple of float, default (0.9, 0.999)
        Decay rates :math:`(\beta_1, \beta_2)` of the first moment and the infinity norm.
    eps : float, default 1e-8
        :math:`\epsilon`, added to :math:`|g_t|` inside the maximum.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` added to the gradient.
    """

    supports_complex = True  # as its real view: see complex_as_real

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_lr(lr)
        check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        check_betas(betas)
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        return {
            "step": new_step_counter(),
            "exp_avg": zeros_like(param),  # m₀ = 0
            "exp_inf": zeros_like(param),  # u₀ = 0
        }

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        states = self._prepare_states(group, params)
        beta1, beta2 = group["betas"]
        adamax(
            params,
            grads,
            exp_avgs=[state["exp_avg"] for state in states],
            exp_infs=[state["exp_inf"] for state in states],
            steps=[state["step"].item() for state in states],
            lr=as_float(group["lr"]),
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
            foreach=foreach,
        )
