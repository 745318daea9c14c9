"""optnotes.optim against torch.optim: numbers, state, arguments and errors."""

import copy
import inspect
import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import optnotes.optim

NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"]
STEPS = 30


def grid(**axes):
    """All combinations of the given option values, as kwargs dicts."""
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]


def sgd_grid():
    return [
        kw
        for kw in grid(
            momentum=[0.0, 0.9],
            dampening=[0.0, 0.5],
            nesterov=[False, True],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        )
        if not kw["nesterov"] or (kw["momentum"] > 0 and kw["dampening"] == 0)
    ]


OPTION_GRID = {
    "SGD": sgd_grid(),
    "Adam": [
        *grid(
            amsgrad=[False, True],
            weight_decay=[0.0, 0.1],
            decoupled_weight_decay=[False, True],
            maximize=[False, True],
        ),
        {"betas": (0.5, 0.9), "eps": 0.001},
    ],
    "AdamW": grid(amsgrad=[False, True], weight_decay=[0.01, 0.3], maximize=[False, True]),
    "RMSprop": [
        *grid(
            centered=[False, True],
            momentum=[0.0, 0.9],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        ),
        {"alpha": 0.5, "eps": 0.001},
    ],
    "Adagrad": [
        *grid(
            lr_decay=[0.0, 0.05],
            initial_accumulator_value=[0.0, 0.1],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        ),
        {"eps": 0.001},
    ],
    "Adadelta": grid(
        rho=[0.9, 0.5, 0.0, 1.0], lr=[1.0, 0.5], weight_decay=[0.0, 0.1], maximize=[False, True]
    ),
}
CASES = [(name, kw) for name in NAMES for kw in OPTION_GRID[name]]


