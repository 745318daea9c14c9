r"""Schedule-Free AdamW: an average that replaces the learning-rate schedule (Defazio et al., 2024).

A learning-rate schedule that decays to zero at the end of training works better than
a constant rate, but it needs the length of the run in advance. Polyak–Ruppert
averaging of the iterates needs no length, and is optimal in theory, yet loses to a
schedule in practice. Schedule-Free (Defazio, Yang, Mehta, Mishchenko, Khaled and
Cutkosky, 2024, *The Road Less Scheduled*) closes the gap with three sequences: a base
sequence :math:`z` that takes plain gradient steps, its average :math:`x`, which is the
model one evaluates, and between them the point :math:`y` at which the gradient is
taken:

.. math::

    y_t &= (1-\beta)\, z_t + \beta\, x_t \\
    z_{t+1} &= z_t - \eta_t\, \hat g_t, \qquad \hat g_t \text{ the step direction at } y_t \\
    x_{t+1} &= (1 - c_{t+1})\, x_t + c_{t+1}\, z_{t+1}

With :math:`\beta = 0` the gradient is taken at :math:`z` and :math:`x` is the
running (Polyak) average of SGD's iterates; with :math:`\beta = 1` it is taken at the
average itself, *primal averaging*. The interpolation in between (default
:math:`\beta = 0.9`) has the momentum of the first and the stability of the second;
the paper shows it matches tuned schedules without knowing the run's length. There is
no momentum buffer: :math:`y` moving towards :math:`z` is the momentum.

**The average's weights.** With :math:`c_{t+1} = 1/(t+1)`, :math:`x` is the plain
average of :math:`z_1, \dots, z_{t+1}`. The implementation weights step :math:`t` by

.. math::

    w_t = t^r \cdot \eta_{\max,t}^{\,p}, \qquad c_{t+1} = w_t \Big/ \sum_{i=1}^t w_i

with :math:`r` (``r``, default 0) favouring recent iterates polynomially, and
:math:`\eta_{\max,t}` the largest learning rate so far raised to :math:`p`
(``weight_lr_power``, default 2): during a linear warm-up,
:math:`\eta_t = \eta \min(1, t/T)` (``warmup_steps`` :math:`T`), the early points taken
with small steps weigh little in the average (the paper's :math:`c_{t+1} =
\eta_t^2/\sum_i \eta_i^2`); afterwards the weights are constant. With :math:`p = 0`
and :math:`r = 0` the average is uniform. (:func:`optnotes.optim._schedule_free.advance_schedule`
computes :math:`\eta_t` and :math:`c_{t+1}`.)

**AdamW's direction.** The step direction is the gradient at :math:`y` divided by
Adam's denominator, with no first moment (the interpolation does its work):

.. math::

    v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2 \\
    \hat g_t &= g_t \big/ \bigl(\sqrt{v_t/(1-\beta_2^t)} + \epsilon\bigr) + \lambda\, y_t

The weight decay :math:`\lambda` is evaluated at :math:`y` and added after the
normalisation, so it is not scaled by the denominator (decoupled, as in AdamW);
:math:`\beta_1` is the interpolation weight :math:`\beta` above.

**Why the parameter holds y.** Keeping :math:`x`, :math:`y` and :math:`z` would cost
three copies of the model. Since :math:`y` is a fixed mix of :math:`x` and :math:`z`,
only :math:`y` (in the parameter, where the forward pass needs it) and :math:`z`
(``state["z"]``) are kept, and :math:`y_{t+1}` is computed from them directly:
substituting :math:`\beta x_t = y_t - (1-\beta) z_t` and :math:`z_{t+1} = z_t - \eta_t
\hat g_t` into :math:`y_{t+1} = (1-\beta) z_{t+1} + \beta x_{t+1}` gives

.. math::

    y_{t+1} = (1-c_{t+1})\, y_t + c_{t+1} z_t + \eta_t\bigl(\beta(1-c_{t+1})-1\bigr)\, \hat g_t

a ``lerp`` and an ``add``. The average is recovered when it is needed, for evaluation
and checkpoints: ``eval()`` (:meth:`~optnotes.optim._schedule_free.ScheduleFree.eval`)
sets the parameters to :math:`x = (y - (1-\beta) z)/\beta` (``y.lerp_(z, 1 - 1/β)``),
and ``train()`` back to :math:`y = \beta x + (1-\beta) z` (``x.lerp_(z, 1 - β)``).
Round trips
agree with the reference bit for bit, not with the exact :math:`y` (the two ``lerp``
round). The optimizer starts in eval mode: call ``train()`` before the first step and
``eval()`` before evaluating or saving, where the model's own ``train()`` and ``eval()``
go. A model with BatchNorm needs more: its running statistics were computed at
:math:`y` and should be recomputed at :math:`x` (the paper does so).

**The reference.** ``schedulefree.AdamWScheduleFree`` of the package ``schedulefree``
1.4.1 (``adamw_schedulefree.py``). :func:`adamw_schedule_free_step_` performs its
per-tensor operations in its order and :func:`adamw_schedule_free_foreach_` its foreach
operations, so each path equals the reference's bit for bit on the CPU (float32 and
float64), including after every ``eval()`` and ``train()``. Same constructor arguments
and defaults (``foreach=True``: the reference's default), same param-group keys
(``k``, ``train_mode``, ``weight_sum``, ``lr_max``, ``scheduled_lr``, ...) and state
(``z``, ``exp_avg_sq``), so checkpoints load both ways. The differences:

- **The gradient is left as it is.** The reference divides ``p.grad`` in place by the
  denominator and adds the decay to it ("for memory efficiency"): after its
  ``step()`` a parameter's ``.grad`` holds :math:`\hat g_t`, not the gradient, which
  surprises code that reads or accumulates gradients after a step. Ours writes
  :math:`\hat g_t` over the denominator's buffer on the per-tensor path (the same
  peak memory as the reference) and into a new list on the foreach path (one more
  copy of the group's gradients, freed after the step: the price of not writing into
  ``.grad``). The numbers are the same bit for bit.
- ``step()`` in eval mode raises :class:`~optnotes.optim._schedule_free.ScheduleFreeModeError`,
  a ``RuntimeError``, with the reference's message (the reference raises a bare ``Exception``).
- Arguments are checked (the reference checks none): ``lr`` and ``eps`` at least 0,
  :math:`\beta_1 \in (0, 1]`, :math:`\beta_2 \in [0, 1)`, ``weight_decay`` and
  ``warmup_steps`` at least 0. Of what the reference accepts this refuses
  :math:`\beta_1 = 0` (its ``eval()`` divides by :math:`\beta_1`: ZeroDivisionError),
  :math:`\beta_2 \ge 1` or :math:`< 0` (NaN parameters), and negative ``eps``,
  ``weight_decay`` or ``warmup_steps`` (the last acts as 0 in the reference).
- ``foreach=None`` takes the per-tensor path, as in the reference (any true value
  takes the foreach path), not torch's device rule; complex parameters are refused
  (the reference squares them as complex numbers).
"""

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from ._base import by_device_and_dtype, check, check_lr, zeros_like
from ._schedule_free import ScheduleFree, check_warmup_steps


