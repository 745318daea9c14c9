r"""Lion: the sign of an interpolated momentum (Chen et al., 2023).

Lion ("EvoLved Sign Momentum") was found by a program search over update rules
(Chen, Liang, Huang, Real, Wang, Liu, Pham, Dong, Luong, Hsieh, Lu and Le, 2023,
*Symbolic Discovery of Optimization Algorithms*). It keeps one buffer, the momentum
:math:`m`, and steps by the sign of an interpolation between it and the gradient:

.. math::

    c_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t \\
    \theta_t &= \theta_{t-1} - \eta\,\bigl(\operatorname{sign}(c_t) + \lambda\,\theta_{t-1}\bigr) \\
    m_t &= \beta_2 m_{t-1} + (1-\beta_2)\, g_t

with :math:`m_0 = 0` and :math:`\operatorname{sign}(0) = 0`. The weight decay is
decoupled, as in AdamW: :math:`\lambda\theta` is added to the step, never to the
gradient, so the momentum sees only gradients.

**The sign update and its size.** Every coordinate of :math:`\operatorname{sign}(c_t)`
is :math:`\pm 1` (or 0 where :math:`c_t` is exactly 0), whatever the scale of the
gradient: the update has root mean square 1 per entry, :math:`\lVert
\operatorname{sign}(c_t) \rVert_2 / \sqrt{n} = 1`, and each parameter moves by exactly
:math:`\eta`. Adam's update :math:`\hat m_t / (\sqrt{\hat v_t} + \epsilon)` is also
scale-free, but smaller: :math:`\hat m` averages signed gradients and
:math:`\sqrt{\hat v}` their magnitudes, and :math:`|\mathbb E g| \le \sqrt{\mathbb E
g^2}`, so each entry is at most about 1 in size and far below 1 where the gradient is
noisy and its signs disagree from step to step. Lion takes the full step on every
coordinate, so for a comparable step size its learning rate must be smaller: the
paper finds 3 to 10 times smaller than AdamW's best. Since the decay per step is
:math:`\eta\lambda`, its :math:`\lambda` is then 3 to 10 times larger, for the same
strength. The sign also makes the update robust to a few huge gradient entries, and
the single buffer halves Adam's optimizer memory.

**The two betas.** With :math:`\beta_1 = \beta_2` Lion is signed momentum (signSGD
with momentum). The search split them: the step uses :math:`c_t`, which gives the
current gradient the weight :math:`1-\beta_1 = 0.1`, while the memory
:math:`m_t` takes it in with :math:`1-\beta_2 = 0.01`, a long average of about
:math:`1/(1-\beta_2) = 100` steps. So the step reacts to the newest gradient ten times
more than the memory does, a look-ahead in the manner of Nesterov's momentum, and the
memory stays smooth. The defaults :math:`(\beta_1, \beta_2) = (0.9, 0.99)` are the
paper's; :math:`(0.95, 0.98)` is its suggestion against instability.

**The reference.** The class is a drop-in replacement for ``lion_pytorch.Lion`` of
lucidrains' package ``lion-pytorch`` 0.2.5 (``lion_pytorch/lion_pytorch.py``). Its
update, in the order of its operations: the decay
:math:`\theta \leftarrow \theta\,(1 - \eta\lambda)` first, then
:math:`c = m \cdot \beta_1 + (1-\beta_1)\, g` (a ``mul_`` then an ``add``, not a
``lerp``, which rounds differently), :math:`\theta \leftarrow \theta - \eta
\operatorname{sign}(c)`, and last :math:`m \leftarrow m \cdot \beta_2 + (1-\beta_2)\,
g`, again ``mul_`` then ``add_``. :func:`lion_step_` performs these operations in this
order and so equals it bit for bit on the CPU; :func:`lion_foreach_` performs them on
lists, and equals :func:`lion_step_` bit for bit on the CPU.

The package's separate multi-tensor class (``lion_pytorch/foreach.py``) is not the
model of :func:`lion_foreach_`: it takes both averages with ``lerp``, so it equals ours
to round-off only (before 0.2.5 it also added the sign with ``alpha=1`` instead of
:math:`-\eta`, stepping uphill). The authors' own PyTorch code (``google/automl``,
``lion/lion_pytorch.py``) has the same order of the three operations; it forms
:math:`c` as ``exp_avg * beta1 + grad * (1 - beta1)``, which can round differently,
and checks ``lr >= 0`` and ``0 <= beta < 1`` instead of ``lr > 0`` and
``0 <= beta <= 1``. The Triton kernel of ``lion-pytorch`` (``use_triton=True``) is
refused. With ``decoupled_weight_decay=True`` the package divides :math:`\lambda` by
the *initial* learning rate :math:`\eta_0` (the constructor's ``lr``): the decay per
step becomes :math:`\theta(1 - \eta_t\lambda/\eta_0)`, :math:`\theta(1-\lambda)` at
the initial rate, and follows a schedule's ratio :math:`\eta_t/\eta_0`. The state is
one buffer per parameter, ``exp_avg`` (no step count), and the param groups hold
``lr``, ``betas`` and ``weight_decay`` (ours add ``foreach``).
"""

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor

