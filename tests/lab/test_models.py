import pytest
import torch
from torch import nn

from optnotes.lab.models import RNNRegressor, mlp


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_mlp_layers_and_shapes(depth):
    model = mlp(64, 32, 10, depth=depth)
    linear = [layer for layer in model if isinstance(layer, nn.Linear)]
    assert len(linear) == depth + 1
    assert sum(isinstance(layer, nn.ReLU) for layer in model) == depth
    assert model(torch.zeros(5, 64)).shape == (5, 10)


def test_mlp_is_seeded_without_touching_the_global_generator():
    state = torch.random.get_rng_state()
    first, second, other = mlp(4, 8, 2), mlp(4, 8, 2), mlp(4, 8, 2, seed=1)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(first[0].weight, second[0].weight)
    assert not torch.equal(first[0].weight, other[0].weight)


def test_rnn_shapes_and_recurrent_scale():
    model = RNNRegressor(input_size=2, hidden_size=64, output_size=3, gain=2.0)
    assert model(torch.zeros(7, 11, 2)).shape == (7, 3)
    std = model.rnn.weight_hh_l0.std().item()
    assert 2.0 / 64**0.5 * 0.9 < std < 2.0 / 64**0.5 * 1.1


def test_rnn_is_seeded_without_touching_the_global_generator():
    state = torch.random.get_rng_state()
    first, second, other = RNNRegressor(), RNNRegressor(), RNNRegressor(seed=1)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(first.rnn.weight_hh_l0, second.rnn.weight_hh_l0)
    assert not torch.equal(first.rnn.weight_hh_l0, other.rnn.weight_hh_l0)