def case_id(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def make_params(dtype, seed=0):
    """Tensors of several shapes; the last one never receives a gradient."""
    g = torch.Generator().manual_seed(seed)
    shapes = [(5, 4), (4,), (3, 2, 2), (1,), (2, 3)]
    return [torch.randn(s, generator=g, dtype=dtype).requires_grad_() for s in shapes]


def loss_fn(params, step):
    """A smooth, non-quadratic loss whose gradients change from step to step."""
    *trained, _unused = params
    total = 0.0
    for i, p in enumerate(trained):
        total = total + (p - 0.1 * (i + 1)).pow(2).sum() + torch.sin(p * (1 + step % 3)).sum()
    return total


def param_groups(params, lrs):
    """Two groups with different learning rates (the unused param goes in the second)."""
    return [{"params": params[:2], "lr": lrs[0]}, {"params": params[2:], "lr": lrs[1]}]


DEFAULT_LRS = {"SGD": 0.01, "Adam": 0.01, "AdamW": 0.01, "RMSprop": 0.01, "Adagrad": 0.1}


def make_pair(name, kwargs, dtype, seed=0):
    """A torch optimizer and ours, on identical copies of the same parameters."""
    ours_p, theirs_p = make_params(dtype, seed), make_params(dtype, seed)
    kwargs = dict(kwargs)
    base = kwargs.pop("lr", DEFAULT_LRS.get(name, 1.0))
    lrs = (base, base / 2)
    ours = getattr(optnotes.optim, name)(param_groups(ours_p, lrs), **kwargs)
    theirs = getattr(torch.optim, name)(param_groups(theirs_p, lrs), **kwargs)
    return (ours, ours_p), (theirs, theirs_p)


def run(optimizer, params, steps, start=0):
    for step in range(start, start + steps):
        optimizer.zero_grad()
        loss_fn(params, step).backward()
        optimizer.step()


def assert_same_params(ours, theirs, step=None):
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        # The updates use torch's operations in torch's order: equal bit for bit
        # (NaN where torch has NaN, e.g. a diverging random hyper-parameter draw).
        torch.testing.assert_close(
            a, b, rtol=0, atol=0, equal_nan=True, msg=lambda m, i=i: f"param {i}, step {step}: {m}"
        )


def assert_same_state(ours, theirs):
    a, b = ours.state_dict(), theirs.state_dict()
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for idx in a["state"]:
        sa, sb = a["state"][idx], b["state"][idx]
        assert sa.keys() == sb.keys(), f"state of param {idx}"
        for key in sa:
            assert sa[key].dtype == sb[key].dtype, f"{key} of param {idx}"
            assert torch.equal(sa[key], sb[key]), f"{key} of param {idx}"


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
    elif name in ("Adam", "AdamW"):
        kwargs["betas"] = (data.draw(unit), data.draw(unit))
        kwargs["eps"] = data.draw(st.floats(1e-10, 1e-2))
        kwargs["amsgrad"] = data.draw(st.booleans())
    elif name == "RMSprop":
        kwargs["alpha"] = data.draw(unit)
        kwargs["momentum"] = data.draw(unit)
        kwargs["centered"] = data.draw(st.booleans())
        kwargs["eps"] = data.draw(st.floats(1e-8, 1e-2))
    elif name == "Adagrad":
        kwargs["lr_decay"] = data.draw(st.floats(0.0, 1.0))
        kwargs["initial_accumulator_value"] = data.draw(st.floats(0.0, 1.0))
    else:
        kwargs["rho"] = data.draw(st.floats(0.0, 1.0))
    (ours, ours_p), (theirs, theirs_p) = make_pair(name, kwargs, torch.float64)
    run(ours, ours_p, 10)
    run(theirs, theirs_p, 10)
    assert_same_params(ours_p, theirs_p)


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


def checkpoint_cases():
    """One option set per optimizer that creates every kind of state it has."""
    return {
        "SGD": {"momentum": 0.9, "nesterov": True},
        "Adam": {"amsgrad": True, "weight_decay": 0.1},
        "AdamW": {"amsgrad": True},
        "RMSprop": {"centered": True, "momentum": 0.5},
        "Adagrad": {"lr_decay": 0.1, "initial_accumulator_value": 0.2},
        "Adadelta": {"weight_decay": 0.1},
    }


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("direction", ["ours->ours", "torch->ours", "ours->torch"])
def test_resume_from_state_dict(name, direction):
    """Stop after 10 steps, save, load into a fresh optimizer, go on: same as never stopping."""
    kwargs = checkpoint_cases()[name]
    (ours, ours_p), (reference, ref_p) = make_pair(name, kwargs, torch.float32)
    # The uninterrupted reference is torch's optimizer; parity makes it ours too.
    writer_is_torch = direction == "torch->ours"
    writer, writer_p = (reference, ref_p) if writer_is_torch else (ours, ours_p)
    run(writer, writer_p, 10)
    checkpoint = copy.deepcopy(writer.state_dict())
    resumed_p = [p.detach().clone().requires_grad_() for p in writer_p]
    reader_module = torch.optim if direction == "ours->torch" else optnotes.optim
    reader = getattr(reader_module, name)(param_groups(resumed_p, (1.0, 1.0)), **kwargs)
    reader.load_state_dict(checkpoint)  # also restores the two groups' learning rates

    if not writer_is_torch:
        run(reference, ref_p, 10)
    run(reference, ref_p, 10, start=10)
    run(reader, resumed_p, 10, start=10)
    assert_same_params(resumed_p, ref_p)
    assert_same_state(reader, reference)


def test_adamw_keeps_decoupled_decay_when_loading_an_adam_checkpoint():
    params = make_params(torch.float32)
    adam = torch.optim.Adam(params, weight_decay=0.1)
    adamw = optnotes.optim.AdamW(params)
    adamw.load_state_dict(adam.state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True


def test_adagrad_creates_state_in_constructor():
    params = make_params(torch.float32)
    optimizer = optnotes.optim.Adagrad(params, initial_accumulator_value=0.5)
    for p in params:
        assert torch.equal(optimizer.state[p]["sum"], torch.full_like(p, 0.5))
        assert optimizer.state[p]["step"].item() == 0


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
    ("AdamW", {"lr": -1e-3}),
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
]


@pytest.mark.parametrize("case", INVALID, ids=case_id)
def test_invalid_arguments_raise_like_torch(case):
    name, kwargs = case
    params = make_params(torch.float32)
    with pytest.raises(ValueError, match=r"Invalid|Nesterov|1-element") as theirs:
        getattr(torch.optim, name)(params, **kwargs)
    with pytest.raises(ValueError, match=r"Invalid|Nesterov|1-element") as ours:
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
def test_sparse_gradients_are_refused(name):
    embedding = torch.nn.Embedding(10, 3, sparse=True)
    optimizer = getattr(optnotes.optim, name)(embedding.parameters())
    embedding(torch.tensor([1, 2])).sum().backward()
    with pytest.raises(RuntimeError, match="sparse gradients"):
        optimizer.step()


@pytest.mark.parametrize("name", NAMES)
def test_complex_parameters_are_refused(name):
    with pytest.raises(TypeError, match="complex parameters"):
        getattr(optnotes.optim, name)([torch.zeros(3, dtype=torch.complex64, requires_grad=True)])