from ._base import Optimizer, as_float, by_device_and_dtype, zeros_like


class LionArgumentError(ValueError, AssertionError):
    """An invalid argument of :class:`Lion`.

    ``lion_pytorch.Lion`` checks its arguments with bare ``assert`` statements; this
    error names the argument, as a ``ValueError`` does in ``torch.optim``, and is an
    ``AssertionError`` too, so that code catching the reference's error still catches it.
    """


def lion_step_(
    param: Tensor,
    grad: Tensor,
    exp_avg: Tensor,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    weight_decay: float,
) -> None:
    r"""Apply one Lion update to ``param`` in place.

    Parameters
    ----------
    param, grad, lr
        As every update function takes them (see :mod:`optnotes.optim`).
    exp_avg : torch.Tensor
        The momentum :math:`m_{t-1}`, updated in place.
    beta1 : float
        Weight :math:`\beta_1` of the momentum in the interpolation the step takes the sign of.
    beta2 : float
        Decay rate :math:`\beta_2` of the momentum.
    weight_decay : float
        Decoupled weight decay :math:`\lambda`: the step shrinks :math:`\theta` by
        :math:`\eta\lambda\theta`; the gradient is left alone.
    """
    param.mul_(1.0 - lr * weight_decay)  # θ ← θ(1 − ηλ)

    update = exp_avg.clone().mul_(beta1).add(grad, alpha=1.0 - beta1)  # c ← β₁m + (1−β₁)g
    update.sign_()  # sign(c)
    param.add_(update, alpha=-lr)  # θ ← θ − η sign(c)

    exp_avg.mul_(beta2).add_(grad, alpha=1.0 - beta2)  # m ← β₂m + (1−β₂)g


def lion_foreach_(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    weight_decay: float,
) -> None:
    r"""Apply :func:`lion_step_` to every tensor of ``params`` at once, in place.

    The operations and their order are those of :func:`lion_step_` (the reference's
    per-tensor update), each over a list.

    Parameters
    ----------
    params, grads, exp_avgs : list of torch.Tensor
        One entry per parameter, each as the singular argument of :func:`lion_step_`.
    lr, beta1, beta2, weight_decay
        As in :func:`lion_step_`.
    """
    for (params_, grads_, exp_avgs_), _ in by_device_and_dtype([params, grads, exp_avgs]):
        torch._foreach_mul_(params_, 1.0 - lr * weight_decay)  # θ ← θ(1 − ηλ)

        updates = torch._foreach_mul(exp_avgs_, beta1)  # β₁m, a new list
        torch._foreach_add_(updates, grads_, alpha=1.0 - beta1)  # c ← β₁m + (1−β₁)g
        torch._foreach_sign_(updates)  # sign(c)
        torch._foreach_add_(params_, updates, alpha=-lr)  # θ ← θ − η sign(c)

        torch._foreach_mul_(exp_avgs_, beta2)  # β₂m
        torch._foreach_add_(exp_avgs_, grads_, alpha=1.0 - beta2)  # m ← β₂m + (1−β₂)g