def adamw_schedule_free_step_(
    param: Tensor,
    grad: Tensor,
    z: Tensor,
    exp_avg_sq: Tensor,
    *,
    lr: float,
    ckp1: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    step: int,
) -> None:
    r"""Apply one Schedule-Free AdamW update to ``param`` (the point :math:`y`) in place.

    Parameters
    ----------
    param, grad
        As every update function takes them (see :mod:`optnotes.optim`): here
        ``param`` is :math:`y_t` and becomes :math:`y_{t+1}`.
    z : torch.Tensor
        The base sequence :math:`z_t`, updated in place to :math:`z_{t+1}`.
    exp_avg_sq : torch.Tensor
        The second moment :math:`v_{t-1}`, updated in place.
    lr : float
        This step's learning rate :math:`\eta_t` (after the warm-up).
    ckp1 : float
        The weight :math:`c_{t+1}` of :math:`z_{t+1}` in the average (the reference's name).
    beta1 : float
        The interpolation weight :math:`\beta` of :math:`x` in :math:`y`.
    beta2 : float
        Decay rate :math:`\beta_2` of the second moment.
    eps : float
        :math:`\epsilon`, added to the denominator after the square root.
    weight_decay : float
        :math:`\lambda`, evaluated at :math:`y` and added after the normalisation.
    step : int
        The number :math:`t` of this step, from 1 (for :math:`1-\beta_2^t`).
    """
    bias_correction2 = 1 - beta2**step  # 1 − β₂ᵗ
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v ← β₂v + (1−β₂)g²
    denom = exp_avg_sq.div(bias_correction2).sqrt_().add_(eps)  # d ← √(v/(1−β₂ᵗ)) + ε
    normalized = torch.div(grad, denom, out=denom)  # ĝ ← g/d, over d (g stays)
    if weight_decay != 0:
        normalized.add_(param, alpha=weight_decay)  # ĝ ← ĝ + λy
    param.lerp_(end=z, weight=ckp1)  # y ← (1−c)y + cz
    param.add_(normalized, alpha=lr * (beta1 * (1 - ckp1) - 1))  # y ← y + η(β(1−c) − 1)ĝ
    z.sub_(normalized, alpha=lr)  # z ← z − ηĝ


