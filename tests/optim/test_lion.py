"""Lion against lion-pytorch's Lion: every step, every option, checkpoints, errors.

The reference is the package ``lion-pytorch`` 0.2.5 (a test requirement): ours is compared
with its ``Lion`` bit for bit after every step, and with its multi-tensor ``Lion``
(``lion_pytorch.foreach``) to round-off.
"""

import copy
import inspect
import pickle

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from lion_pytorch import Lion as ReferenceLion
from lion_pytorch.foreach import Lion as ReferenceForeachLion
from lion_pytorch.lion_pytorch import update_fn as reference_update_fn

import optnotes.optim
from optnotes.optim import lion as lion_module
from optnotes.optim.lion import LionArgumentError

from .cases import assert_same_params, grid, loss_fn, make_mixed_params, make_params, mixed_step

STEPS = 25
LR = 0.01
DTYPES = [torch.float32, torch.float64]


def groups(params, lr, second=None):
    """Two groups, the second with half the learning rate and options ``second``."""
    return [
        {"params": params[:2], "lr": lr},
        {"params": params[2:], "lr": lr / 2, **(second or {})},
    ]


def make_pair(kwargs, dtype, second=None, seed=0):
    """The reference and ours, on identical copies of the same parameters."""
    kwargs = dict(kwargs)
    lr = kwargs.pop("lr", LR)
    foreach = kwargs.pop("foreach", None)
    ours_p, ref_p = make_params(dtype, seed), make_params(dtype, seed)
    ours = optnotes.optim.Lion(groups(ours_p, lr, second), foreach=foreach, **kwargs)
    ref = ReferenceLion(groups(ref_p, lr, second), **kwargs)
    return (ours, ours_p), (ref, ref_p)


def run(optimizer, params, steps, start=0):
    for step in range(start, start + steps):
        optimizer.zero_grad()
        loss_fn(params, step).backward()
        optimizer.step()


def without_foreach(group):
    return {k: v for k, v in group.items() if k != "foreach"}


def assert_same_state(ours, ref):
    """Same param groups (ours add ``foreach``) and the same ``exp_avg`` bit for bit."""
    a, b = ours.state_dict(), ref.state_dict()
    # (A reference that loaded our checkpoint carries ``foreach`` along, unused.)
    assert [without_foreach(g) for g in a["param_groups"]] == [
        without_foreach(g) for g in b["param_groups"]
    ]
    assert a["state"].keys() == b["state"].keys()
    for idx in a["state"]:
        assert a["state"][idx].keys() == b["state"][idx].keys() == {"exp_avg"}
        sa, sb = a["state"][idx]["exp_avg"], b["state"][idx]["exp_avg"]
        assert sa.dtype == sb.dtype
        assert torch.equal(sa, sb), f"exp_avg of param {idx}"


def step_both(pair, steps, start=0):
    (ours, ours_p), (ref, ref_p) = pair
    for t in range(start, start + steps):
        for optimizer, params in ((ours, ours_p), (ref, ref_p)):
            run(optimizer, params, 1, start=t)
        assert_same_params(ours_p, ref_p, step=t)
        assert_same_state(ours, ref)


OPTIONS = [
    *grid(
        weight_decay=[0.0, 0.1],
        decoupled_weight_decay=[False, True],
        betas=[(0.9, 0.99), (0.95, 0.98)],
        foreach=[False, True],
    ),
    {"betas": (0.0, 1.0), "weight_decay": 0.5},  # the ends of the betas' range
    {"betas": (1.0, 0.0), "foreach": True},
    {"lr": 1e-4},  # the defaults
]
SECOND_GROUPS = [None, {"weight_decay": 0.3, "betas": (0.5, 0.9)}]


def option_id(kwargs):
    return ",".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults"


