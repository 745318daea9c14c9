"""Schedule-Free AdamW and SGD against the reference package ``schedulefree`` 1.4.1.

Bit for bit after every step, after every ``eval()`` and back after ``train()``; both
paths, float32 and float64, every argument; checkpoints crossing between the two in
train and in eval mode; the refusal to step in eval mode; argument checks.
"""

import copy
import inspect
import pickle
import re

import pytest
import schedulefree
import torch

import optnotes.optim
from optnotes.optim import adamw_schedule_free as adamw_module
from optnotes.optim import sgd_schedule_free as sgd_module
from optnotes.optim._schedule_free import NOT_IN_TRAIN_MODE, ScheduleFreeModeError

from .cases import assert_same_params, loss_fn, make_mixed_params, make_params, mixed_loss

DTYPES = [torch.float32, torch.float64]
STEPS = 12
NAMES = ["AdamWScheduleFree", "SGDScheduleFree"]
LR = {"AdamWScheduleFree": 0.05, "SGDScheduleFree": 0.1}


def classes(name):
    return getattr(optnotes.optim, name), getattr(schedulefree, name)


def groups(params, lr, second=None):
    """Three groups: two with gradients (the second at half the rate, with options
    ``second``), and one whose only parameter never gets a gradient."""
    return [
        {"params": params[:2], "lr": lr},
        {"params": params[2:4], "lr": lr / 2, **(second or {})},
        {"params": params[4:], "lr": lr},
    ]


def make_pair(name, kwargs, dtype, second=None, seed=0):
    """Ours and the reference, on identical copies of the same parameters, in train mode."""
    kwargs = dict(kwargs)
    lr = kwargs.pop("lr", LR[name])
    pair = []
    for cls in classes(name):
        params = make_params(dtype, seed)
        optimizer = cls(groups(params, lr, second), **kwargs)
        optimizer.train()
        pair.append((optimizer, params))
    return pair


def set_gradients(params, t):
    """Gradients of step ``t``; param 1 has none in steps 1, 4, 7, ...; param 4 never."""
    for p in params:
        p.grad = None
    loss_fn(params, t).backward()
    if t % 3 == 1:
        params[1].grad = None


def assert_same_state(ours, ref):
    a, b = ours.state_dict(), ref.state_dict()
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for idx in a["state"]:
        assert a["state"][idx].keys() == b["state"][idx].keys()
        for key, value in a["state"][idx].items():
            other = b["state"][idx][key]
            assert value.dtype == other.dtype
            assert torch.equal(value, other), f"state {key} of param {idx}"


def step_both(pair, steps, start=0, eval_every=1, lr_change_at=None):
    """Step both; compare after every step, after eval() and after train()."""
    (ours, ours_p), (ref, ref_p) = pair
    for t in range(start, start + steps):
        if t == lr_change_at:  # as a scheduler or a user would, mid-run
            for optimizer in (ours, ref):
                for group in optimizer.param_groups:
                    group["lr"] *= 0.3
        for params in (ours_p, ref_p):
            set_gradients(params, t)
        grads = [None if p.grad is None else p.grad.clone() for p in ours_p]
        ours.step()
        ref.step()
        assert_same_params(ours_p, ref_p, step=t)
        assert_same_state(ours, ref)
        for p, grad in zip(ours_p, grads, strict=True):  # ours leaves .grad alone
            assert (p.grad is None and grad is None) or torch.equal(p.grad, grad)
        if eval_every and (t + 1) % eval_every == 0:
            ours.eval()
            ref.eval()
            assert_same_params(ours_p, ref_p, step=f"{t} (eval)")
            ours.train()
            ref.train()
            assert_same_params(ours_p, ref_p, step=f"{t} (train)")


def option_id(kwargs):
    return ",".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults"


