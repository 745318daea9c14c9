r"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

Adam's L2 penalty :math:`\lambda\theta` passes through the adaptive
denominator, so weights with a large gradient history are barely decayed.
AdamW shrinks the weights directly, :math:`\theta \leftarrow (1-\eta\lambda)\theta`,
before the Adam step; see :func:`optnotes.optim.adam.adam_step_`.
"""

from collections.abc import Iterable
from typing import Any

from torch import Tensor

from .adam import Adam


class AdamW(Adam):
    r"""Adam with decoupled weight decay.

    A drop-in replacement for :class:`torch.optim.AdamW`: same arguments,
    defaults (note ``weight_decay=1e-2``), errors, ``state_dict`` layout and
    numbers. It is :class:`~optnotes.optim.adam.Adam` with ``decoupled_weight_decay=True``, always:
    a checkpoint of a plain Adam loaded into it keeps decoupled decay, as in torch.

    Parameters
    ----------
    params : iterable
        Parameters to optimize, or dicts defining parameter groups.
    lr : float, default 1e-3
        Learning rate :math:`\eta`.
    betas : tuple of float, default (0.9, 0.999)
        Decay rates :math:`(\beta_1, \beta_2)` of the first and second moments.
    eps : float, default 1e-8
        :math:`\epsilon`, added to :math:`\sqrt{\hat v_t}` for numerical stability.
    weight_decay : float, default 1e-2
        Decoupled weight decay :math:`\lambda`: each step multiplies the weights by
        :math:`1-\eta\lambda`.
    amsgrad : bool, default False
        Use the running maximum of :math:`v_t`.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    foreach : bool or None, default None
        Use the multi-tensor update; ``None`` picks it as torch does (when every
        parameter is on a GPU and ``lr`` is not a tensor).
    capturable, differentiable, fused
        Implementation options of ``torch.optim.AdamW``; only their defaults are
        supported.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