@pytest.mark.parametrize("second", SECOND_GROUPS, ids=["same", "second-group-options"])
@pytest.mark.parametrize("kwargs", OPTIONS, ids=option_id)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_equals_the_reference_every_step(kwargs, dtype, second):
    pair = make_pair(kwargs, dtype, second)
    step_both(pair, STEPS)
    (_, ours_p), _ = pair
    assert ours_p[-1].grad is None  # the last param never had a gradient


@settings(max_examples=40, deadline=None)
@given(
    beta1=st.floats(0.0, 1.0),
    beta2=st.floats(0.0, 1.0),
    lr=st.floats(1e-6, 0.5),
    weight_decay=st.floats(0.0, 2.0),
    decoupled=st.booleans(),
    foreach=st.booleans(),
    dtype=st.sampled_from(DTYPES),
)
def test_equals_the_reference_for_drawn_hyperparameters(
    beta1, beta2, lr, weight_decay, decoupled, foreach, dtype
):
    kwargs = {
        "lr": lr,
        "betas": (beta1, beta2),
        "weight_decay": weight_decay,
        "decoupled_weight_decay": decoupled,
        "foreach": foreach,
    }
    step_both(make_pair(kwargs, dtype), 8)


@pytest.mark.parametrize("decoupled", [False, True])
def test_foreach_equals_per_tensor_on_mixed_dtypes(decoupled):
    """Both dtypes in each group: the multi-tensor path splits them, and still agrees."""
    kwargs = {"betas": (0.9, 0.98), "weight_decay": 0.2, "decoupled_weight_decay": decoupled}
    runs = []
    for foreach in (False, True):
        params = make_mixed_params()
        groups_ = [{"params": params[:2], "lr": LR}, {"params": params[2:], "lr": LR / 2}]
        runs.append((optnotes.optim.Lion(groups_, foreach=foreach, **kwargs), params))
    ref_params = make_mixed_params()
    ref = ReferenceLion(
        [{"params": ref_params[:2], "lr": LR}, {"params": ref_params[2:], "lr": LR / 2}], **kwargs
    )
    for t in range(STEPS):
        late = (1,)  # one param takes part from step 5 on: its state starts late
        for optimizer, params in [*runs, (ref, ref_params)]:
            mixed_step(optimizer, params, t, late)
        assert_same_params(runs[0][1], runs[1][1], step=t)
        assert_same_params(runs[0][1], ref_params, step=t)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_equals_the_references_multi_tensor_lion_to_round_off(dtype):
    """``lion_pytorch.foreach.Lion`` takes both averages with ``lerp``: equal to round-off."""
    kwargs = {"betas": (0.9, 0.98), "weight_decay": 0.2, "decoupled_weight_decay": True}
    ours_p, ref_p = make_params(dtype), make_params(dtype)
    ours = optnotes.optim.Lion(groups(ours_p, LR), foreach=True, **kwargs)
    ref = ReferenceForeachLion(groups(ref_p, LR), **kwargs)
    for t in range(STEPS):
        run(ours, ours_p, 1, start=t)
        run(ref, ref_p, 1, start=t)
    for mine, theirs in zip(ours_p, ref_p, strict=True):
        torch.testing.assert_close(mine, theirs)
    assert not torch.equal(ours_p[0], make_params(dtype)[0])  # the run moved them


def test_update_functions_equal_the_reference_update_fn():
    g = torch.Generator().manual_seed(1)
    for dtype in DTYPES:
        tensors = [torch.randn(3, 4, generator=g, dtype=dtype) for _ in range(3)]
        ref = [t.clone() for t in tensors]
        ours = [[t.clone() for t in tensors] for _ in range(2)]
        hyper = {"lr": 0.03, "beta1": 0.8, "beta2": 0.95, "weight_decay": 0.7}
        for _ in range(5):
            reference_update_fn(ref[0], ref[1], ref[2], 0.03, 0.7, 0.8, 0.95)
            lion_module.lion_step_(ours[0][0], ours[0][1], ours[0][2], **hyper)
            lion_module.lion_foreach_([ours[1][0]], [ours[1][1]], [ours[1][2]], **hyper)
            for mine in ours:
                assert_same_params(mine, ref)