ADAMW_OPTIONS = [
    {"lr": 0.0025},  # the defaults
    {"warmup_steps": 5, "weight_decay": 0.1},
    {"betas": (0.8, 0.95), "eps": 1e-3, "r": 2.0, "weight_lr_power": 0.0},
    {"betas": (1.0, 0.0), "warmup_steps": 3, "r": 0.5, "eps": 0.0},  # primal averaging
    {"warmup_steps": 20, "weight_lr_power": 1.0, "weight_decay": 0.5},  # warming up throughout
]
SGD_OPTIONS = [
    {"lr": 1.0},  # the defaults
    {"momentum": 0.5, "weight_decay": 0.1, "warmup_steps": 5},
    {"r": 1.0, "weight_lr_power": 0.0},
    {"momentum": 0.99, "warmup_steps": 20, "weight_lr_power": 1.0, "weight_decay": 0.5},
]
SECOND = {
    "AdamWScheduleFree": {"weight_decay": 0.3, "betas": (0.5, 0.9), "eps": 1e-4},
    "SGDScheduleFree": {"weight_decay": 0.3, "momentum": 0.7},
}
CASES = [
    (name, {**kwargs, "foreach": foreach}, second)
    for name, options in (("AdamWScheduleFree", ADAMW_OPTIONS), ("SGDScheduleFree", SGD_OPTIONS))
    for i, kwargs in enumerate(options)
    for foreach in (False, True)
    for second in ([None, SECOND[name]] if i == 1 else [None])
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(
    ("name", "kwargs", "second"),
    CASES,
    ids=[f"{n}-{option_id(k)}-{'second' if s else 'same'}" for n, k, s in CASES],
)
def test_equals_the_reference_every_step_and_every_eval(name, kwargs, second, dtype):
    pair = make_pair(name, kwargs, dtype, second)
    step_both(pair, STEPS, lr_change_at=7)
    (ours, ours_p), _ = pair
    assert ours_p[-1].grad is None
    assert ours.param_groups[2]["k"] == STEPS  # a group without gradients counts steps too


@pytest.mark.parametrize("name", NAMES)
def test_equals_the_reference_with_eval_only_at_the_end(name):
    pair = make_pair(name, {"warmup_steps": 4, "foreach": False}, torch.float32)
    step_both(pair, STEPS, eval_every=STEPS)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name", NAMES)
def test_mixed_dtypes_in_a_group(name, foreach):
    """The foreach path splits each group by dtype and still equals the reference."""
    runs = []
    for cls in classes(name):
        params = make_mixed_params()
        optimizer = cls(groups(params, LR[name]), weight_decay=0.1, foreach=foreach)
        optimizer.train()
        runs.append((optimizer, params))
    for t in range(6):
        for optimizer, params in runs:
            optimizer.zero_grad()
            mixed_loss(params, t, late=(1,)).backward()
            optimizer.step()
        assert_same_params(runs[0][1], runs[1][1], step=t)
        for optimizer, _ in runs:
            optimizer.eval()
        assert_same_params(runs[0][1], runs[1][1], step=f"{t} (eval)")
        for optimizer, _ in runs:
            optimizer.train()


@pytest.mark.parametrize("foreach", [False, True])
def test_sgd_steps_complex_parameters_as_the_reference(foreach):
    pair = []
    for cls in classes("SGDScheduleFree"):
        g = torch.Generator().manual_seed(0)
        param = torch.randn(4, 3, dtype=torch.complex64, generator=g).requires_grad_()
        optimizer = cls([param], lr=0.1, weight_decay=0.1, foreach=foreach)
        optimizer.train()
        pair.append((optimizer, param))
    for t in range(5):
        for optimizer, param in pair:
            param.grad = torch.sin(param.detach() * (t + 1))
            optimizer.step()
        assert torch.equal(pair[0][1], pair[1][1])
        for optimizer, _ in pair:
            optimizer.eval()
        assert torch.equal(pair[0][1], pair[1][1])
        for optimizer, _ in pair:
            optimizer.train()


def test_adamw_refuses_complex_parameters():
    param = torch.zeros(2, dtype=torch.complex64, requires_grad=True)
    with pytest.raises(TypeError, match="complex"):
        optnotes.optim.AdamWScheduleFree([param])


# --- The update functions ----------------------------------------------------------------------


def test_update_functions_are_exported_and_twins():
    for module, stem in ((adamw_module, "adamw_schedule_free"), (sgd_module, "sgd_schedule_free")):
        for form in ("step_", "foreach_"):
            assert getattr(optnotes.optim, stem + "_" + form) is getattr(module, stem + "_" + form)
            assert f"{stem}_{form}" in optnotes.optim.__all__
        single = inspect.signature(getattr(module, f"{stem}_step_")).parameters.values()
        multi = inspect.signature(getattr(module, f"{stem}_foreach_")).parameters.values()
        positional = [p.name for p in single if p.kind != p.KEYWORD_ONLY]
        assert [p.name for p in multi if p.kind != p.KEYWORD_ONLY] == [f"{n}s" for n in positional]
        keyword = [p for p in single if p.kind == p.KEYWORD_ONLY]
        assert [p for p in multi if p.kind == p.KEYWORD_ONLY] == keyword
        assert all(p.default is p.empty for p in keyword)
    assert {"AdamWScheduleFree", "SGDScheduleFree"} <= set(optnotes.optim.__all__)


def test_the_stored_y_is_the_interpolation_of_the_average_and_z():
    """Exact arithmetic in float64: after eval() the parameter is x with
    x_{t+1} = (1 − c) x_t + c z_{t+1}, c = 1/(t+1) (r = 0, p = 0: the uniform average)."""
    param = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    optimizer = optnotes.optim.SGDScheduleFree([param], lr=0.1, weight_lr_power=0.0)
    optimizer.train()
    zs = [param.detach().clone()]
    for _ in range(5):
        param.grad = param.detach() * 2  # the gradient at y
        optimizer.step()
        zs.append(optimizer.state[param]["z"].clone())
    optimizer.eval()
    torch.testing.assert_close(param.detach(), torch.stack(zs[1:]).mean(0))


# --- Checkpoints, copies -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("direction", ["ours-to-reference", "reference-to-ours", "ours-to-ours"])
@pytest.mark.parametrize("name", NAMES)
def test_checkpoints_resume_exactly(name, direction, mode):
    """Saved after 6 steps (after eval() in eval mode), loaded into a fresh optimizer of
    the other kind on the saved parameters; both continue and agree every step."""
    kwargs = {"warmup_steps": 8, "weight_decay": 0.1, "r": 1.0, "foreach": False}
    (ours, ours_p), (ref, ref_p) = make_pair(name, kwargs, torch.float64, SECOND[name])
    source, source_p = (ref, ref_p) if direction == "reference-to-ours" else (ours, ours_p)
    step_both(((ours, ours_p), (ref, ref_p)), 6)
    if mode == "eval":
        source.eval()
    saved = copy.deepcopy(source.state_dict())
    target_cls = classes(name)[0 if direction != "ours-to-reference" else 1]
    target_p = [p.detach().clone().requires_grad_() for p in source_p]
    target = target_cls(groups(target_p, 1.0), **{**kwargs, "foreach": True})
    target.load_state_dict(saved)
    assert target.param_groups[0]["train_mode"] == (mode == "train")
    assert target.param_groups[0]["foreach"] is False  # the checkpoint's
    if mode == "eval":
        with pytest.raises(Exception, match="not in train mode"):
            target.step()
        source.train()
        target.train()
    ours_first = target_cls.__module__.startswith("optnotes")  # step_both checks ours' .grad
    pair = [(target, target_p), (source, source_p)]
    step_both(pair if ours_first else pair[::-1], 6, start=6)


@pytest.mark.parametrize("name", NAMES)
def test_copies_and_pickles_continue_exactly(name):
    (ours, params), _ = make_pair(name, {"warmup_steps": 3}, torch.float32)
    for t in range(4):
        set_gradients(params, t)
        ours.step()
    for copied in (copy.deepcopy((ours, params)), pickle.loads(pickle.dumps((ours, params)))):
        copy_opt, copy_p = copied
        assert copy_opt.state_dict()["param_groups"] == ours.state_dict()["param_groups"]
        assert_same_params(copy_p, params)
    twin, twin_p = copy.deepcopy((ours, params))
    original = copy.deepcopy((ours, params))
    for t in range(4, 8):
        for optimizer, p in (original, (twin, twin_p)):
            set_gradients(p, t)
            optimizer.step()
        assert_same_params(original[1], twin_p, step=t)


# --- Train and eval mode ------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_refuses_to_step_in_eval_mode_as_the_reference(name):
    ours_cls, ref_cls = classes(name)
    for cls in (ours_cls, ref_cls):
        params = make_params(torch.float32)
        optimizer = cls(params)
        assert optimizer.param_groups[0]["train_mode"] is False  # starts in eval mode
        set_gradients(params, 0)
        with pytest.raises(Exception, match=f"^{re.escape(NOT_IN_TRAIN_MODE)}$") as error:
            optimizer.step()
        if cls is ours_cls:
            assert isinstance(error.value, ScheduleFreeModeError)
            assert isinstance(error.value, RuntimeError)
        optimizer.train()
        optimizer.step()
        optimizer.eval()
        with pytest.raises(Exception, match="not in train mode"):
            optimizer.step()


@pytest.mark.parametrize("name", NAMES)
def test_train_and_eval_are_idempotent_and_move_only_stepped_params(name):
    (ours, params), _ = make_pair(name, {}, torch.float64)
    for t in range(3):
        set_gradients(params, t)
        ours.step()
    y = [p.detach().clone() for p in params]
    ours.train()  # already in train mode: nothing moves
    assert_same_params(params, y)
    ours.eval()
    x = [p.detach().clone() for p in params]
    ours.eval()
    assert_same_params(params, x)
    assert torch.equal(params[4], y[4])  # never stepped: no z, y = x
    assert not torch.equal(params[0], y[0])


# --- Signature and validation ----------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_constructor_takes_the_reference_arguments_and_defaults(name):
    ours_cls, ref_cls = classes(name)
    ours = inspect.signature(ours_cls).parameters
    ref = inspect.signature(ref_cls).parameters
    assert list(ours) == list(ref)
    for key, parameter in ref.items():
        assert ours[key].default == parameter.default, key
        assert ours[key].kind == parameter.kind, key
    params = make_params(torch.float32)
    assert ours_cls(params).defaults == ref_cls(params).defaults


INVALID = [  # the class, the arguments, our message, and whether the reference refuses too
    ("AdamWScheduleFree", {"lr": -1e-3}, "Invalid learning rate", False),
    ("AdamWScheduleFree", {"eps": -1e-8}, "Invalid epsilon value", False),
    ("AdamWScheduleFree", {"betas": (0.0, 0.999)}, "beta parameter at index 0", False),
    ("AdamWScheduleFree", {"betas": (1.1, 0.999)}, "beta parameter at index 0", False),
    ("AdamWScheduleFree", {"betas": (0.9, 1.0)}, "beta parameter at index 1", False),
    ("AdamWScheduleFree", {"betas": (0.9, -0.1)}, "beta parameter at index 1", False),
    ("AdamWScheduleFree", {"betas": (float("nan"), 0.9)}, "beta parameter at index 0", False),
    ("AdamWScheduleFree", {"weight_decay": -0.1}, "Invalid weight_decay value", False),
    ("AdamWScheduleFree", {"warmup_steps": -1}, "Invalid warmup_steps value", False),
    ("SGDScheduleFree", {"lr": -1.0}, "Invalid learning rate", True),
    ("SGDScheduleFree", {"weight_decay": -0.1}, "Invalid weight_decay value", True),
    ("SGDScheduleFree", {"momentum": 0.0}, "Momentum must be between 0 and 1 exclusive", True),
    ("SGDScheduleFree", {"momentum": 1.0}, "Momentum must be between 0 and 1 exclusive", True),
    ("SGDScheduleFree", {"warmup_steps": -2}, "Invalid warmup_steps value", False),
]


@pytest.mark.parametrize(
    ("name", "kwargs", "match", "reference_refuses"),
    INVALID,
    ids=[f"{n}-{k}" for n, k, *_ in INVALID],
)
def test_rejects_bad_arguments_naming_them(name, kwargs, match, reference_refuses):
    ours_cls, ref_cls = classes(name)
    params = make_params(torch.float32)
    with pytest.raises(ValueError, match=match):
        ours_cls(params, **kwargs)
    if reference_refuses:  # with the same words
        with pytest.raises(ValueError, match=match):
            ref_cls(params, **kwargs)


ACCEPTED = [
    ("AdamWScheduleFree", {"lr": 0.0, "betas": (1.0, 0.0), "eps": 0.0}),
    ("AdamWScheduleFree", {"r": -0.5, "weight_lr_power": 0.0, "warmup_steps": 2.5}),
    ("AdamWScheduleFree", {"lr": torch.tensor(0.01)}),
    ("SGDScheduleFree", {"lr": 0.0, "momentum": 1e-3}),
    ("SGDScheduleFree", {"weight_lr_power": -1.0, "r": -1.0}),
    ("SGDScheduleFree", {"lr": torch.tensor(0.01), "r": 3.0, "warmup_steps": 0}),
]


@pytest.mark.parametrize(("name", "kwargs"), ACCEPTED, ids=[f"{n}-{k}" for n, k in ACCEPTED])
def test_accepts_and_matches_what_the_reference_accepts(name, kwargs):
    step_both(make_pair(name, {**kwargs, "foreach": True}, torch.float64), 4)


@pytest.mark.parametrize("name", NAMES)
def test_refuses_sparse_gradients_before_changing_anything(name):
    param = torch.zeros(3, requires_grad=True)
    optimizer = getattr(optnotes.optim, name)([param])
    optimizer.train()
    param.grad = torch.zeros(3).to_sparse()
    before = dict(optimizer.param_groups[0])
    with pytest.raises(RuntimeError, match="sparse gradients"):
        optimizer.step()
    assert optimizer.param_groups[0] == before
