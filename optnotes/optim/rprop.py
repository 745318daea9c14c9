r"""Rprop: resilient propagation, a step size per weight driven by gradient signs only.

Riedmiller & Braun (1993, *A direct adaptive method for faster backpropagation learning: the
RPROP algorithm*) drop the gradient's magnitude, which varies wildly across weights and layers,
and keep its sign. Each weight has its own step size :math:`\Delta`: grown by
:math:`\eta_+ > 1` while the gradient keeps its sign (the valley goes on), shrunk by
:math:`0 < \eta_- < 1` when the sign flips (the last step jumped over a minimum), and kept
within :math:`[\Delta_{\min}, \Delta_{\max}]`. Per coordinate:

.. math::

    \Delta_t &= \operatorname{clip}\bigl(\Delta_{t-1} \cdot
        \begin{cases} \eta_+ & g_{t-1} g_t > 0 \\ \eta_- & g_{t-1} g_t < 0 \\
        1 & \text{otherwise} \end{cases},\; \Delta_{\min}, \Delta_{\max}\bigr) \\
    g_t &\leftarrow 0 \quad \text{where } g_{t-1} g_t < 0 \\
    \theta_t &= \theta_{t-1} - \Delta_t \operatorname{sign}(g_t)

with :math:`\Delta_0` the learning rate and :math:`g_0 = 0`. After a sign flip the weight
rests for a step, and the zeroed gradient, stored as :math:`g_{t}` (``prev``), makes the next
product 0, so the step size is not shrunk twice for one overshoot. The paper instead undoes
the previous step on a flip (weight backtracking); torch's form, without backtracking but with
the zeroing, is the one Igel & Hüsken (2000, *Improving the Rprop learning algorithm*) call
iRprop⁻. Being sign-based, Rprop suits full-batch training: mini-batch noise flips signs.

Read from torch's code:

- The clip applies at every step, also where the factor is 1: a learning rate outside
  ``step_sizes`` is clipped into it at the first step.
- The sign test is that of the product :math:`g_{t-1} g_t` as computed, so a product that
  underflows to 0 counts as "no information" (factor 1) whatever the signs.
- ``lr`` is read once, to fill ``step_size``: changing it later (a scheduler) does nothing.
- ``step`` is counted (a 0-dim tensor on the CPU) but used by no formula.
- ``step_size`` is made with ``torch.full_like(grad, lr)``, in the gradient's layout.
"""

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from ._base import (
    Optimizer,
    as_float,
    by_device_and_dtype,
    check,
    check_lr,
    complex_as_real,
    new_step_counter,
    zeros_like,
)


def rprop_step_(
    param: Tensor,
    grad: Tensor,
    prev: Tensor,
    step_size: Tensor,
    *,
    etaminus: float,
    etaplus: float,
    step_size_min: float,
    step_size_max: float,
    maximize: bool,
) -> None:
    r"""Apply one Rprop update to ``param`` in place.

    Parameters
    ----------
    param, grad, maximize
        As every update function takes them (see :mod:`optnotes.optim`).
    prev : torch.Tensor
        The previous gradient :math:`g_{t-1}` (zero where its sign had flipped), set to
        :math:`g_t`, zeroed likewise.
    step_size : torch.Tensor
        The step sizes :math:`\Delta_{t-1}`, updated in place.
    etaminus, etaplus : float
        The factors :math:`\eta_-` and :math:`\eta_+` that shrink and grow a step size.
    step_size_min, step_size_max : float
        The bounds :math:`\Delta_{\min}` and :math:`\Delta_{\max}` of the step sizes.
    """
    if maximize:
        grad = -grad

    factor = grad.mul(prev).sign()  # sign(gₜ₋₁ gₜ)
    factor[factor.gt(0)] = etaplus  # same sign: η₊
    factor[factor.lt(0)] = etaminus  # sign flipped: η₋
    factor[factor.eq(0)] = 1  # a zero gradient: 1
    step_size.mul_(factor).clamp_(step_size_min, step_size_max)  # Δ ← clip(Δ·factor)

    grad = grad.clone(memory_format=torch.preserve_format)
    grad[factor.eq(etaminus)] = 0  # g ← 0 where the sign flipped

    param.addcmul_(grad.sign(), step_size, value=-1)  # θ ← θ − Δ sign(g)
    prev.copy_(grad)  # gₜ₋₁ ← g, zeros included


