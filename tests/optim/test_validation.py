"""The classes' interface: torch's signatures, errors and refusals."""

import inspect

import pytest
import torch

import optnotes.optim

from .cases import NAMES, case_id, make_params


@pytest.mark.parametrize("name", NAMES)
def test_same_signature_as_torch(name):
    ours = inspect.signature(getattr(optnotes.optim, name))
    theirs = inspect.signature(getattr(torch.optim, name))
    assert list(ours.parameters) == list(theirs.parameters)
    for param in theirs.parameters.values():
        mine = ours.parameters[param.name]
        assert mine.kind == param.kind, param.name
        assert mine.default == param.default, param.name


@pytest.mark.parametrize("name", NAMES)
def test_is_a_torch_optimizer(name):
    assert issubclass(getattr(optnotes.optim, name), torch.optim.Optimizer)


INVALID = [
    ("SGD", {"lr": -0.1}),
    ("SGD", {"momentum": -0.5}),
    ("SGD", {"weight_decay": -1e-4}),
    ("SGD", {"nesterov": True}),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    ("SGD", {"lr": torch.tensor([0.1, 0.2])}),
    ("Adam", {"lr": -1e-3}),
    ("Adam", {"eps": -1e-8}),
    ("Adam", {"betas": (1.0, 0.999)}),
    ("Adam", {"betas": (-0.1, 0.999)}),
    ("Adam", {"betas": (0.9, 1.0)}),
    ("Adam", {"weight_decay": -0.1}),
    ("Adam", {"lr": torch.tensor(1e-3), "foreach": True}),
    ("Adam", {"lr": torch.tensor([1e-3, 1e-3])}),
    ("Adam", {"betas": (torch.tensor(0.9), torch.tensor(0.999)), "foreach": True}),
    ("Adam", {"betas": (0.9, torch.tensor(0.999))}),
    ("Adam", {"betas": (torch.tensor(0.9), 0.999)}),
    ("AdamW", {"lr": -1e-3}),
    ("AdamW", {"lr": torch.tensor(1e-3), "foreach": True}),
    ("AdamW", {"betas": (torch.tensor(0.9), torch.tensor(0.999)), "foreach": True}),
    ("AdamW", {"betas": (0.9, torch.tensor(0.999))}),
    ("AdamW", {"betas": (0.9, 1.5)}),
    ("AdamW", {"weight_decay": -0.01}),
    ("RMSprop", {"lr": -0.01}),
    ("RMSprop", {"eps": -1.0}),
    ("RMSprop", {"momentum": -0.1}),
    ("RMSprop", {"weight_decay": -0.1}),
    ("RMSprop", {"alpha": -0.5}),
    ("Adagrad", {"lr": -0.01}),
    ("Adagrad", {"lr_decay": -0.1}),
    ("Adagrad", {"weight_decay": -0.1}),
    ("Adagrad", {"initial_accumulator_value": -1.0}),
    ("Adagrad", {"eps": -1e-10}),
    ("Adadelta", {"lr": -1.0}),
    ("Adadelta", {"rho": 1.5}),
    ("Adadelta", {"rho": -0.1}),
    ("Adadelta", {"eps": -1e-6}),
    ("Adadelta", {"weight_decay": -0.1}),
    ("Adamax", {"lr": -2e-3}),
    ("Adamax", {"eps": -1e-8}),
    ("Adamax", {"betas": (1.0, 0.999)}),
    ("Adamax", {"betas": (0.9, -0.1)}),
    ("Adamax", {"weight_decay": -0.1}),
    ("Adamax", {"lr": torch.tensor([0.1, 0.2])}),
    ("NAdam", {"lr": -2e-3}),
    ("NAdam", {"eps": -1e-8}),
    ("NAdam", {"betas": (1.0, 0.999)}),
    ("NAdam", {"betas": (0.9, 1.0)}),
    ("NAdam", {"weight_decay": -0.1}),
    ("NAdam", {"momentum_decay": -4e-3}),
    ("RAdam", {"lr": -1e-3}),
    ("RAdam", {"eps": -1e-8}),
    ("RAdam", {"betas": (1.0, 0.999)}),
    ("RAdam", {"betas": (0.9, -1.0)}),
    ("RAdam", {"weight_decay": -0.1}),
    ("ASGD", {"lr": -0.01}),
    ("ASGD", {"lr": torch.tensor([0.1, 0.2])}),
    ("ASGD", {"weight_decay": -0.1}),
    ("Rprop", {"lr": -0.01}),
    ("Rprop", {"lr": torch.tensor([0.1, 0.2])}),
    ("Rprop", {"etas": (0.0, 1.2)}),
    ("Rprop", {"etas": (1.0, 1.2)}),
    ("Rprop", {"etas": (0.5, 1.0)}),
    ("Rprop", {"etas": (0.5, 0.9)}),
    ("Adafactor", {"lr": -0.01}),
    ("Adafactor", {"lr": torch.tensor([0.1, 0.2])}),
    ("Adafactor", {"beta2_decay": 0.5}),
    ("Adafactor", {"eps": (-1e-30, 1e-3)}),
    ("Adafactor", {"eps": (None, -1e-3)}),
    ("Adafactor", {"d": 0.5}),
    ("Adafactor", {"weight_decay": -0.1}),
    # several at once: the first in torch's order is the one reported
    ("Adafactor", {"lr": -1.0, "beta2_decay": 1.0, "eps": (-1.0, -1.0), "d": 0.0}),
    ("Adafactor", {"eps": (-1.0, -1.0), "d": 0.0, "weight_decay": -1.0}),
    ("SparseAdam", {"lr": 0.0}),
    ("SparseAdam", {"lr": torch.tensor([1e-3, 1e-3])}),
    ("SparseAdam", {"eps": 0.0}),
    ("SparseAdam", {"betas": (1.0, 0.999)}),
    ("SparseAdam", {"betas": (0.9, 1.0)}),
]


