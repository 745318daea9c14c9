r"""Adam: adaptive moment estimation (Kingma & Ba, 2015).

With gradient :math:`g_t`, learning rate :math:`\eta`, decay rates
:math:`\beta_1, \beta_2` and :math:`\epsilon`:

.. math::

    m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\
    v_t &= \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
    \hat m_t &= m_t / (1-\beta_1^t), \qquad \hat v_t = v_t / (1-\beta_2^t) \\
    \theta_t &= \theta_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

Weight decay :math:`\lambda` is either an L2 penalty added to the gradient
(:math:`g_t \leftarrow g_t + \lambda\theta_{t-1}`), or *decoupled* from it as in
AdamW (:math:`\theta_{t-1} \leftarrow (1-\eta\lambda)\theta_{t-1}`, Loshchilov &
Hutter, 2019). AMSGrad divides by the running maximum of :math:`v_t` instead.
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


def adam_step_(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    max_exp_avg_sq: Tensor | None,
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
    r"""Apply one Adam update to ``param`` in place.

    The moments are updated with ``lerp_``/``addcmul_`` and the step is
    ``addcdiv_`` with the denominator :math:`\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon`,
    the same operations in the same order as ``torch.optim.Adam``, which makes
    the two agree bit for bit. The textbook forms compute the same numbers up to
    float round-off (about 1e-7 relative per step in float32).

    Parameters
    ----------
    param, grad, lr, weight_decay, maximize
        As every update function takes them (see :mod:`optnotes.optim`).
    exp_avg, exp_avg_sq : torch.Tensor
        The moments :math:`m_{t-1}` and :math:`v_{t-1}`, updated in place.
    max_exp_avg_sq : torch.Tensor or None
        AMSGrad's running maximum of :math:`v`, updated in place; ``None`` for plain Adam.
    step : float
        The number :math:`t` of this step, starting at 1.
    beta1 : float
        Decay rate of the first moment :math:`\beta_1`.
    beta2 : float
        Decay rate of the second moment :math:`\beta_2`.
    eps : float
        Term added to :math:`\sqrt{\hat v_t}` for numerical stability, :math:`\epsilon`.
    decoupled_weight_decay : bool
        Shrink the weights directly (AdamW) instead of adding :math:`\lambda\theta` to the gradient.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param.mul_(1 - lr * weight_decay)  # θ ← (1 − ηλ)θ            (AdamW)
        else:
            grad = grad.add(param, alpha=weight_decay)  # g ← g + λθ     (L2 penalty)

    exp_avg.lerp_(grad, 1 - beta1)  # m ← β₁m + (1−β₁)g
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v ← β₂v + (1−β₂)g²

    bias_correction1 = 1 - beta1**step  # 1 − β₁ᵗ
    bias_correction2 = 1 - beta2**step  # 1 − β₂ᵗ
    if max_exp_avg_sq is not None:  # AMSGrad: normalise by the largest v seen so far
        torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
    v = exp_avg_sq if max_exp_avg_sq is None else max_exp_avg_sq

    denom = (v.sqrt() / bias_correction2**0.5).add_(eps)  # √v̂ + ε = √v / √(1 − β₂ᵗ) + ε
    param.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)  # θ ← θ − η m̂ / (√v̂ + ε)


def adam_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    max_exp_avg_sqs: list[Tensor] | None,
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
    r"""Apply :func:`adam_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of torch's ``_multi_tensor_adam``.

    Parameters
    ----------
    params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps : list
        One entry per parameter, each as the singular argument of :func:`adam_step_`;
        ``max_exp_avg_sqs`` is ``None`` for plain Adam.
    lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay, maximize
        As in :func:`adam_step_`.
    """
    for (
        params_,
        grads_,
        exp_avgs_,
        exp_avg_sqs_,
        max_exp_avg_sqs_,
    ), indices in by_device_and_dtype([params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs]):
        if weight_decay != 0 and decoupled_weight_decay:
            torch._foreach_mul_(params_, 1 - lr * weight_decay)  # θ ← (1 − ηλ)θ   (AdamW)
        l2 = 0.0 if decoupled_weight_decay else weight_decay
        grads_ = ascent_and_l2(grads_, params_, l2, maximize)

        torch._foreach_lerp_(exp_avgs_, grads_, 1 - beta1)  # m ← β₁m + (1−β₁)g
        torch._foreach_mul_(exp_avg_sqs_, beta2)  # v ← β₂v
        torch._foreach_addcmul_(exp_avg_sqs_, grads_, grads_, 1 - beta2)  # v ← β₂v + (1−β₂)g²
        del grads_  # free a copy of the gradients before the next temporaries

        bias_correction1 = [1 - beta1 ** steps[i] for i in indices]  # 1 − β₁ᵗ
        bias_correction2 = [1 - beta2 ** steps[i] for i in indices]  # 1 − β₂ᵗ
        step_sizes = [(lr / bc) * -1 for bc in bias_correction1]  # −η / (1 − β₁ᵗ)
        if max_exp_avg_sqs_ is not None:  # AMSGrad: normalise by the largest v seen so far
            torch._foreach_maximum_(max_exp_avg_sqs_, exp_avg_sqs_)
        v = exp_avg_sqs_ if max_exp_avg_sqs_ is None else max_exp_avg_sqs_

        denom = torch._foreach_sqrt(v)  # √v
        torch._foreach_div_(denom, [bc**0.5 for bc in bias_correction2])  # √v / √(1 − β₂ᵗ)
        torch._foreach_add_(denom, eps)  # √v̂ + ε
        torch._foreach_addcdiv_(params_, exp_avgs_, denom, step_sizes)  # θ ← θ − η m̂ / (√v̂ + ε)


