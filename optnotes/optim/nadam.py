r"""NAdam: Adam with Nesterov momentum (Dozat, 2016).

Nesterov's momentum evaluates the step at the point the momentum is about to carry the
parameters to. In Adam's terms, the next step's momentum :math:`\mu_{t+1} m_t` is used
now, beside the part :math:`(1-\mu_t) g_t` the current gradient adds. Dozat also lets
the momentum coefficient warm up, :math:`\mu_t = \beta_1 (1 - \frac12 \cdot
0.96^{t\psi})` with the momentum decay :math:`\psi`, and corrects the bias with the
product :math:`\prod_{i \le t} \mu_i` instead of :math:`\beta_1^t`:

.. math::

    m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t \\
    v_t &= \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
    \theta_t &= \theta_{t-1} - \eta \Bigl(
        \frac{1-\mu_t}{1 - \prod_{i=1}^{t}\mu_i}\, g_t
        + \frac{\mu_{t+1}}{1 - \prod_{i=1}^{t+1}\mu_i}\, m_t \Bigr)
        \Big/ \Bigl(\sqrt{v_t / (1-\beta_2^t)} + \epsilon\Bigr)

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


def nadam_momentum(step: float, beta1: float, momentum_decay: float) -> float:
    r"""Return NAdam's momentum coefficient :math:`\mu_t = \beta_1 (1 - \frac12\, 0.96^{t\psi})`.

    Parameters
    ----------
    step : float
        The step :math:`t`.
    beta1 : float
        Its limit :math:`\beta_1`, approached as :math:`t\psi` grows.
    momentum_decay : float
        The momentum decay :math:`\psi`.

    Returns
    -------
    float
        :math:`\mu_t`, from :math:`\beta_1/2` at :math:`t\psi = 0` up to :math:`\beta_1`.
    """
    return beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))


def nadam_step_(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    mu_product: Tensor,
    step: float,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    r"""Apply one NAdam update to ``param`` in place.

    Parameters
    ----------
    param, grad, lr, weight_decay, maximize
        As every update function takes them (see :mod:`optnotes.optim`).
    exp_avg, exp_avg_sq : torch.Tensor
        The moments :math:`m_{t-1}` and :math:`v_{t-1}`, updated in place.
    mu_product : torch.Tensor
        The product :math:`\prod_{i<t} \mu_i` (a 0-dim tensor), updated in place.
    step : float
        The number :math:`t` of this step, starting at 1.
    beta1, beta2 : float
        Decay rates of the first and second moments.
    eps : float
        Term added to :math:`\sqrt{\hat v_t}`, :math:`\epsilon`.
    momentum_decay : float
        The momentum decay :math:`\psi` of :func:`nadam_momentum`.
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

    mu = nadam_momentum(step, beta1, momentum_decay)  # μₜ
    mu_next = nadam_momentum(step + 1, beta1, momentum_decay)  # μₜ₊₁
    mu_product *= mu  # Πᵢ≤ₜ μᵢ
    exp_avg.lerp_(grad, 1 - beta1)  # m ← β₁m + (1−β₁)g
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v ← β₂v + (1−β₂)g²

    denom = exp_avg_sq.div(1 - beta2**step).sqrt().add_(eps)  # √(v / (1 − β₂ᵗ)) + ε
    product = mu_product.item()
    product_next = product * mu_next  # Πᵢ≤ₜ₊₁ μᵢ
    param.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - product))  # the gradient's part
    param.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - product_next))  # momentum's