@pytest.mark.parametrize("case", INVALID, ids=case_id)
def test_invalid_arguments_raise_like_torch(case):
    name, kwargs = case
    params = make_params(torch.float32)
    expected = r"Invalid|Nesterov|1-element|should be|not supported|betas must"
    with pytest.raises(ValueError, match=expected) as theirs:
        getattr(torch.optim, name)(params, **kwargs)
    with pytest.raises(ValueError, match=expected) as ours:
        getattr(optnotes.optim, name)(params, **kwargs)
    assert str(ours.value) == str(theirs.value)


UNSUPPORTED = [
    (name, option)
    for name in NAMES
    for option in ("fused", "capturable", "differentiable")
    if option in inspect.signature(getattr(torch.optim, name)).parameters
]


@pytest.mark.parametrize(("name", "option"), UNSUPPORTED)
def test_unsupported_options_are_refused_by_name(name, option):
    cls = getattr(optnotes.optim, name)
    with pytest.raises(ValueError, match=f"{option}=True"):
        cls(make_params(torch.float32), **{option: True})
    with pytest.raises(ValueError, match=f"{option}=True"):
        cls([{"params": make_params(torch.float32), option: True}])
    optimizer = cls(make_params(torch.float32))
    checkpoint = optimizer.state_dict()
    checkpoint["param_groups"][0][option] = True
    with pytest.raises(ValueError, match=f"{option}=True"):
        optimizer.load_state_dict(checkpoint)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("foreach", [None, False, True])
def test_foreach_is_accepted_like_torch(name, foreach):
    cls = getattr(optnotes.optim, name)
    assert cls(make_params(torch.float32), foreach=foreach).defaults["foreach"] is foreach
    optimizer = cls([{"params": make_params(torch.float32), "foreach": foreach}])
    assert optimizer.param_groups[0]["foreach"] is foreach


@pytest.mark.parametrize("name", NAMES)
def test_sparse_gradients_are_refused_where_torch_refuses_them(name):
    embedding = torch.nn.Embedding(10, 3, sparse=True)
    optimizer = getattr(optnotes.optim, name)(embedding.parameters())
    embedding(torch.tensor([1, 2])).sum().backward()
    theirs = getattr(torch.optim, name)(embedding.parameters())
    try:
        theirs.step()
    except RuntimeError:
        with pytest.raises(RuntimeError, match="sparse gradients"):
            optimizer.step()
    else:
        assert name in ("SGD", "Adagrad")
        optimizer.step()


def test_adagrad_refuses_weight_decay_with_sparse_gradients_like_torch():
    embedding = torch.nn.Embedding(10, 3, sparse=True)
    embedding(torch.tensor([1, 2])).sum().backward()
    for cls in (torch.optim.Adagrad, optnotes.optim.Adagrad):
        with pytest.raises(RuntimeError, match="weight_decay option is not compatible"):
            cls(embedding.parameters(), weight_decay=0.1).step()
