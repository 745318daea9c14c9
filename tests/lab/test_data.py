import pytest
import torch

from optnotes.clip import grad_norm
from optnotes.lab.data import Data, adding_problem, digits, regression
from optnotes.lab.models import RNNRegressor

CPU = torch.device("cpu")


def test_digits_split_shapes_types_and_classes():
    train, test = digits(device="cpu")
    assert isinstance(train, Data)
    assert train.x.shape == (1347, 64)
    assert test.x.shape == (450, 64)
    assert train.x.dtype == torch.float32
    assert train.y.dtype == torch.long
    assert train.x.device == CPU
    # stratified: every class in both parts, in about the same proportion
    assert torch.bincount(test.y).min() >= 40
    assert torch.bincount(train.y).min() >= 130


def test_digits_standardized_by_training_statistics():
    train, test = digits(device="cpu")
    varying = train.x.std(dim=0) > 0
    assert torch.allclose(train.x.mean(dim=0), torch.zeros(64), atol=1e-5)
    assert torch.allclose(train.x.std(dim=0, unbiased=False)[varying], torch.ones(1), atol=1e-4)
    assert not torch.allclose(test.x.mean(dim=0), torch.zeros(64), atol=1e-3)


def test_digits_is_seeded():
    first, second, other = digits(device="cpu"), digits(device="cpu"), digits(seed=1, device="cpu")
    assert torch.equal(first[0].x, second[0].x)
    assert torch.equal(first[1].y, second[1].y)
    assert not torch.equal(first[0].y, other[0].y)


def test_digits_subset_keeps_the_test_set():
    train, test = digits(n_train=100, device="cpu")
    assert train.x.shape == (100, 64)
    assert test.x.shape == (450, 64)
    full_train, full_test = digits(device="cpu")
    assert torch.equal(train.y, full_train.y[:100])
    assert torch.equal(test.y, full_test.y)


def test_regression_targets_are_linear_plus_noise():
    train, test = regression(n_train=500, n_test=50, n_features=4, noise=0.1, device="cpu")
    assert train.x.shape == (500, 4)
    assert train.y.shape == (500, 1)
    assert test.y.shape == (50, 1)
    assert train.y.dtype == torch.float32
    weights = torch.linalg.lstsq(train.x, train.y).solution
    residual = train.y - train.x @ weights
    assert 0.08 < residual.std().item() < 0.12


def test_regression_is_seeded():
    assert torch.equal(regression(device="cpu")[0].y, regression(device="cpu")[0].y)
    assert not torch.equal(regression(device="cpu")[0].y, regression(seed=1, device="cpu")[0].y)


def test_adding_problem_marks_two_numbers_and_sums_them():
    train, test = adding_problem(n_train=64, n_test=8, seq_len=30, device="cpu")
    assert train.x.shape == (64, 30, 2)
    assert train.y.shape == (64, 1)
    assert test.x.shape == (8, 30, 2)
    values, markers = train.x[..., 0], train.x[..., 1]
    assert torch.equal(markers.sum(dim=1), torch.full((64,), 2.0))
    assert torch.equal(markers[:, :15].sum(dim=1), torch.ones(64))
    assert torch.allclose(train.y[:, 0], (values * markers).sum(dim=1))
    assert ((values >= 0) & (values <= 1)).all()


def test_adding_problem_is_seeded():
    first, second = adding_problem(device="cpu"), adding_problem(device="cpu")
    assert torch.equal(first[0].x, second[0].x)
    assert not torch.equal(first[0].x, adding_problem(seed=1, device="cpu")[0].x)


def _initial_grad_norm(seq_len, seed):
    (x, y), _ = adding_problem(n_train=128, n_test=1, seq_len=seq_len, seed=seed, device="cpu")
    model = RNNRegressor(seed=seed)
    torch.nn.functional.mse_loss(model(x), y).backward()
    return grad_norm(model.parameters()).item()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rnn_gradient_explodes_with_sequence_length(seed):
    norms = [_initial_grad_norm(seq_len, seed) for seq_len in (10, 30, 60)]
    assert norms[0] < 100
    assert norms[1] > 10 * norms[0]
    assert norms[2] > 1e3 * norms[0]


def test_rnn_loss_stays_bounded_while_the_gradient_explodes():
    (x, y), _ = adding_problem(n_train=128, n_test=1, seq_len=60, device="cpu")
    loss = torch.nn.functional.mse_loss(RNNRegressor()(x), y)
    assert loss.item() < 10