def lion(
    params: list[Tensor],
    grads: list[Tensor],
    exp_avgs: list[Tensor],
    *,
    foreach: bool,
    **hyperparameters: Any,
) -> None:
    """Apply one Lion update to every tensor of ``params``, on the path ``foreach`` names.

    :func:`lion_foreach_` once, or :func:`lion_step_` once per tensor: the call
    :class:`Lion` makes for each param group.
    """
    if foreach:
        lion_foreach_(params, grads, exp_avgs, **hyperparameters)
        return
    for i, param in enumerate(params):
        lion_step_(param, grads[i], exp_avgs[i], **hyperparameters)


class Lion(Optimizer):
    r"""Lion, the sign of an interpolated momentum.

    A drop-in replacement for ``lion_pytorch.Lion`` (``lion-pytorch``; see
    :mod:`optnotes.optim.lion`): same arguments and defaults, same update, same
    ``state_dict`` layout. The update is :func:`lion_step_`, or :func:`lion_foreach_` on
    the multi-tensor path.

    Parameters
    ----------
    params
        As every optimizer takes them (see :mod:`optnotes.optim`).
    lr : float, default 1e-4
        Learning rate :math:`\eta`, greater than 0; 3 to 10 times smaller than AdamW's.
    betas : tuple of float, default (0.9, 0.99)
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1]`: the weight of the momentum
        in the step's interpolation, and the momentum's decay rate.
    weight_decay : float, default 0
        Decoupled weight decay :math:`\lambda` (not checked, as in the reference).
    use_triton : bool, default False
        The reference's Triton kernel; only ``False`` is supported.
    decoupled_weight_decay : bool, default False
        Divide ``weight_decay`` by the initial ``lr`` before each step, so that the decay
        per step is :math:`\eta_t\lambda/\eta_0`.
    foreach : bool, optional
        As every optimizer takes it (see :mod:`optnotes.optim`); not in the reference,
        whose per-tensor path this equals either way.

    Raises
    ------
    LionArgumentError
        A ``ValueError`` and an ``AssertionError`` (the reference asserts) naming the
        invalid ``lr`` or ``betas``.
    ValueError
        ``use_triton=True``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        use_triton: bool = False,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
    ) -> None:
        # The reference's checks, in its order: lr > 0, then every beta in [0, 1].
        if not lr > 0.0:
            raise LionArgumentError(f"Invalid learning rate: {lr} (lr must be > 0)")
        for index, beta in enumerate(betas):
            if not 0.0 <= beta <= 1.0:
                raise LionArgumentError(
                    f"Invalid beta parameter at index {index}: {beta} (betas must be in [0, 1])"
                )
        if use_triton:
            raise ValueError(
                "optnotes.optim.Lion does not implement use_triton=True (the Triton kernel of "
                "lion_pytorch); leave use_triton=False or use lion_pytorch.Lion"
            )
        self._init_lr = lr  # η₀, the reference's name
        self.decoupled_wd = decoupled_weight_decay  # the reference's name
        defaults = {"lr": lr, "betas": betas, "weight_decay": weight_decay, "foreach": foreach}
        super().__init__(params, defaults)

    def __getstate__(self) -> dict[str, Any]:
        # torch pickles defaults, state and param_groups only; keep the two attributes too.
        return {
            **super().__getstate__(),
            "_init_lr": self._init_lr,
            "decoupled_wd": self.decoupled_wd,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        # A pickle that lacks them (the reference's): the constructor's defaults.
        self.__dict__.setdefault("_init_lr", self.defaults["lr"])
        self.__dict__.setdefault("decoupled_wd", False)

    def _step_group(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *, foreach: bool
    ) -> None:
        states = [self.state[param] for param in params]
        for param, state in zip(params, states, strict=True):
            if not state:
                state["exp_avg"] = zeros_like(param)  # m₀ = 0
        weight_decay = group["weight_decay"]
        if self.decoupled_wd:
            weight_decay /= self._init_lr  # λ/η₀, as the reference
        beta1, beta2 = group["betas"]
        lion(
            params,
            grads,
            exp_avgs=[state["exp_avg"] for state in states],
            lr=as_float(group["lr"]),
            beta1=beta1,
            beta2=beta2,
            weight_decay=weight_decay,
            foreach=foreach,
        )
