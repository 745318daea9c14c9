r"""ASGD: SGD with a decaying step and Polyak–Ruppert averaging of the iterates.

Polyak & Juditsky (1992, *Acceleration of stochastic approximation by averaging*), the paper
torch cites, show that plain SGD with a step :math:`\eta_t` decaying more slowly than
:math:`1/t` followed by the running mean of its iterates,

.. math::

    \bar\theta_t = \frac{1}{t - t_0} \sum_{s = t_0 + 1}^{t} \theta_s ,

converges at the optimal rate (that of Newton's method with the true Hessian) without knowing
the Hessian: the large steps move fast, the mean averages their noise away. The mean is kept
recursively, :math:`\bar\theta_t = \bar\theta_{t-1} + \mu_t (\theta_t - \bar\theta_{t-1})` with
:math:`\mu_t = 1/(t - t_0)`, and it starts at :math:`t_0`: the first iterates are far from the
optimum and would only drag the mean.

Torch's form is Bottou's (*Stochastic Gradient Descent Tricks*, 2012; Xu, 2011), written
for an objective with an L2 term :math:`\frac{\lambda}{2}\lVert\theta\rVert^2` whose
:math:`\lambda` (``lambd``) also sets the step schedule. With :math:`\alpha = 3/4`, the exponent
Bottou recommends:

.. math::

    \theta_t &= \theta_{t-1}(1 - \lambda\eta_{t-1}) - \eta_{t-1} g_t \\
    \bar\theta_t &= \bar\theta_{t-1} + \mu_{t-1}(\theta_t - \bar\theta_{t-1}) \\
    \eta_t &= \frac{\eta}{(1 + \lambda\eta t)^{\alpha}}, \qquad
    \mu_t = \frac{1}{\max(1,\, t - t_0)}

with :math:`\eta_0 = \eta`, :math:`\mu_0 = 1`, and the ``weight_decay`` term, if any, added to
:math:`g_t` first. Read from torch's code:

- The step and the averaging weight used at step :math:`t` are those computed at the end of step
  :math:`t-1` (state ``eta`` and ``mu``). So :math:`\mu` is 1 up to step
  :math:`t_0 + 2`, which copies :math:`\theta` into :math:`\bar\theta` (``ax``); for an integer
  :math:`t_0` the average is that of :math:`\theta_{t_0+2}, \ldots, \theta_t`, one iterate later
  than the docstring's "point at which to start averaging" suggests.
- ``ax`` is only kept: the parameters stay the SGD iterates, and the averaged model is
  ``optimizer.state[p]["ax"]``, to be copied into the parameters by the user when evaluating.
- ``eta``, ``mu`` and ``step`` are 0-dim tensors on the parameter's device in the scalar dtype
  (float32, float64 under a float64 default); ``load_state_dict`` casts ``eta`` and ``mu``
  (not ``step``) to the parameter's dtype. ``eta`` starts at the learning rate rounded to that
  dtype, and is recomputed in Python floats on the single-tensor path but in the step tensor's
  dtype on the multi-tensor path, which also folds the decay into one
  :math:`\theta \leftarrow \theta - \eta(g + \lambda\theta)` and always averages with
  :math:`\mu` (where the single-tensor path copies when :math:`\mu = 1`): the two paths agree
  to round-off, each equal to the same path of torch bit for bit.
- A learning rate changed after construction (a scheduler) only enters :math:`\eta_t` from the
  next recomputation on; the first step uses the constructor's.
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


def asgd_step_(
    param: Tensor,
    grad: Tensor,
    ax: Tensor,
    mu: Tensor,
    eta: Tensor,
    step: Tensor,
    *,
    lr: float,
    lambd: float,
    alpha: float,
    t0: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    r"""Apply one ASGD update to ``param`` in place, then average it into ``ax``.

    Parameters
    ----------
    param, grad, lr, weight_decay, maximize
        As every update function takes them (see :mod:`optnotes.optim`); ``lr`` is the base
        rate :math:`\eta` of the schedule, not this step's.
    ax : torch.Tensor
        The average :math:`\bar\theta_{t-1}` of the iterates, updated in place.
    mu : torch.Tensor
        The averaging weight :math:`\mu_{t-1}`, a 0-dim tensor, set to :math:`\mu_t`.
    eta : torch.Tensor
        The step size :math:`\eta_{t-1}`, a 0-dim tensor, set to :math:`\eta_t`.
    step : torch.Tensor
        The number :math:`t` of this step, starting at 1 (the state's 0-dim ``step``).
    lambd : float
        The L2 coefficient :math:`\lambda` of the decay term and of the step schedule.
    alpha : float
        The exponent :math:`\alpha` of the step schedule.
    t0 : float
        The step :math:`t_0` after which averaging starts.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # g ← g + wθ

    eta_value = eta.item()  # ηₜ₋₁
    param.mul_(1 - lambd * eta_value)  # θ ← θ(1 − ληₜ₋₁)
    param.add_(grad, alpha=-eta_value)  # θ ← θ − ηₜ₋₁ g

    if mu.item() != 1:
        ax.add_(param.sub(ax).mul_(mu))  # θ̄ ← θ̄ + μₜ₋₁(θ − θ̄)
    else:
        ax.copy_(param)  # μ = 1: θ̄ ← θ (before averaging starts)

    t = step.item()
    eta.copy_(torch.as_tensor(lr / ((1 + lambd * lr * t) ** alpha)))  # ηₜ = η / (1 + ληt)^α
    mu.copy_(torch.as_tensor(1 / max(1, t - t0)))  # μₜ = 1 / max(1, t − t₀)


def asgd_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    axs: list[Tensor],
    mus: list[Tensor],
    etas: list[Tensor],
    steps: list[Tensor],
    *,
    lr: float,
    lambd: float,
    alpha: float,
    t0: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    r"""Apply :func:`asgd_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of torch's ``_multi_tensor_asgd``, which differ
    from the single-tensor path's in the last bits (see :mod:`optnotes.optim.asgd`).

    Parameters
    ----------
    params, grads, axs, mus, etas, steps : list
        One entry per parameter, each as the singular argument of :func:`asgd_step_`.
    lr, lambd, alpha, t0, weight_decay, maximize
        As in :func:`asgd_step_`.
    """
    for (params_, grads_, axs_, mus_, etas_, steps_), _ in by_device_and_dtype(
        [params, grads, axs, mus, etas, steps]
    ):
        grads_owned = maximize or weight_decay != 0  # grads_ is our copy, free to overwrite
        grads_ = ascent_and_l2(grads_, params_, weight_decay, maximize)
        if grads_owned:
            torch._foreach_add_(grads_, params_, alpha=lambd)  # g + λθ
        else:
            grads_ = torch._foreach_add(grads_, params_, alpha=lambd)  # g + λθ
        # θ ← θ − ηₜ₋₁(g + λθ) = θ(1 − ληₜ₋₁) − ηₜ₋₁ g
        torch._foreach_addcmul_(params_, grads_, etas_, value=-1)
        del grads_  # freed before the differences are made, as torch does: one buffer less

        differences = torch._foreach_sub(params_, axs_)  # θ − θ̄
        torch._foreach_addcmul_(axs_, differences, mus_)  # θ̄ ← θ̄ + μₜ₋₁(θ − θ̄), also for μ = 1

        # ηₜ = η / (1 + ληt)^α, computed in the step tensor's dtype (unlike the single path)
        new_etas = [lr / ((1 + lambd * lr * step) ** alpha) for step in steps_]
        new_mus = [
            torch.as_tensor(1 / max(1, step.item() - t0), device=params_[0].device)
            for step in steps_
        ]  # μₜ = 1 / max(1, t − t₀)
        torch._foreach_copy_(etas_, new_etas)
        torch._foreach_copy_(mus_, new_mus)


@complex_as_real
def asgd(
    params: list[Tensor],
    grads: list[Tensor],
    axs: list[Tensor],
    mus: list[Tensor],
    etas: list[Tensor],
    steps: list[Tensor],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one ASGD update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`asgd_foreach_` once, or :func:`asgd_step_` once per tensor: the call
    :class:`ASGD` makes, as torch's class calls ``torch.optim.asgd.asgd``.
    """
    if foreach:
        asgd_foreach_(params, grads, axs, mus, etas, steps, **hyperparameters)
        return
    for i, param in enumerate(params):
        asgd_step_(param, grads[i], axs[i], mus[i], etas[i], steps[i], **hyperparameters)


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent.

    A drop-in replacement for :class:`torch.optim.ASGD` (see :mod:`optnotes.optim`). The
    update is :func:`asgd_step_`, or :func:`asgd_foreach_` on the multi-tensor path. The
    parameters follow the SGD iterates; their average is the state ``ax``.

    Parameters
    ----------
    params, foreach, maximize, differentiable, capturable
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float, default 1e-2
        Base learning rate :math:`\eta` of the schedule :math:`\eta_t`.
    lambd : float, default 1e-4
        :math:`\lambda`: the decay term's coefficient and the schedule's rate (not checked).
    alpha : float, default 0.75
        Exponent :math:`\alpha` of the schedule (not checked).
    t0 : float, default 1e6
        Step :math:`t_0` after which averaging starts (not checked).
    weight_decay : float, default 0
        L2 penalty added to the gradient, on top of the decay term.
    """

    supports_complex = True  # as its real view: see complex_as_real

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_lr(lr)
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Older checkpoints may hold numbers: torch makes tensors of them on the param's device.
        for param, param_state in state.get("state", {}).items():
            for key in ("step", "eta", "mu"):
                if key in param_state and not torch.is_tensor(param_state[key]):
                    value = float(param_state[key])
                    param_state[key] = new_step_counter().fill_(value).to(param.device)
        super().__setstate__(state)

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        # Unlike most optimizers' step, ASGD's scalars live on the parameter's device.
        return {
            "step": new_step_counter().to(param.device),
            "eta": new_step_counter().fill_(as_float(group["lr"])).to(param.device),  # η₀ = η
            "mu": new_step_counter().fill_(1.0).to(param.device),  # μ₀ = 1
            "ax": zeros_like(param),  # θ̄₀ = 0, overwritten by the first step
        }

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        states = self._prepare_states(group, params)
        asgd(
            params,
            grads,
            axs=[state["ax"] for state in states],
            mus=[state["mu"] for state in states],
            etas=[state["eta"] for state in states],
            steps=[state["step"] for state in states],
            lr=as_float(group["lr"]),
            lambd=group["lambd"],
            alpha=group["alpha"],
            t0=group["t0"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
            foreach=foreach,
        )
