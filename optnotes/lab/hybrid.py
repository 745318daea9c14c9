"""One optimizer per set of parameters, stepped together: Muon for matrices, AdamW for the rest.

Muon (:class:`~optnotes.optim.muon.Muon`) takes only 2-D parameters, and even among those
only the hidden layers' weights: embeddings, biases, norm gains and the output layer
are trained by another optimizer, usually AdamW. A training loop written for one
optimizer (:func:`optnotes.lab.training.fit`, :func:`optnotes.lab.experiments.train_digits`)
gets both through :class:`Combined`, which looks like one optimizer and steps each
of its parts; :func:`split_hidden_matrices` decides which parameter goes where, and
:func:`muon_with_adamw` builds the pair from a list of parameters.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn

from optnotes.lab.experiments import OptimizerFactory


class Combined:
    """Several optimizers, each over its own parameters, used as one.

    ``zero_grad``, ``step``, ``state_dict`` and ``load_state_dict`` call every part in
    turn; ``param_groups`` lists the groups of all parts, in order (so that
    ``param_groups[0]["lr"]``, which :func:`optnotes.lab.training.fit` records, is the
    first part's).

    Parameters
    ----------
    optimizers : sequence of torch.optim.Optimizer
        The parts; no parameter may belong to two of them.
    """

    def __init__(self, optimizers: Sequence[torch.optim.Optimizer]) -> None:
        self.optimizers = list(optimizers)
        seen: set[int] = set()
        for optimizer in self.optimizers:
            for group in optimizer.param_groups:
                for param in group["params"]:
                    if id(param) in seen:
                        raise ValueError("a parameter belongs to two of the optimizers")
                    seen.add(id(param))

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        """The param groups of every part, in order (the dicts themselves, not copies)."""
        return [group for optimizer in self.optimizers for group in optimizer.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every part's parameters."""
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Step every part; a closure is evaluated once, before the steps.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss.

        Returns
        -------
        float or None
            The closure's loss, if a closure was given.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for optimizer in self.optimizers:
            optimizer.step()
        return loss

    def state_dict(self) -> dict[str, Any]:
        """Return ``{"optimizers": [each part's state_dict()]}``."""
        return {"optimizers": [optimizer.state_dict() for optimizer in self.optimizers]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load what :meth:`state_dict` returned, part by part.

        Parameters
        ----------
        state_dict : dict
            ``{"optimizers": [...]}``, one entry per part.
        """
        parts = state_dict["optimizers"]
        if len(parts) != len(self.optimizers):
            raise ValueError(f"expected {len(self.optimizers)} state dicts, got {len(parts)}")
        for optimizer, part in zip(self.optimizers, parts, strict=True):
            optimizer.load_state_dict(part)

    def __repr__(self) -> str:
        return "Combined(" + ", ".join(type(o).__name__ for o in self.optimizers) + ")"


def split_hidden_matrices(
    params: Iterable[nn.Parameter],
) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """Split a network's parameters into hidden weight matrices and the rest.

    The parameters must come in the order of the layers, as ``model.parameters()`` of
    a sequential network gives them. Every 2-D parameter but the last is a hidden
    matrix; the last 2-D one (the output layer's weight) and every parameter of
    another dimension (biases, norm gains) are the rest.

    Parameters
    ----------
    params : iterable of torch.nn.Parameter
        The network's parameters, in layer order.

    Returns
    -------
    tuple of list
        ``(matrices, rest)``.
    """
    params = list(params)
    two_d = [i for i, param in enumerate(params) if param.ndim == 2]
    hidden = set(two_d[:-1])
    matrices = [param for i, param in enumerate(params) if i in hidden]
    rest = [param for i, param in enumerate(params) if i not in hidden]
    return matrices, rest


def muon_with_adamw(
    muon: Callable[[list[nn.Parameter]], torch.optim.Optimizer],
    adamw: Callable[[list[nn.Parameter]], torch.optim.Optimizer],
) -> OptimizerFactory:
    """Return a factory ``params -> Combined([muon(matrices), adamw(rest)])``.

    The split is :func:`split_hidden_matrices`; the result fits
    :func:`optnotes.lab.experiments.train_digits`.

    Parameters
    ----------
    muon : callable
        Builds the optimizer of the hidden matrices, e.g. ``lambda p: Muon(p, lr=0.02)``.
    adamw : callable
        Builds the optimizer of everything else.

    Returns
    -------
    callable
        The factory.
    """

    def make(params: Iterable[nn.Parameter]) -> Combined:
        matrices, rest = split_hidden_matrices(params)
        return Combined([muon(matrices), adamw(rest)])

    return make  # type: ignore[return-value]
