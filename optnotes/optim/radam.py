r"""RAdam: Adam with the variance of its adaptive step rectified (Liu et al., 2020).

In Adam's first steps :math:`\hat v_t` averages only a few squared gradients, so the
adaptive rate :math:`1/\sqrt{\hat v_t}` has a large variance. Approximating the moving
average by a simple one of :math:`\rho_t` terms, where

.. math::

    \rho_\infty = \frac{2}{1-\beta_2} - 1, \qquad
    \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t},

the variance is finite only for :math:`\rho_t > 4`, and the factor that brings it down to
its limit value is

.. math::

    r_t = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\,\rho_\infty}
                     {(\rho_\infty - 4)(\rho_\infty - 2)\,\rho_t}}.

While :math:`\rho_t \le 5` (torch's threshold; the first 5 steps with
:math:`\beta_2 = 0.999`) RAdam takes a plain momentum step; after that, Adam's step
scaled by :math:`r_t`, which climbs towards 1: a warm-up derived from the variance.

.. math::

    m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
    v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
    \theta_t &= \theta_{t-1} - \eta\, \frac{m_t}{1-\beta_1^t} \cdot
        \begin{cases}
            r_t \sqrt{1-\beta_2^t} \,/\, (\sqrt{v_t} + \epsilon) & \rho_t > 5 \\
            1 & \text{otherwise}
        \end{cases}

Weight decay is an L2 penalty, or decoupled as in AdamW (``decoupled_weight_decay``).
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


def radam_rho(step: float, beta2: float) -> tuple[float, float]:
    r"""Return :math:`\rho_t` and :math:`\rho_\infty`, the lengths of the approximating average.

    Parameters
    ----------
    step : float
        The step :math:`t \ge 1`.
    beta2 : float
        Decay rate :math:`\beta_2` of the second moment.

    Returns
    -------
    tuple of float
        :math:`(\rho_t, \rho_\infty)`, with
        :math:`\rho_t = \rho_\infty - 2t\beta_2^t / (1-\beta_2^t)` and
        :math:`\rho_\infty = 2/(1-\beta_2) - 1`.
    """
    rho_inf = 2 / (1 - beta2) - 1
    return rho_inf - 2 * step * (beta2**step) / (1 - beta2**step), rho_inf


def radam_rectification(rho_t: float, rho_inf: float) -> float:
    r"""Return the rectification factor :math:`r_t`, or 0 while :math:`\rho_t \le 5`.

    Parameters
    ----------
    rho_t, rho_inf : float
        As returned by :func:`radam_rho`.

    Returns
    -------
    float
        :math:`r_t` (see :mod:`optnotes.optim.radam`) if :math:`\rho_t > 5`, else 0 (the
        step is then not adaptive).
    """
    if rho_t <= 5:
        return 0.0
    return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5


def radam_step_(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    step: float,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    r"""Apply one RAdam update to ``param`` in place.

    Parameters
    ----------
    param, grad, lr, weight_decay, maximize
        As every update function takes them (see :mod:`optnotes.optim`).
    exp_avg, exp_avg_sq : torch.Tensor
        The moments :math:`m_{t-1}` and :math:`v_{t-1}`, updated in place.
    step : float
        The number :math:`t` of this step, starting at 1.
    beta1, beta2 : float
        Decay rates of the first and second moments.
    eps : float
        Term added to :math:`\sqrt{v_t}`, :math:`\epsilon`.
    decoupled_weight_decay : bool
        Shrink the weights directly (as AdamW) instead of adding :math:`\lambda\theta` to
        the gradient.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param.mul_(1 - lr * weight_decay)  # θ ← (1 − ηλ)θ
        else:
            grad = grad.add(param, alpha=weight_decay)  # g ← g + λθ

    exp_avg.lerp_(grad, 1 - beta1)  # m ← β₁m + (1−β₁)g
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v ← β₂v + (1−β₂)g²

    bias_correction2 = 1 - beta2**step  # 1 − β₂ᵗ
    m_hat = exp_avg / (1 - beta1**step)  # m̂ = m / (1 − β₁ᵗ)
    rect = radam_rectification(*radam_rho(step, beta2))  # rₜ, 0 while ρₜ ≤ 5
    if rect == 0:
        param.add_(m_hat * lr, alpha=-1.0)  # θ ← θ − η m̂: momentum only
        return
    adaptive = bias_correction2**0.5 / exp_avg_sq.sqrt().add_(eps)  # √(1 − β₂ᵗ) / (√v + ε)
    param.add_(m_hat * lr * adaptive * rect, alpha=-1.0)  # θ ← θ − η m̂ rₜ / (√v̂ + ε)


