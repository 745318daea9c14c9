"""The multi-tensor path (foreach=True): equal to torch's and to our single-tensor path."""

import pytest
import torch

import optnotes.optim
from optnotes.optim import _base

from .cases import (
    CASES,
    NAMES,
    algorithm_module,
    assert_same_state,
    build,
    case_id,
    checkpoint_cases,
    make_mixed_params,
    mixed_loss,
    mixed_step,
)

STEPS = 30
TOLERANCE = {torch.float32: 1e-6, torch.float64: 1e-12}
#: Torch's own ASGD paths disagree by more than round-off of the parameter's dtype: both keep
#: η as a float32 tensor, recomputed in Python floats on one path and in float32 tensor
#: arithmetic on the other (torch's paths differ by up to ~3e-6 relative over these 30 steps).
#: Torch's Adafactor ends its per-tensor step with ``add_(update, alpha=-α/denom)`` and its
#: multi-tensor step with ``mul`` then ``add``: one rounding more per step, and its clipped,
#: sign-like updates carry it on. Torch's own two paths drift apart by up to 2.0e-6 (float32)
#: and 4.8e-15 (float64) relative to 1 + |θ| over these 30 steps; each of ours equals torch's.
PATH_TOLERANCE = {
    "ASGD": {torch.float32: 1e-5, torch.float64: 1e-5},
    "Adafactor": {torch.float32: 1e-5, torch.float64: 1e-12},
}


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
            tol = PATH_TOLERANCE.get(name, TOLERANCE)[ours.dtype]
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
        mixed_step(ours, ours_p, t, late)
        mixed_step(theirs, theirs_p, t, late)
    for a, b in zip(ours_p, theirs_p, strict=True):
        assert torch.equal(a, b)
    assert_same_state(ours, theirs)


def calls_of(name, monkeypatch):
    """Record which update function (``step_`` or ``foreach_``) the steps of ``name`` call."""
    module = algorithm_module(name)
    calls = []
    for form in ("step_", "foreach_"):
        attribute = f"{module.__name__.rpartition('.')[2]}_{form}"
        function = getattr(module, attribute)

        def record(*args, _function=function, _form=form, **kwargs):
            calls.append(_form)
            return _function(*args, **kwargs)

        monkeypatch.setattr(module, attribute, record)
    return calls


@pytest.mark.parametrize("name", NAMES)
def test_default_on_cpu_is_the_single_tensor_path(name, monkeypatch):
    params = make_mixed_params()
    optimizer = build(optnotes.optim, name, params, {})
    calls = calls_of(name, monkeypatch)
    mixed_step(optimizer, params, 0)
    assert calls == ["step_"] * (len(params) - 1)  # once per param with a gradient


@pytest.mark.parametrize("name", NAMES)
def test_default_follows_torchs_rule(name, monkeypatch):
    """Where torch would pick foreach (every param on a GPU), so do we; Adam not for a tensor lr.

    Adafactor saves memory: torch's takes the per-tensor path unless ``foreach=True``.
    """
    monkeypatch.setattr(_base, "_default_to_fused_or_foreach", lambda *a, **k: (False, True))
    params = make_mixed_params()
    optimizer = build(optnotes.optim, name, params, {})
    calls = calls_of(name, monkeypatch)
    mixed_step(optimizer, params, 0)
    if name == "Adafactor":
        assert calls == ["step_"] * (len(params) - 1)
        return
    assert calls == ["foreach_"] * 2  # once per param group
    calls.clear()
    for group in optimizer.param_groups:
        group["lr"] = torch.tensor(group["lr"])
    mixed_step(optimizer, params, 1)
    expected = "step_" if name in ("Adam", "AdamW") else "foreach_"
    assert set(calls) == {expected}


@pytest.mark.parametrize("name", NAMES)
def test_foreach_false_is_respected(name, monkeypatch):
    monkeypatch.setattr(_base, "_default_to_fused_or_foreach", lambda *a, **k: (False, True))
    params = make_mixed_params()
    optimizer = build(optnotes.optim, name, params, {"foreach": False})
    calls = calls_of(name, monkeypatch)
    mixed_step(optimizer, params, 0)
    assert set(calls) == {"step_"}
