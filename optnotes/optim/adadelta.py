r"""Adadelta: step sizes in the units of the parameters (Zeiler, 2012).

Adagrad's step :math:`\eta g/\sqrt{\sum g^2}` has no units, while a parameter
update should have the units of the parameter. Adadelta replaces the global
rate by a running RMS of past *updates*, which has those units:

.. math::

    v_t &= \rho v_{t-1} + (1-\rho) g_t^2 \\
    \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t \\
    u_t &= \rho u_{t-1} + (1-\rho) \Delta_t^2 \\
    \theta_t &= \theta_{t-1} - \eta\, \Delta_t

:math:`\epsilon` sits inside both square roots: it starts the very first
update (when :math:`u_0 = 0`). PyTorch keeps a learning rate :math:`\eta`
(default 1, the paper's rule).
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


def adadelta_step_(
    param: Tensor,
    grad: Tensor,
    square_avg: Tensor,
    acc_delta: Tensor,
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    r"""Apply one Adadelta update to ``param`` in place.

    Parameters
    ----------
    param, grad, lr, weight_decay, maximize
        As every update function takes them (see :mod:`optnotes.optim`).
    square_avg : torch.Tensor
        Running mean :math:`v_{t-1}` of squared gradients (decay :math:`\rho`), updated in place.
    acc_delta : torch.Tensor
        Running mean of squared updates :math:`u_{t-1}`, updated in place.
    rho : float
        Decay rate of both running averages :math:`\rho`.
    eps : float
        Term inside both square roots, :math:`\epsilon`: it starts the first update.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # g ← g + λθ

    square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)  # v ← ρv + (1−ρ)g²
    std = square_avg.add(eps).sqrt_()  # √(v + ε)
    delta = acc_delta.add(eps).sqrt_()  # √(u + ε)
    delta.div_(std).mul_(grad)  # Δ = √(u + ε) / √(v + ε) · g
    acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)  # u ← ρu + (1−ρ)Δ²
    param.add_(delta, alpha=-lr)  # θ ← θ − ηΔ


def adadelta_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    square_avgs: list[Tensor],
    acc_deltas: list[Tensor],
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    r"""Apply :func:`adadelta_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of torch's ``_multi_tensor_adadelta``.

    Parameters
    ----------
    params, grads, square_avgs, acc_deltas : list
        One entry per parameter, each as the singular argument of :func:`adadelta_step_`.
    lr, rho, eps, weight_decay, maximize
        As in :func:`adadelta_step_`.
    """
    for (params_, grads_, square_avgs_, acc_deltas_), _ in by_device_and_dtype(
        [params, grads, square_avgs, acc_deltas]
    ):
        grads_ = ascent_and_l2(grads_, params_, weight_decay, maximize)

        torch._foreach_mul_(square_avgs_, rho)  # v ← ρv
        torch._foreach_addcmul_(square_avgs_, grads_, grads_, value=1 - rho)  # v ← ρv + (1−ρ)g²
        std = torch._foreach_add(square_avgs_, eps)  # v + ε
        torch._foreach_sqrt_(std)  # √(v + ε)
        deltas = torch._foreach_add(acc_deltas_, eps)  # u + ε
        torch._foreach_sqrt_(deltas)  # √(u + ε)
        torch._foreach_div_(deltas, std)  # √(u + ε) / √(v + ε)
        torch._foreach_mul_(deltas, grads_)  # Δ = √(u + ε) / √(v + ε) · g
        torch._foreach_mul_(acc_deltas_, rho)  # u ← ρu
        torch._foreach_addcmul_(acc_deltas_, deltas, deltas, value=1 - rho)  # u ← ρu + (1−ρ)Δ²
        torch._foreach_add_(params_, deltas, alpha=-lr)  # θ ← θ − ηΔ


@complex_as_real(l2_before_views=True)
def adadelta(
    params: list[Tensor],
    grads: list[Tensor],
    square_avgs: list[Tensor],
    acc_deltas: list[Tensor],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one Adadelta update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`adadelta_foreach_` once, or :func:`adadelta_step_` once per tensor. This is the
    call :class:`Adadelta` makes (as torch's class calls ``torch.optim.adadelta.adadelta``):
    the lists :func:`adadelta_foreach_` takes, then the hyper-parameters of both by keyword.
    """
    if foreach:
        adadelta_foreach_(params, grads, square_avgs, acc_deltas, **hyperparameters)
        return
    for i, param in enumerate(params):
        adadelta_step_(param, grads[i], square_avgs[i], acc_deltas[i], **hyperparameters)


class Adadelta(Optimizer):
    r"""Adadelta.

    A drop-in replacement for :class:`torch.optim.Adadelta` (see :mod:`optnotes.optim`). The
    update is :func:`adadelta_step_`, or :func:`adadelta_foreach_` on the multi-tensor path.

    Parameters
    ----------
    params, foreach, maximize, capturable, differentiable
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float, default 1.0
        Factor :math:`\eta` applied to the update.
    rho : float, default 0.9
        Decay rate :math:`\rho` of both running averages, in [0, 1].
    eps : float, default 1e-6
        :math:`\epsilon`, inside both square roots.
    weight_decay : float, default 0
        L2 penalty :math:`\lambda` added to the gradient.
    """

    supports_complex = True  # as its real view: see complex_as_real

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check(0.0 <= rho <= 1.0, f"Invalid rho value: {rho}")
        check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        # v₀ = u₀ = 0
        return {
            "step": new_step_counter(),
            "square_avg": zeros_like(param),
            "acc_delta": zeros_like(param),
        }

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        states = self._prepare_states(group, params)
        adadelta(
            params,
            grads,
            square_avgs=[state["square_avg"] for state in states],
            acc_deltas=[state["acc_delta"] for state in states],
            lr=as_float(group["lr"]),
            rho=group["rho"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
            foreach=foreach,
        )
