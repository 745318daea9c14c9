r"""The random problem the optimizer and clipping checks run on, and how a run goes.

Five parameters of different shapes, one a scalar; one of them, of shape (3,), takes no
part in the loss, so its ``.grad`` stays ``None``, and another, of shape (3, 4), has no
gradient in every third step. The optimizer check minimises the least-squares loss
:math:`\sum_i \tfrac12\|A_i \theta_i - b_i\|^2` in two param groups and changes the
learning rates during the run, as a scheduler would; the clipping check uses the initial
values, scaled, as gradients.
"""

import math
from dataclasses import dataclass

import torch

SHAPES = ((5,), (3, 4), (), (2, 3, 2))
"""Shapes of the parameters that take part in the loss."""
UNUSED_SHAPE = (3,)
"""Shape of the parameter without a gradient."""
MATRIX_SHAPES = (((2, 5), (3, 4), (4, 2), (5, 3)), (3, 2))
"""``(SHAPES, UNUSED_SHAPE)`` for optimizers of matrices only (Muon): wide and tall ones."""
MATRIX_ONLY = ("Muon",)
"""Names of the reference classes that take 2-D parameters only."""
UNUSED = 2
"""Position of the parameter without a gradient among all of them (in param group 0)."""
INTERMITTENT = 1
"""Position of the parameter that has no gradient in steps 2, 5, 8, ... (in group 0)."""
FIRST_OF_GROUP_1 = 3
"""Parameters from this position on form param group 1, with half the learning rate."""


def has_gradient(position: int, step: int) -> bool:
    """Whether the parameter at ``position`` gets a gradient in ``step`` (counted from 1)."""
    if position == UNUSED:
        return False
    return position != INTERMITTENT or step % 3 != 2


def problem_shapes(reference_cls: type) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """Return ``(shapes, unused_shape)`` of the problem an optimizer is checked on.

    :data:`MATRIX_SHAPES` for a reference (or a subclass of one) named in
    :data:`MATRIX_ONLY`, which refuses any other than 2-D parameters; else the default
    shapes, a scalar and a 3-D tensor among them.
    """
    if any(klass.__name__ in MATRIX_ONLY for klass in reference_cls.__mro__):
        return MATRIX_SHAPES
    return SHAPES, UNUSED_SHAPE


def lr_factor(step: int, steps: int) -> float:
    """Return the factor on every group's learning rate in ``step`` of a run of ``steps``.

    1 in the first third of the run, 0.5 in the second, 0.2 in the last: the rate
    changes twice, as under ``MultiStepLR``, so a learning rate that is read once and
    kept (in a buffer, in the state) shows.
    """
    if step > 2 * steps // 3 >= 1:
        return 0.2
    if step > steps // 3 >= 1:
        return 0.5
    return 1.0


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
    def draw(
        cls,
        seed: int,
        dtype: torch.dtype,
        shapes: tuple[tuple[int, ...], ...] = SHAPES,
        unused_shape: tuple[int, ...] = UNUSED_SHAPE,
    ) -> "Quadratics":
        """Draw a problem from its own generator: the same problem for the same seed.

        The problem is drawn in float64 and then rounded to ``dtype``, so problems of
        the same seed in two precisions are the same problem.

        Parameters
        ----------
        seed : int
            Seed of the generator.
        dtype : torch.dtype
            Precision of every tensor.
        shapes : tuple of tuple of int
            Shapes of the parameters that take part in the loss (four of them).
        unused_shape : tuple of int
            Shape of the parameter without a gradient.

        Returns
        -------
        Quadratics
            The problem.
        """
        generator = torch.Generator().manual_seed(seed)

        def normal(*shape: int) -> torch.Tensor:
            return torch.randn(shape, generator=generator, dtype=torch.float64)

        initial = [normal(*shape) for shape in shapes]
        initial.insert(UNUSED, normal(*unused_shape))
        sizes = [math.prod(shape) for shape in shapes]
        # A has more rows than columns and entries of variance 1/n: curvatures of order 1
        matrices = [normal(n + 2, n) / math.sqrt(n) for n in sizes]
        targets = [normal(n + 2) for n in sizes]
        return cls(
            seed,
            [t.to(dtype) for t in initial],
            [t.to(dtype) for t in matrices],
            [t.to(dtype) for t in targets],
        )

    def to(self, dtype: torch.dtype) -> "Quadratics":
        """Return the same problem in another precision."""
        return Quadratics(
            self.seed,
            [t.to(dtype) for t in self.initial],
            [t.to(dtype) for t in self.matrices],
            [t.to(dtype) for t in self.targets],
        )

    @property
    def dtype(self) -> torch.dtype:
        """The precision of the problem's tensors."""
        return self.initial[0].dtype

    def parameters(self) -> list[torch.Tensor]:
        """Return fresh leaf tensors holding the initial values, gradients on."""
        return [value.clone().requires_grad_(True) for value in self.initial]

    def gradient(self, position: int, value: torch.Tensor) -> torch.Tensor:
        r"""Return the gradient :math:`A_i^\top (A_i \theta_i - b_i)` of one parameter.

        Parameters
        ----------
        position : int
            The parameter's position among all of them (not the unused one).
        value : torch.Tensor
            Its value :math:`\theta_i`.

        Returns
        -------
        torch.Tensor
            The gradient, of the parameter's shape: what ``backward()`` of
            :meth:`loss` would give, without the cost of autograd.
        """
        i = position - (position > UNUSED)
        matrix, target = self.matrices[i], self.targets[i]
        return (matrix.T @ (matrix @ value.reshape(-1) - target)).reshape(value.shape)

    def loss(self, parameters: list[torch.Tensor]) -> torch.Tensor:
        r"""Return :math:`\sum_i \tfrac12\|A_i \theta_i - b_i\|^2` (the unused one left out)."""
        used = parameters[:UNUSED] + parameters[UNUSED + 1 :]
        return sum(
            0.5 * (matrix @ param.reshape(-1) - target).square().sum()
            for param, matrix, target in zip(used, self.matrices, self.targets, strict=True)
        )