def rprop_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    prevs: list[Tensor],
    step_sizes: list[Tensor],
    *,
    etaminus: float,
    etaplus: float,
    step_size_min: float,
    step_size_max: float,
    maximize: bool,
) -> None:
    r"""Apply :func:`rprop_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of torch's ``_multi_tensor_rprop``: ``prevs``
    receives the new gradients first and then serves as their buffer.

    Parameters
    ----------
    params, grads, prevs, step_sizes : list
        One entry per parameter, each as the singular argument of :func:`rprop_step_`.
    etaminus, etaplus, step_size_min, step_size_max, maximize
        As in :func:`rprop_step_`.
    """
    for (params_, grads_, prevs_, step_sizes_), _ in by_device_and_dtype(
        [params, grads, prevs, step_sizes]
    ):
        factors = torch._foreach_mul(grads_, prevs_)  # gₜ₋₁ gₜ
        if maximize:
            torch._foreach_neg_(factors)  # gₜ₋₁ (−gₜ)
        torch._foreach_copy_(prevs_, grads_)  # prev becomes this step's gradient buffer
        if maximize:
            torch._foreach_neg_(prevs_)  # g ← −g
        grads_ = prevs_

        torch._foreach_sign_(factors)  # sign(gₜ₋₁ gₜ)
        for factor in factors:
            factor[factor.gt(0)] = etaplus  # same sign: η₊
            factor[factor.lt(0)] = etaminus  # sign flipped: η₋
            factor[factor.eq(0)] = 1  # a zero gradient: 1
        torch._foreach_mul_(step_sizes_, factors)  # Δ·factor
        for step_size in step_sizes_:
            step_size.clamp_(step_size_min, step_size_max)  # Δ ← clip(Δ·factor)

        for grad, factor in zip(grads_, factors, strict=True):
            grad.copy_(torch.where(factor.eq(etaminus), 0, grad))  # g ← 0 where the sign flipped
        del factors  # freed before the signs are made, as torch does: one buffer less at peak

        grad_signs = [grad.sign() for grad in grads_]
        torch._foreach_addcmul_(params_, grad_signs, step_sizes_, value=-1)  # θ ← θ − Δ sign(g)


@complex_as_real
def rprop(
    params: list[Tensor],
    grads: list[Tensor],
    prevs: list[Tensor],
    step_sizes: list[Tensor],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one Rprop update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`rprop_foreach_` once, or :func:`rprop_step_` once per tensor: the call
    :class:`Rprop` makes, as torch's class calls ``torch.optim.rprop.rprop``.
    """
    if foreach:
        rprop_foreach_(params, grads, prevs, step_sizes, **hyperparameters)
        return
    for i, param in enumerate(params):
        rprop_step_(param, grads[i], prevs[i], step_sizes[i], **hyperparameters)


def _initial_step_size(lr: float | Tensor, param: Tensor) -> float | complex:
    """Return Δ₀ = η, as ``complex(η, η)`` for a complex parameter (two real coordinates)."""
    lr = as_float(lr)
    return complex(lr, lr) if torch.is_complex(param) else lr


class Rprop(Optimizer):
    r"""Rprop, the resilient backpropagation algorithm (in its iRprop⁻ form).

    A drop-in replacement for :class:`torch.optim.Rprop` (see :mod:`optnotes.optim`). The
    update is :func:`rprop_step_`, or :func:`rprop_foreach_` on the multi-tensor path.

    Parameters
    ----------
    params, capturable, foreach, maximize, differentiable
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float, default 1e-2
        The initial step size :math:`\Delta_0` of every weight.
    etas : tuple of float, default (0.5, 1.2)
        :math:`(\eta_-, \eta_+)`, with :math:`0 < \eta_- < 1 < \eta_+`.
    step_sizes : tuple of float, default (1e-6, 50)
        :math:`(\Delta_{\min}, \Delta_{\max})` (not checked).
    """

    supports_complex = True  # as its real view: see complex_as_real

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_lr(lr)
        check(0.0 < etas[0] < 1.0 < etas[1], f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        return {
            "step": new_step_counter(),
            "prev": zeros_like(param),  # g₀ = 0
            # Δ₀ = η, for a complex parameter in both its real and imaginary parts
            "step_size": torch.full_like(param.grad, _initial_step_size(group["lr"], param)),
        }

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        states = self._prepare_states(group, params)
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        rprop(
            params,
            grads,
            prevs=[state["prev"] for state in states],
            step_sizes=[state["step_size"] for state in states],
            etaminus=etaminus,
            etaplus=etaplus,
            step_size_min=step_size_min,
            step_size_max=step_size_max,
            maximize=group["maximize"],
            foreach=foreach,
        )
