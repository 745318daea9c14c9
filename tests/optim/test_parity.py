"""optnotes.optim against torch.optim: the same parameters and state after every step."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import optnotes.optim

from .cases import (
    CASES,
    NAMES,
    assert_same_params,
    assert_same_state,
    case_id,
    loss_fn,
    make_pair,
    make_params,
    run,
)

STEPS = 30


@pytest.mark.parametrize("foreach", [False, True], ids=["single-tensor", "foreach"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch_every_step(case, dtype, foreach):
    """Both paths use torch's operations in torch's order: equal to the same path of torch."""
    name, kwargs = case
    (ours, ours_p), (theirs, theirs_p) = make_pair(name, {**kwargs, "foreach": foreach}, dtype)
    for step in range(STEPS):
        run(ours, ours_p, 1, start=step)
        run(theirs, theirs_p, 1, start=step)
        assert_same_params(ours_p, theirs_p, step)
    assert_same_state(ours, theirs)
    assert ours_p[-1].grad is None
    assert torch.equal(ours_p[-1], make_params(dtype)[-1]), "a param without grad moved"


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    name=st.sampled_from(NAMES),
    lr=st.floats(1e-4, 1.0),
    weight_decay=st.floats(0.0, 0.5),
    maximize=st.booleans(),
    foreach=st.booleans(),
)
def test_matches_torch_random_hyperparameters(data, name, lr, weight_decay, maximize, foreach):
    kwargs = {"lr": lr, "weight_decay": weight_decay, "maximize": maximize, "foreach": foreach}
    unit = st.floats(0.0, 0.999)
    if name == "SGD":
        kwargs["momentum"] = data.draw(unit)
        kwargs["dampening"] = data.draw(unit)
        kwargs["nesterov"] = kwargs["momentum"] > 0 and data.draw(st.booleans())
        if kwargs["nesterov"]:
            kwargs["dampening"] = 0.0
    elif name in ("Adam", "AdamW", "Adamax", "NAdam", "RAdam"):
        kwargs["betas"] = (data.draw(unit), data.draw(unit))
        kwargs["eps"] = data.draw(st.floats(1e-10, 1e-2))
        if name in ("Adam", "AdamW"):
            kwargs["amsgrad"] = data.draw(st.booleans())
        if name in ("NAdam", "RAdam"):
            kwargs["decoupled_weight_decay"] = data.draw(st.booleans())
        if name == "NAdam":
            kwargs["momentum_decay"] = data.draw(st.floats(0.0, 1.0))
    elif name == "RMSprop":
        kwargs["alpha"] = data.draw(unit)
        kwargs["momentum"] = data.draw(unit)
        kwargs["centered"] = data.draw(st.booleans())
        kwargs["eps"] = data.draw(st.floats(1e-8, 1e-2))
    elif name == "Adagrad":
        kwargs["lr_decay"] = data.draw(st.floats(0.0, 1.0))
        kwargs["initial_accumulator_value"] = data.draw(st.floats(0.0, 1.0))
    elif name == "Adadelta":
        kwargs["rho"] = data.draw(st.floats(0.0, 1.0))
    elif name == "ASGD":
        kwargs["lambd"] = data.draw(st.floats(0.0, 1.0))
        kwargs["alpha"] = data.draw(st.floats(0.0, 2.0))
        kwargs["t0"] = data.draw(st.floats(0.0, 12.0))  # averaging starts within the 10 steps
    elif name == "Rprop":
        del kwargs["weight_decay"]  # Rprop has none
        kwargs["etas"] = (data.draw(st.floats(0.01, 0.99)), data.draw(st.floats(1.01, 3.0)))
        low = data.draw(st.floats(1e-6, 0.1))
        kwargs["step_sizes"] = (low, low + data.draw(st.floats(0.0, 1.0)))
    elif name == "Adafactor":
        kwargs["beta2_decay"] = data.draw(st.floats(-2.0, 0.0))
        kwargs["eps"] = (data.draw(st.none() | st.floats(0.0, 1.0)), data.draw(st.floats(0.0, 1.0)))
        kwargs["d"] = data.draw(st.floats(1.0, 10.0))
    (ours, ours_p), (theirs, theirs_p) = make_pair(name, kwargs, torch.float64)
    run(ours, ours_p, 10)
    run(theirs, theirs_p, 10)
    assert_same_params(ours_p, theirs_p)


def test_tensor_learning_rate():
    (ours, ours_p), (theirs, theirs_p) = make_pair("Adam", {}, torch.float32)
    for opt in (ours, theirs):
        for group in opt.param_groups:
            group["lr"] = torch.tensor(group["lr"])
    run(ours, ours_p, 5)
    run(theirs, theirs_p, 5)
    for a, b in zip(ours_p, theirs_p, strict=True):
        # torch divides a float32 lr tensor in float32; we read it out as a float.
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_closure_is_evaluated_with_grad_and_its_loss_returned():
    params = make_params(torch.float32)
    optimizer = optnotes.optim.SGD(params, lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = loss_fn(params, 0)
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert loss.item() == pytest.approx(loss_fn(params, 0).item(), abs=50)
    assert loss.requires_grad
