import pytest
import torch

import optnotes.optim
from optnotes.lab.experiments import train_digits
from optnotes.lab.hybrid import Combined, muon_with_adamw, split_hidden_matrices
from optnotes.lab.models import mlp


def test_split_puts_hidden_matrices_apart_from_the_output_layer_and_vectors():
    model = mlp(8, 6, 3, depth=2)
    matrices, rest = split_hidden_matrices(model.parameters())
    assert [tuple(p.shape) for p in matrices] == [(6, 8), (6, 6)]
    assert [tuple(p.shape) for p in rest] == [(6,), (6,), (3, 6), (3,)]


def test_combined_steps_each_part_as_alone():
    def pair(seed):
        model = mlp(8, 6, 3, seed=seed)
        matrices, rest = split_hidden_matrices(model.parameters())
        return model, matrices, rest

    x = torch.linspace(-1, 1, 40).reshape(5, 8)
    y = torch.tensor([0, 1, 2, 1, 0])
    model_a, mat_a, rest_a = pair(0)
    model_b, mat_b, rest_b = pair(0)
    combined = Combined(
        [optnotes.optim.Muon(mat_a, lr=0.02), optnotes.optim.AdamW(rest_a, lr=1e-2)]
    )
    muon, adamw = optnotes.optim.Muon(mat_b, lr=0.02), optnotes.optim.AdamW(rest_b, lr=1e-2)
    for _ in range(3):
        for model, step, zero in (
            (model_a, combined.step, combined.zero_grad),
            (
                model_b,
                lambda: (muon.step(), adamw.step()),
                lambda: (muon.zero_grad(), adamw.zero_grad()),
            ),
        ):
            zero()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            step()
    for a, b in zip(model_a.parameters(), model_b.parameters(), strict=True):
        assert torch.equal(a, b)
    assert len(combined.param_groups) == 2
    assert combined.param_groups[0]["lr"] == 0.02
    state = combined.state_dict()
    combined.load_state_dict(state)
    assert torch.equal(
        combined.optimizers[0].state[mat_a[0]]["momentum_buffer"],
        muon.state[mat_b[0]]["momentum_buffer"],
    )
    with pytest.raises(ValueError, match="expected 2"):
        combined.load_state_dict({"optimizers": [state["optimizers"][0]]})
    assert repr(combined) == "Combined(Muon, AdamW)"


def test_closure_is_evaluated_once():
    param = torch.nn.Parameter(torch.ones(2, 2))
    combined = Combined([optnotes.optim.SGD([param], lr=0.1)])
    calls = []

    def closure():
        calls.append(1)
        param.grad = torch.ones_like(param)
        return 3.0

    assert combined.step(closure) == 3.0
    assert calls == [1]
    assert torch.allclose(param, torch.full((2, 2), 0.9))


def test_a_parameter_in_two_optimizers_is_refused():
    param = torch.nn.Parameter(torch.ones(2, 2))
    with pytest.raises(ValueError, match="two of the optimizers"):
        Combined([optnotes.optim.SGD([param], lr=0.1), optnotes.optim.SGD([param], lr=0.1)])


def test_trains_digits():
    factory = muon_with_adamw(
        lambda p: optnotes.optim.Muon(p, lr=0.02), lambda p: optnotes.optim.AdamW(p, lr=3e-3)
    )
    run = train_digits(factory, epochs=1, device="cpu")
    assert isinstance(run.optimizer, Combined)
    assert run.test_accuracy > 0.5