def adamw_schedule_free_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    zs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    *,
    lr: float,
    ckp1: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    step: int,
) -> None:
    r"""Apply :func:`adamw_schedule_free_step_` to every tensor of ``params`` at once.

    The reference's foreach operations in its order, over lists; :math:`\hat g` goes
    into a new list, so the gradients stay as they are.

    Parameters
    ----------
    params, grads, zs, exp_avg_sqs : list of torch.Tensor
        One entry per parameter, each as the singular argument of
        :func:`adamw_schedule_free_step_`.
    lr, ckp1, beta1, beta2, eps, weight_decay, step
        As in :func:`adamw_schedule_free_step_`.
    """
    bias_correction2 = 1 - beta2**step  # 1 − β₂ᵗ
    lists = [params, grads, zs, exp_avg_sqs]
    for (params_, grads_, zs_, exp_avg_sqs_), _ in by_device_and_dtype(lists):
        torch._foreach_mul_(exp_avg_sqs_, beta2)  # β₂v
        torch._foreach_addcmul_(exp_avg_sqs_, grads_, grads_, value=1 - beta2)  # + (1−β₂)g²
        denoms = torch._foreach_div(exp_avg_sqs_, bias_correction2)  # v/(1−β₂ᵗ), a new list
        torch._foreach_sqrt_(denoms)
        torch._foreach_add_(denoms, eps)  # d ← √(v/(1−β₂ᵗ)) + ε
        normalized = torch._foreach_div(grads_, denoms)  # ĝ ← g/d, a new list (g stays)
        del denoms
        if weight_decay != 0:
            torch._foreach_add_(normalized, params_, alpha=weight_decay)  # ĝ ← ĝ + λy
        torch._foreach_lerp_(params_, zs_, weight=ckp1)  # y ← (1−c)y + cz
        torch._foreach_add_(params_, normalized, alpha=lr * (beta1 * (1 - ckp1) - 1))
        torch._foreach_sub_(zs_, normalized, alpha=lr)  # z ← z − ηĝ


def adamw_schedule_free(
    params: list[Tensor],
    grads: list[Tensor],
    zs: list[Tensor],
    exp_avg_sqs: list[Tensor],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one Schedule-Free AdamW update to every tensor of ``params``, on one path.

    :func:`adamw_schedule_free_foreach_` once, or :func:`adamw_schedule_free_step_`
    once per tensor: the call :class:`AdamWScheduleFree` makes for each param group.
    """
    if foreach:
        adamw_schedule_free_foreach_(params, grads, zs, exp_avg_sqs, **hyperparameters)
        return
    for i, param in enumerate(params):
        adamw_schedule_free_step_(param, grads[i], zs[i], exp_avg_sqs[i], **hyperparameters)


class AdamWScheduleFree(ScheduleFree):
    r"""Schedule-Free AdamW: no learning-rate schedule; evaluate the average.

    A drop-in replacement for ``schedulefree.AdamWScheduleFree`` (``schedulefree``
    1.4.1; see :mod:`optnotes.optim.adamw_schedule_free`): same arguments and defaults,
    same update, ``train()``/``eval()``, ``state_dict`` layout. Unlike the reference it
    leaves ``p.grad`` as it is. The update is :func:`adamw_schedule_free_step_`, or
    :func:`adamw_schedule_free_foreach_` on the multi-tensor path.

    Call ``train()`` before training steps and ``eval()`` before evaluating or
    saving a checkpoint: in train mode the parameters hold the point :math:`y` the
    gradients are taken at, in eval mode the average :math:`x`.

    Parameters
    ----------
    params
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float, default 0.0025
        Learning rate :math:`\eta` after the warm-up, at least 0.
    betas : tuple of float, default (0.9, 0.999)
        :math:`\beta_1 \in (0, 1]`, the interpolation weight of the average in the point
        :math:`y`, and :math:`\beta_2 \in [0, 1)`, the second moment's decay rate.
    eps : float, default 1e-8
        :math:`\epsilon`, added to the denominator after the square root; at least 0.
    weight_decay : float, default 0
        :math:`\lambda`, evaluated at :math:`y`, added to the normalised gradient.
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
        Naming the argument that is out of range.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 0.0025,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        foreach: bool | None = True,
    ) -> None:
        check_lr(lr)
        check(eps >= 0.0, f"Invalid epsilon value: {eps}")
        # β₁ = 0 would leave y = z, from which eval() cannot recover x (it divides by β₁).
        check(0.0 < betas[0] <= 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        check(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        check(weight_decay >= 0.0, f"Invalid weight_decay value: {weight_decay}")
        check_warmup_steps(warmup_steps)
        # The reference's keys, in its order.
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
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
        return group["betas"][0]

    def _init_state(self, group: dict[str, Any], param: Tensor) -> dict[str, Tensor]:
        return {
            "z": torch.clone(param, memory_format=torch.preserve_format),  # z₁ = y₁ = x₁
            "exp_avg_sq": zeros_like(param),  # v₀ = 0
        }

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
        states = [self.state[param] for param in params]
        beta1, beta2 = group["betas"]
        adamw_schedule_free(
            params,
            grads,
            zs=[state["z"] for state in states],
            exp_avg_sqs=[state["exp_avg_sq"] for state in states],
            lr=lr,
            ckp1=ckp1,
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            step=group["k"] + 1,
            foreach=foreach,
        )
