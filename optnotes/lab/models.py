"""Tiny, seeded models for the chapters' training runs."""

import itertools

import torch
from torch import nn

from optnotes.lab.seeding import resolve_seed


def mlp(
    in_features: int,
    hidden: int,
    out_features: int,
    *,
    depth: int = 2,
    seed: int = 0,
) -> nn.Sequential:
    """Build a multi-layer perceptron with ReLU activations.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the input and the output.
    hidden : int
        Width of every hidden layer.
    depth : int
        Number of hidden layers (0 gives a linear model).
    seed : int
        Seed of the initial weights (``OPTNOTES_SEED`` is added, see
        :mod:`optnotes.lab.seeding`); the global random state is left untouched.

    Returns
    -------
    torch.nn.Sequential
        ``depth`` blocks of ``Linear`` + ``ReLU``, then a ``Linear`` output layer.
    """
    sizes = [in_features] + [hidden] * depth
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(resolve_seed(seed))
        layers: list[nn.Module] = []
        for n_in, n_out in itertools.pairwise(sizes):
            layers += [nn.Linear(n_in, n_out), nn.ReLU()]
        layers.append(nn.Linear(sizes[-1], out_features))
        return nn.Sequential(*layers)


class RNNRegressor(nn.Module):
    r"""A one-layer tanh RNN that predicts from its last hidden state.

    :math:`h_t = \tanh(W_{ih} x_t + W_{hh} h_{t-1} + b)`, output :math:`W_o h_T + b_o`.
    The recurrent weights :math:`W_{hh}` are drawn from a normal distribution with
    standard deviation ``gain / sqrt(hidden_size)``. With ``gain`` above 1 the network is
    chaotic: the hidden state stays bounded, but the gradient grows exponentially with
    the sequence length (Pascanu et al., 2013), which is what gradient clipping is for.

    Parameters
    ----------
    input_size, output_size : int
        Features per time step, and size of the prediction.
    hidden_size : int
        Size of the hidden state.
    gain : float
        Scale of the recurrent weights; 1 is the edge of chaos.
    seed : int
        Seed of the initial weights (``OPTNOTES_SEED`` is added, see
        :mod:`optnotes.lab.seeding`); the global random state is left untouched.
    """

    def __init__(
        self,
        input_size: int = 2,
        hidden_size: int = 32,
        output_size: int = 1,
        *,
        gain: float = 3.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(resolve_seed(seed))
            self.rnn = nn.RNN(input_size, hidden_size, nonlinearity="tanh", batch_first=True)
            self.head = nn.Linear(hidden_size, output_size)
            nn.init.normal_(self.rnn.weight_hh_l0, std=gain / hidden_size**0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map sequences of shape ``(batch, time, input_size)`` to ``(batch, output_size)``."""
        hidden_states, _ = self.rnn(x)
        return self.head(hidden_states[:, -1])