@complex_as_real(l2_before_views=True)
def adam(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    max_exp_avg_sqs: list[Tensor] | None,
    steps: list[float],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one Adam update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`adam_foreach_` once, or :func:`adam_step_` once per tensor. This is the call
    :class:`Adam` makes (as torch's class calls ``torch.optim.adam.adam``): the lists
    :func:`adam_foreach_` takes, then the hyper-parameters of both by keyword.
    """
    if foreach:
        adam_foreach_(
            params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, **hyperparameters
        )
        return
    for i, param in enumerate(params):
        max_exp_avg_sq = None if max_exp_avg_sqs is None else max_exp_avg_sqs[i]
        adam_step_(
            param,
            grads[i],
            exp_avgs[i],
            exp_avg_sqs[i],
            max_exp_avg_sq,
            steps[i],
            **hyperparameters,
        )


def check_tensor_betas(
    betas: tuple[float | Tensor, float | Tensor], *, foreach: bool | None, capturable: bool
) -> tuple[float | Tensor, float | Tensor]:
    """Check ``betas`` given as tensors as ``torch.optim.Adam`` does; return them as it keeps them.

    Both floats or both tensors; a tensor beta only off the multi-tensor path (or
    with ``capturable``) and with one element, which is kept as a 0-dim tensor
    (torch's ``_to_scalar``). Same messages, in torch's order.
    """
    floats = all(isinstance(beta, float) for beta in betas[:2])
    check(
        floats or all(isinstance(beta, Tensor) for beta in betas[:2]),
        "betas must be either both floats or both Tensors",
    )
    for index, beta in enumerate(betas[:2]):
        if isinstance(beta, Tensor):
            check(
                capturable or not foreach,
                f"betas[{index}] as a Tensor is not supported for capturable=False and "
                "foreach=True",
            )
            check(beta.numel() == 1, f"Tensor betas[{index}] must be 1-element")
    return tuple(
        beta.squeeze() if isinstance(beta, Tensor) and beta.dim() != 0 else beta for beta in betas
    )


class Adam(Optimizer):
    r"""Adam, with optional AMSGrad and L2 or decoupled weight decay.

    A drop-in replacement for :class:`torch.optim.Adam` (see :mod:`optnotes.optim`). The
    update is :func:`adam_step_`, or :func:`adam_foreach_` on the multi-tensor path; as in
    torch, ``foreach=None`` keeps the per-tensor path when ``lr`` is a tensor.

    Parameters
    ----------
    params, foreach, maximize, capturable, differentiable, fused
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float, default 1e-3
        Learning rate :math:`\eta`.
    betas : tuple of float, default (0.9, 0.999)
        Decay rates :math:`(\beta_1, \beta_2)` of the first and second moments.
    eps : float, default 1e-8
        :math:`\epsilon`, added to :math:`\sqrt{\hat v_t}` for numerical stability.
    weight_decay : float, default 0
        Weight decay :math:`\lambda`.
    amsgrad : bool, default False
        Use the running maximum of :math:`v_t` (Reddi et al., 2018).
    decoupled_weight_decay : bool, default False
        Decay the weights directly (AdamW) instead of through the gradient.
    """

    supports_complex = True  # as its real view: see complex_as_real

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError(
                "lr as a Tensor is not supported for capturable=False and foreach=True"
            )
        check_lr(lr)
        check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        check_betas(betas)
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        betas = check_tensor_betas(betas, foreach=foreach, capturable=capturable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        state = {"step": new_step_counter()}
        state["exp_avg"] = zeros_like(param)  # m₀ = 0
        state["exp_avg_sq"] = zeros_like(param)  # v₀ = 0
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(param)
        return state

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        states = self._prepare_states(group, params)
        beta1, beta2 = group["betas"]
        adam(
            params,
            grads,
            exp_avgs=[state["exp_avg"] for state in states],
            exp_avg_sqs=[state["exp_avg_sq"] for state in states],
            max_exp_avg_sqs=(
                [state["max_exp_avg_sq"] for state in states] if group["amsgrad"] else None
            ),
            steps=[state["step"].item() for state in states],
            lr=as_float(group["lr"]),
            beta1=as_float(beta1),
            beta2=as_float(beta2),
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
            foreach=foreach,
        )

    def _use_foreach(self, group: dict[str, Any], params: list[Tensor]) -> bool:
        if group["foreach"] is None and torch.is_tensor(group["lr"]):
            return False  # as torch.optim.Adam: a tensor lr keeps the per-tensor default
        return super()._use_foreach(group, params)
