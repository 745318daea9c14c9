r"""The random problem the optimizer and clipping checks run on.

Five parameters of different shapes, one a scalar; one of them, of shape (3,), takes no
part in the loss, so its ``.grad`` stays ``None``. The optimizer check minimises the
least-squares loss :math:`\sum_i \tfrac12\|A_i \theta_i - b_i\|^2` in two param groups;
the clipping check uses the initial values, scaled, as gradients.
"""

import math
from dataclasses import dataclass

import torch

SHAPES = ((5,), (3, 4), (), (2, 3, 2))
"""Shapes of the parameters that take part in the loss."""
UNUSED = 2
"""Position of the parameter without a gradient among all of them (in param group 0)."""
FIRST_OF_GROUP_1 = 3
"""Parameters from this position on form param group 1, with half the learning rate."""


@dataclass(frozen=True)
class Quadratics:
    r"""Random least-squares losses :math:`\tfrac12\|A_i \theta_i - b_i\|^2`, one per parameter.

    Parameters
    ----------
    seed : int
        The seed the problem was drawn with.
    initial : list of torch.Tensor
        Initial values of the parameters, the unused one included.
    matrices, targets : list of torch.Tensor
        :math:`A_i` and :math:`b_i` of each parameter that takes part in the loss.
    """

    seed: int
    initial: list[torch.Tensor]
    matrices: list[torch.Tensor]
    targets: list[torch.Tensor]

    @classmethod
    def draw(cls, seed: int, dtype: torch.dtype) -> "Quadratics":
        """Draw a problem from its own generator: the same problem for the same seed.

        Parameters
        ----------
        seed : int
            Seed of the generator.
        dtype : torch.dtype
            Precision of every tensor.

        Returns
        -------
        Quadratics
            The problem.
        """
        generator = torch.Generator().manual_seed(seed)

        def normal(*shape: int) -> torch.Tensor:
            return torch.randn(shape, generator=generator, dtype=dtype)

        initial = [normal(*shape) for shape in SHAPES]
        initial.insert(UNUSED, normal(3))
        sizes = [math.prod(shape) for shape in SHAPES]
        # A has more rows than columns and entries of variance 1/n: curvatures of order 1
        matrices = [normal(n + 2, n) / math.sqrt(n) for n in sizes]
        targets = [normal(n + 2) for n in sizes]
        return cls(seed, initial, matrices, targets)

    def parameters(self) -> list[torch.Tensor]:
        """Return fresh leaf tensors holding the initial values, gradients on."""
        return [value.clone().requires_grad_(True) for value in self.initial]

    def loss(self, parameters: list[torch.Tensor]) -> torch.Tensor:
        r"""Return :math:`\sum_i \tfrac12\|A_i \theta_i - b_i\|^2` (the unused one left out)."""
        used = parameters[:UNUSED] + parameters[UNUSED + 1 :]
        return sum(
            0.5 * (matrix @ param.reshape(-1) - target).square().sum()
            for param, matrix, target in zip(used, self.matrices, self.targets, strict=True)
        )