def nadam_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    mu_products: list[Tensor],
    steps: list[float],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    momentum_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    r"""Apply :func:`nadam_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of torch's ``_multi_tensor_nadam``, which
    divides :math:`\sqrt{v_t}` by :math:`\sqrt{1-\beta_2^t}` where the per-tensor path
    takes the root of :math:`v_t / (1-\beta_2^t)`: the two paths of torch (and ours)
    agree to round-off, not bit for bit.

    Parameters
    ----------
    params, grads, exp_avgs, exp_avg_sqs, mu_products, steps : list
        One entry per parameter, each as the singular argument of :func:`nadam_step_`.
    lr, beta1, beta2, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize
        As in :func:`nadam_step_`.
    """
    for (params_, grads_, exp_avgs_, exp_avg_sqs_, mu_products_), indices in by_device_and_dtype(
        [params, grads, exp_avgs, exp_avg_sqs, mu_products]
    ):
        if weight_decay != 0 and decoupled_weight_decay:
            torch._foreach_mul_(params_, 1 - lr * weight_decay)  # θ ← (1 − ηλ)θ
        l2 = 0.0 if decoupled_weight_decay else weight_decay
        grads_ = ascent_and_l2(grads_, params_, l2, maximize)

        torch._foreach_lerp_(exp_avgs_, grads_, 1 - beta1)  # m ← β₁m + (1−β₁)g
        torch._foreach_mul_(exp_avg_sqs_, beta2)  # v ← β₂v
        torch._foreach_addcmul_(exp_avg_sqs_, grads_, grads_, 1 - beta2)  # v ← β₂v + (1−β₂)g²
        denom = torch._foreach_sqrt(exp_avg_sqs_)  # √v

        mus = [nadam_momentum(steps[i], beta1, momentum_decay) for i in indices]  # μₜ
        mu_nexts = [nadam_momentum(steps[i] + 1, beta1, momentum_decay) for i in indices]
        torch._foreach_mul_(mu_products_, mus)  # Πᵢ≤ₜ μᵢ
        torch._foreach_div_(denom, [(1 - beta2 ** steps[i]) ** 0.5 for i in indices])
        torch._foreach_add_(denom, eps)  # √v / √(1 − β₂ᵗ) + ε

        products = [product.item() for product in mu_products_]
        # −η(1 − μₜ) / (1 − Πᵢ≤ₜ μᵢ) and −η μₜ₊₁ / (1 − Πᵢ≤ₜ₊₁ μᵢ)
        grad_sizes = [
            (lr * (1.0 - mu) / (1.0 - p)) * -1 for p, mu in zip(products, mus, strict=True)
        ]
        momentum_sizes = [
            (lr * mu_next / (1.0 - p * mu_next)) * -1
            for p, mu_next in zip(products, mu_nexts, strict=True)
        ]
        torch._foreach_addcdiv_(params_, grads_, denom, grad_sizes)  # the gradient's part
        torch._foreach_addcdiv_(params_, exp_avgs_, denom, momentum_sizes)  # momentum's


@complex_as_real
def nadam(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    mu_products: list[Tensor],
    steps: list[float],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one NAdam update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`nadam_foreach_` once, or :func:`nadam_step_` once per tensor: the call
    :class:`NAdam` makes, as torch's class calls ``torch.optim.nadam.nadam``.
    """
    if foreach:
        nadam_foreach_(params, grads, exp_avgs, exp_avg_sqs, mu_products, steps, **hyperparameters)
        return
    for i, param in enumerate(params):
        nadam_step_(
            param,
            grads[i],
            exp_avgs[i],
            exp_avg_sqs[i],
            mu_products[i],
            steps[i],
            **hyperparameters,
        )


class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum and a warming-up momentum coefficient.

    A drop-in replacement for :class:`torch.optim.NAdam` (see :mod:`optnotes.optim`). The
    update is :func:`nadam_step_`, or :func:`nadam_foreach_` on the multi-tensor path.
    As in torch, ``mu_product`` is kept like ``step``, a float32 0-dim tensor (float64
    under a float64 default dtype), and ``load_state_dict`` casts it to the parameter's
    dtype: a float64 run resumed from a checkpoint continues with a more precise product
    and may differ from the uninterrupted run in the last bits, exactly as torch's does.

    Parameters
    ----------
    params, foreach, maximize, capturable, differentiable
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float, default 2e-3
        Learning rate :math:`\eta`.
    betas : tuple of float, default (0.9, 0.999)
        Decay rates :math:`(\beta_1, \beta_2)` of the first and second moments.
    eps : float, default 1e-8
        :math:`\epsilon`, added to :math:`\sqrt{\hat v_t}`.
    weight_decay : float, default 0
        Weight decay :math:`\lambda`.
    momentum_decay : float, default 4e-3
        The momentum decay :math:`\psi` (see :func:`nadam_momentum`).
    decoupled_weight_decay : bool, default False
        Decay the weights directly (as AdamW) instead of through the gradient.
    """

    supports_complex = True  # as its real view: see complex_as_real

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
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
        check(momentum_decay >= 0.0, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        return {
            "step": new_step_counter(),
            "mu_product": new_step_counter().fill_(1.0),  # the empty product, 1
            "exp_avg": zeros_like(param),  # m₀ = 0
            "exp_avg_sq": zeros_like(param),  # v₀ = 0
        }

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        states = self._prepare_states(group, params)
        beta1, beta2 = group["betas"]
        nadam(
            params,
            grads,
            exp_avgs=[state["exp_avg"] for state in states],
            exp_avg_sqs=[state["exp_avg_sq"] for state in states],
            mu_products=[state["mu_product"] for state in states],
            steps=[state["step"].item() for state in states],
            lr=as_float(group["lr"]),
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum_decay=group["momentum_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
            foreach=foreach,
        )
