import numpy as np
import pytest
import torch

from optnotes.lab import seeding
from optnotes.lab.data import adding_problem, digits, regression
from optnotes.lab.models import RNNRegressor, mlp
from optnotes.lab.training import fit


def test_offset_defaults_to_zero(monkeypatch):
    monkeypatch.delenv(seeding.ENV_VAR, raising=False)
    assert seeding.seed_offset() == 0
    assert seeding.resolve_seed(3) == 3
    monkeypatch.setenv(seeding.ENV_VAR, " ")
    assert seeding.seed_offset() == 0


def test_offset_is_added_to_every_seed(monkeypatch):
    monkeypatch.setenv(seeding.ENV_VAR, "7")
    assert seeding.resolve_seed(0) == 7
    assert seeding.resolve_seed(2) == 9
    assert seeding.manual_seed(1) == 8


def test_bad_offset_and_bad_seed_are_refused(monkeypatch):
    monkeypatch.setenv(seeding.ENV_VAR, "seven")
    with pytest.raises(ValueError, match="OPTNOTES_SEED"):
        seeding.seed_offset()
    monkeypatch.delenv(seeding.ENV_VAR)
    with pytest.raises(TypeError, match="seed"):
        seeding.resolve_seed(1.5)
    with pytest.raises(TypeError, match="seed"):
        seeding.resolve_seed(True)


def test_generators_follow_the_offset(monkeypatch):
    monkeypatch.delenv(seeding.ENV_VAR, raising=False)
    base_torch = torch.randn(3, generator=seeding.generator(5))
    base_numpy = seeding.numpy_rng(5).standard_normal(3)
    monkeypatch.setenv(seeding.ENV_VAR, "2")
    assert torch.equal(torch.randn(3, generator=seeding.generator(3)), base_torch)
    assert np.array_equal(seeding.numpy_rng(3).standard_normal(3), base_numpy)
    assert not torch.equal(torch.randn(3, generator=seeding.generator(5)), base_torch)


def _draws():
    """One draw of every seeded helper the chapters use."""
    train, _ = digits(device="cpu")
    reg, _ = regression(device="cpu")
    add, _ = adding_problem(n_train=8, n_test=2, seq_len=6, device="cpu")
    model = mlp(2, 3, 1, seed=0)
    x = torch.arange(16.0).reshape(8, 2) / 10
    data = (x, x.sum(dim=1, keepdim=True))
    trained = torch.nn.Linear(2, 1)  # same start whatever the offset: only the batch order moves
    torch.nn.init.constant_(trained.weight, 0.5)
    torch.nn.init.zeros_(trained.bias)
    optimizer = torch.optim.SGD(trained.parameters(), lr=0.1)
    history = fit(trained, optimizer, data, epochs=1, batch_size=2, device="cpu", progress=False)
    return {
        "digits split": train.y,
        "regression": reg.x,
        "adding problem": add.x,
        "mlp": model[0].weight.detach(),  # the fit below starts from these weights too
        "rnn": RNNRegressor(seed=0).rnn.weight_hh_l0.detach(),
        "fit batch order": torch.tensor(history.steps["loss"]),
    }


def test_every_helper_honours_the_offset(monkeypatch):
    monkeypatch.delenv(seeding.ENV_VAR, raising=False)
    base = _draws()
    assert all(torch.equal(a, b) for a, b in zip(base.values(), _draws().values(), strict=True))
    monkeypatch.setenv(seeding.ENV_VAR, "1")
    moved = _draws()
    unchanged = [name for name in base if torch.equal(base[name], moved[name])]
    assert unchanged == []