def test_the_update_moves_every_entry_by_lr():
    """sign(c): without decay, each entry with a non-zero c moves by exactly η (RMS 1)."""
    param = torch.randn(100, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    grad, exp_avg, before = torch.randn_like(param), torch.zeros_like(param), param.clone()
    lion_module.lion_step_(param, grad, exp_avg, lr=0.5, beta1=0.9, beta2=0.99, weight_decay=0)
    torch.testing.assert_close((param - before).abs(), torch.full_like(param, 0.5))
    torch.testing.assert_close(exp_avg, 0.01 * grad)
    zero_grad = torch.zeros_like(param)
    lion_module.lion_step_(
        param, zero_grad, torch.zeros_like(param), lr=0.5, beta1=0.9, beta2=0.99, weight_decay=0
    )
    torch.testing.assert_close(param - before, 0.5 * -grad.sign())  # sign(0) = 0: no move


# --- Checkpoints -------------------------------------------------------------------------------

CHECKPOINT_KWARGS = {"weight_decay": 0.1, "decoupled_weight_decay": True, "betas": (0.95, 0.98)}


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_state_dict_round_trip_ours_to_ours(dtype, foreach):
    kwargs = {**CHECKPOINT_KWARGS, "foreach": foreach}
    (ours, ours_p), _ = make_pair(kwargs, dtype)
    run(ours, ours_p, 10)
    saved = copy.deepcopy(ours.state_dict())
    (resumed, resumed_p), _ = make_pair(kwargs, dtype)
    with torch.no_grad():
        for a, b in zip(resumed_p, ours_p, strict=True):
            a.copy_(b)
    resumed.load_state_dict(saved)
    run(ours, ours_p, 10, start=10)
    run(resumed, resumed_p, 10, start=10)
    assert_same_params(resumed_p, ours_p)
    assert resumed.state_dict()["param_groups"] == ours.state_dict()["param_groups"]


@pytest.mark.parametrize("direction", ["reference-to-ours", "ours-to-reference"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_checkpoints_cross_with_the_reference_mid_run(dtype, direction):
    """A checkpoint saved by one, loaded by the other after 10 steps, then 10 more steps."""
    (ours, ours_p), (ref, ref_p) = make_pair(CHECKPOINT_KWARGS, dtype)
    source, source_p = (ref, ref_p) if direction == "reference-to-ours" else (ours, ours_p)
    run(source, source_p, 10)
    saved = copy.deepcopy(source.state_dict())
    target, target_p = (ours, ours_p) if direction == "reference-to-ours" else (ref, ref_p)
    with torch.no_grad():
        for a, b in zip(target_p, source_p, strict=True):
            a.copy_(b)
    target.load_state_dict(saved)
    # Each continues from the same point: ours (after loading) against the reference.
    step_both(((ours, ours_p), (ref, ref_p)), 10, start=10)


def test_loads_the_reference_layout_written_by_hand():
    """The reference's state_dict: exp_avg only, groups with lr, betas and weight_decay."""
    pairs = []
    for cls in (optnotes.optim.Lion, ReferenceLion):
        params = make_params(torch.float64)
        optimizer = cls(params, lr=0.1)
        optimizer.load_state_dict(
            {
                "state": {i: {"exp_avg": torch.full_like(p, 0.25)} for i, p in enumerate(params)},
                "param_groups": [
                    {
                        "lr": 0.05,
                        "betas": (0.5, 0.6),
                        "weight_decay": 0.2,
                        "params": [0, 1, 2, 3, 4],
                    }
                ],
            }
        )
        pairs.append((optimizer, params))
    group = pairs[0][0].param_groups[0]
    assert group["foreach"] is None
    assert (group["lr"], group["betas"], group["weight_decay"]) == (0.05, (0.5, 0.6), 0.2)
    step_both(pairs, 5)


@pytest.mark.parametrize("decoupled", [False, True])
def test_pickling_keeps_the_initial_lr_and_the_decay_mode(decoupled):
    params = make_params(torch.float32)
    ours = optnotes.optim.Lion(params, lr=0.02, decoupled_weight_decay=decoupled)
    run(ours, params, 3)
    for copied in (copy.deepcopy(ours), pickle.loads(pickle.dumps(ours))):
        assert (copied._init_lr, copied.decoupled_wd) == (0.02, decoupled)
        assert copied.state_dict()["param_groups"] == ours.state_dict()["param_groups"]


# --- Signature and validation ------------------------------------------------------------------


def test_constructor_takes_the_reference_arguments_and_defaults():
    ours = inspect.signature(optnotes.optim.Lion).parameters
    ref = inspect.signature(ReferenceLion).parameters
    assert list(ours)[: len(ref)] == list(ref)
    for name, parameter in ref.items():
        assert ours[name].default == parameter.default, name
        assert ours[name].kind == parameter.kind, name
    assert list(ours)[len(ref) :] == ["foreach"]
    assert ours["foreach"].kind is inspect.Parameter.KEYWORD_ONLY


INVALID = [
    ({"lr": 0.0}, "learning rate"),
    ({"lr": -1e-3}, "learning rate"),
    ({"betas": (1.1, 0.99)}, "beta parameter at index 0"),
    ({"betas": (0.9, -0.01)}, "beta parameter at index 1"),
    ({"betas": (0.9, float("nan"))}, "beta parameter at index 1"),
]


@pytest.mark.parametrize(("kwargs", "match"), INVALID, ids=[str(k) for k, _ in INVALID])
def test_rejects_what_the_reference_rejects(kwargs, match):
    params = make_params(torch.float32)
    with pytest.raises(AssertionError):
        ReferenceLion(params, **kwargs)
    with pytest.raises(LionArgumentError, match=match) as error:
        optnotes.optim.Lion(params, **kwargs)
    assert isinstance(error.value, ValueError)
    assert isinstance(error.value, AssertionError)


def test_lr_is_checked_before_betas_as_in_the_reference():
    with pytest.raises(LionArgumentError, match="learning rate"):
        optnotes.optim.Lion(make_params(torch.float32), lr=0.0, betas=(2.0, 2.0))


def test_accepts_what_the_reference_accepts():
    params = make_params(torch.float32)
    for kwargs in ({"betas": (0.0, 1.0)}, {"betas": (1.0, 0.0)}, {"weight_decay": -0.1}):
        ReferenceLion(params, **kwargs)
        optnotes.optim.Lion(params, **kwargs)


def test_refuses_use_triton_naming_it():
    with pytest.raises(ValueError, match="use_triton=True"):
        optnotes.optim.Lion(make_params(torch.float32), use_triton=True)


def test_refuses_implementation_options_in_a_param_group():
    params = make_params(torch.float32)
    with pytest.raises(ValueError, match="differentiable=True"):
        optnotes.optim.Lion([{"params": params, "differentiable": True}])


# --- The update functions ----------------------------------------------------------------------


def test_update_functions_are_exported_and_twins():
    for form in ("lion_step_", "lion_foreach_"):
        assert getattr(optnotes.optim, form) is getattr(lion_module, form)
        assert form in optnotes.optim.__all__
    assert "Lion" in optnotes.optim.__all__
    assert optnotes.optim.Lion is lion_module.Lion
    single = inspect.signature(lion_module.lion_step_).parameters.values()
    multi = inspect.signature(lion_module.lion_foreach_).parameters.values()
    positional = [p.name for p in single if p.kind != p.KEYWORD_ONLY]
    assert [p.name for p in multi if p.kind != p.KEYWORD_ONLY] == [f"{n}s" for n in positional]
    keyword = [p for p in single if p.kind == p.KEYWORD_ONLY]
    assert [p for p in multi if p.kind == p.KEYWORD_ONLY] == keyword
    assert all(p.default is p.empty for p in keyword)
