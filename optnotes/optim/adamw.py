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

    A drop-in replacement for :class:`torch.optim.AdamW` (see :mod:`optnotes.optim`; note
    the default ``weight_decay=1e-2``). It is :class:`~optnotes.optim.adam.Adam` with
    ``decoupled_weight_decay=True``, always: a checkpoint of a plain Adam loaded into it
    keeps decoupled decay, as in torch.

    Parameters
    ----------
    params, lr, betas, eps, amsgrad, maximize, foreach, capturable, differentiable, fused
        As in :class:`~optnotes.optim.adam.Adam`.
    weight_decay : float, default 1e-2
        Decoupled weight decay :math:`\lambda`: each step multiplies the weights by
        :math:`1-\eta\lambda`.
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
