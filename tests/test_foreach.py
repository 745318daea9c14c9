"""The multi-tensor path (foreach=True): equal to torch's, close to our single-tensor path."""

import copy

import pytest
import torch
from test_optim import CASES, DEFAULT_LRS, NAMES, assert_same_state, case_id, checkpoint_cases

import optnotes.optim
from optnotes.optim import _base

STEPS = 30
TOLERANCE = {torch.float32: 1e-6, torch.float64: 1e-12}


def make_mixed_params(seed=0):
    """float32 and float64 params side by side; the last one never receives a gradient."""
    g = torch.Generator().manual_seed(seed)
    specs = [((5, 4), torch.float32), ((4,), torch.float64), ((3, 2, 2), torch.float64)]
    specs += [((2, 3), torch.float32), ((1,), torch.float32)]
    return [torch.randn(s, generator=g, dtype=d).requires_grad_() for s, d in specs]


def mixed_loss(params, step, late=()):
    """A smooth loss; params listed in ``late`` only take part from step 5 on."""
    *trained, _unused = params
    total = 0.0
    for i, p in enumerate(trained):
        if i in late and step < 5:
            continue
        total = total + ((p - 0.1 * (i + 1)).pow(2) + torch.sin(p * (1 + step % 3))).sum()
    return total


def build(module, name, params, kwargs):
    """Two param groups with different learning rates; each holds both dtypes."""
    kwargs = dict(kwargs)
    base = kwargs.pop("lr", DEFAULT_LRS.get(name, 1.0))
    groups = [{"params": params[:2], "lr": base}, {"params": params[2:], "lr": base / 2}]
    return getattr(module, name)(groups, **kwargs)


def step(optimizer, params, t, late=()):
    optimizer.zero_grad()
    mixed_loss(params, t, late).backward()
    optimizer.step()


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_foreach_equals_torch_foreach_and_our_single_tensor_path(case):
    name, kwargs = case
    runs = {
        "ours": (optnotes.optim, True),
        "torch": (torch.optim, True),
        "single": (optnotes.optim, False),
    }
    params = {key: make_mixed_params() for key in runs}
    opts = {
        key: build(module, name, params[key], {**kwargs, "foreach": foreach})
        for key, (module, foreach) in runs.items()
    }
    for t in range(STEPS):
        for key in runs:
            opts[key].zero_grad()
            mixed_loss(params[key], t).backward()
        grads = [p.grad.clone() for p in params["ours"][:-1]]
        for key in runs:
            opts[key].step()
        # Our update never writes into the gradients it reads (torch's Nesterov SGD does).
        for grad, p in zip(grads, params["ours"], strict=False):
            assert torch.equal(grad, p.grad)
        for i, (ours, theirs, single) in enumerate(
            zip(params["ours"], params["torch"], params["single"], strict=True)
        ):
            msg = f"param {i} ({ours.dtype}), step {t}"
            torch.testing.assert_close(ours, theirs, rtol=0, atol=0, equal_nan=True, msg=msg)
            tol = TOLERANCE[ours.dtype]
            torch.testing.assert_close(ours, single, rtol=tol, atol=tol, equal_nan=True, msg=msg)
    assert_same_state(opts["ours"], opts["torch"])
    assert params["ours"][-1].grad is None
    assert torch.equal(params["ours"][-1], make_mixed_params()[-1]), "a param without grad moved"


@pytest.mark.parametrize("name", NAMES)
def test_state_created_midway_matches_torch(name):
    """Params whose first gradient comes at step 5 get their state (SGD: velocity) then."""
    late = (1, 2)
    (ours_p, theirs_p) = make_mixed_params(), make_mixed_params()
    kwargs = {**checkpoint_cases()[name], "foreach": True}
    ours = build(optnotes.optim, name, ours_p, kwargs)
    theirs = build(torch.optim, name, theirs_p, kwargs)
    for t in range(10):
        step(ours, ours_p, t, late)
        step(theirs, theirs_p, t, late)
    for a, b in zip(ours_p, theirs_p, strict=True):
        assert torch.equal(a, b)
    assert_same_state(ours, theirs)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("first", "then"), [(True, False), (False, True)])
def test_checkpoint_moves_between_paths(name, first, then):
    """A checkpoint written on one path resumes on the other, as torch's does."""
    kwargs = checkpoint_cases()[name]
    writer_p, reference_p = make_mixed_params(), make_mixed_params()
    writer = build(optnotes.optim, name, writer_p, {**kwargs, "foreach": first})
    reference = build(torch.optim, name, reference_p, {**kwargs, "foreach": first})
    for t in range(10):
        step(writer, writer_p, t)
        step(reference, reference_p, t)
    checkpoint = copy.deepcopy(writer.state_dict())
    reader_p = [p.detach().clone().requires_grad_() for p in writer_p]
    reader = build(optnotes.optim, name, reader_p, kwargs)
    reader.load_state_dict(checkpoint)
    for opt in (reader, reference):
        for group in opt.param_groups:
            group["foreach"] = then  # loading restored the writer's choice
    for t in range(10, 20):
        step(reader, reader_p, t)
        step(reference, reference_p, t)
    for a, b in zip(reader_p, reference_p, strict=True):
        assert torch.equal(a, b)
    assert_same_state(reader, reference)


def calls_of(optimizer, monkeypatch):
    """Record which of the optimizer's two update functions its steps call."""
    calls = []
    cls = type(optimizer)
    for attr in ("_single_tensor_update", "_multi_tensor_update"):
        function = getattr(cls, attr)

        def record(*args, _function=function, _attr=attr, **kwargs):
            calls.append(_attr)
            return _function(*args, **kwargs)

        monkeypatch.setattr(cls, attr, staticmethod(record))
    return calls


@pytest.mark.parametrize("name", NAMES)
def test_default_on_cpu_is_the_single_tensor_path(name, monkeypatch):
    params = make_mixed_params()
    optimizer = build(optnotes.optim, name, params, {})
    calls = calls_of(optimizer, monkeypatch)
    step(optimizer, params, 0)
    assert set(calls) == {"_single_tensor_update"}
    assert len(calls) == len(params) - 1  # once per param with a gradient


@pytest.mark.parametrize("name", NAMES)
def test_default_follows_torchs_rule(name, monkeypatch):
    """Where torch would pick foreach (every param on a GPU), so do we; Adam not for a tensor lr."""
    monkeypatch.setattr(_base, "_default_to_fused_or_foreach", lambda *a, **k: (False, True))
    params = make_mixed_params()
    optimizer = build(optnotes.optim, name, params, {})
    calls = calls_of(optimizer, monkeypatch)
    step(optimizer, params, 0)
    assert calls == ["_multi_tensor_update"] * 2  # once per param group
    calls.clear()
    for group in optimizer.param_groups:
        group["lr"] = torch.tensor(group["lr"])
    step(optimizer, params, 1)
    expected = "_single_tensor_update" if name in ("Adam", "AdamW") else "_multi_tensor_update"
    assert set(calls) == {expected}


@pytest.mark.parametrize("name", NAMES)
def test_foreach_false_is_respected(name, monkeypatch):
    monkeypatch.setattr(_base, "_default_to_fused_or_foreach", lambda *a, **k: (False, True))
    params = make_mixed_params()
    optimizer = build(optnotes.optim, name, params, {"foreach": False})
    calls = calls_of(optimizer, monkeypatch)
    step(optimizer, params, 0)
    assert set(calls) == {"_single_tensor_update"}