def radam_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    steps: list[float],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    r"""Apply :func:`radam_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of torch's ``_multi_tensor_radam``: one
    expression for both cases, :math:`\theta \leftarrow \theta + m \cdot b` with
    :math:`b = -\eta\, r_t \sqrt{1-\beta_2^t} / ((1-\beta_1^t)(\sqrt{v}+\epsilon))
    - \eta [r_t = 0] / (1-\beta_1^t)`. It agrees with the per-tensor path to round-off.

    Parameters
    ----------
    params, grads, exp_avgs, exp_avg_sqs, steps : list
        One entry per parameter, each as the singular argument of :func:`radam_step_`.
    lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize
        As in :func:`radam_step_`.
    """
    for (params_, grads_, exp_avgs_, exp_avg_sqs_), indices in by_device_and_dtype(
        [params, grads, exp_avgs, exp_avg_sqs]
    ):
        if weight_decay != 0 and decoupled_weight_decay:
            torch._foreach_mul_(params_, 1 - lr * weight_decay)  # θ ← (1 − ηλ)θ
        l2 = 0.0 if decoupled_weight_decay else weight_decay
        grads_ = ascent_and_l2(grads_, params_, l2, maximize)

        torch._foreach_lerp_(exp_avgs_, grads_, 1 - beta1)  # m ← β₁m + (1−β₁)g
        torch._foreach_mul_(exp_avg_sqs_, beta2)  # v ← β₂v
        torch._foreach_addcmul_(exp_avg_sqs_, grads_, grads_, 1 - beta2)  # v ← β₂v + (1−β₂)g²
        del grads_

        rects = [radam_rectification(*radam_rho(steps[i], beta2)) for i in indices]
        bias_corrections1 = [1 - beta1 ** steps[i] for i in indices]  # 1 − β₁ᵗ
        # −η [rₜ = 0] / (1 − β₁ᵗ): the momentum-only step, where it applies
        unrectified = [
            (lr * (0 if rect > 0 else 1.0) / bc) * -1
            for rect, bc in zip(rects, bias_corrections1, strict=True)
        ]
        # −η rₜ √(1 − β₂ᵗ) / (1 − β₁ᵗ)
        rectified = [
            ((1 - beta2 ** steps[i]) ** 0.5) * (lr * rect / bc) * -1
            for i, rect, bc in zip(indices, rects, bias_corrections1, strict=True)
        ]
        buffer = torch._foreach_sqrt(exp_avg_sqs_)  # √v
        torch._foreach_add_(buffer, eps)  # √v + ε
        torch._foreach_div_(buffer, rectified)
        torch._foreach_reciprocal_(buffer)  # −η rₜ √(1 − β₂ᵗ) / ((1 − β₁ᵗ)(√v + ε))
        torch._foreach_add_(buffer, unrectified)
        torch._foreach_addcmul_(params_, exp_avgs_, buffer)  # θ ← θ + m b


@complex_as_real
def radam(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    steps: list[float],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one RAdam update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`radam_foreach_` once, or :func:`radam_step_` once per tensor: the call
    :class:`RAdam` makes, as torch's class calls ``torch.optim.radam.radam``.
    """
    if foreach:
        radam_foreach_(params, grads, exp_avgs, exp_avg_sqs, steps, **hyperparameters)
        return
    for i, param in enumerate(params):
        radam_step_(param, grads[i], exp_avgs[i], exp_avg_sqs[i], steps[i], **hyperparameters)


class RAdam(Optimizer):
    r"""RAdam: Adam whose adaptive step is switched on, and scaled up, as its variance allows.

    A drop-in replacement for :class:`torch.optim.RAdam` (see :mod:`optnotes.optim`). The
    update is :func:`radam_step_`, or :func:`radam_foreach_` on the multi-tensor path.

    Parameters
    ----------
    params, foreach, maximize, capturable, differentiable
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float, default 1e-3
        Learning rate :math:`\eta`.
    betas : tuple of float, default (0.9, 0.999)
        Decay rates :math:`(\beta_1, \beta_2)` of the first and second moments.
    eps : float, default 1e-8
        :math:`\epsilon`, added to :math:`\sqrt{v_t}`.
    weight_decay : float, default 0
        Weight decay :math:`\lambda`.
    decoupled_weight_decay : bool, default False
        Decay the weights directly (as AdamW) instead of through the gradient.
    """

    supports_complex = True  # as its real view: see complex_as_real

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
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
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        return {
            "step": new_step_counter(),
            "exp_avg": zeros_like(param),  # m₀ = 0
            "exp_avg_sq": zeros_like(param),  # v₀ = 0
        }

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        states = self._prepare_states(group, params)
        beta1, beta2 = group["betas"]
        radam(
            params,
            grads,
            exp_avgs=[state["exp_avg"] for state in states],
            exp_avg_sqs=[state["exp_avg_sq"] for state in states],
            steps=[state["step"].item() for state in states],
            lr=as_float(group["lr"]),
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
            foreach=foreach,
        )
