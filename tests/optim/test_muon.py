"""Muon against torch.optim.Muon: every step, every option, checkpoints, errors, the algebra.

Muon takes only 2-D parameters and has no multi-tensor path, so it has its own file
instead of the generic harness (whose parameters are 1-D to 3-D); it reuses its loss,
runs and comparisons.
"""

import copy
import inspect
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import _muon as torch_muon

import optnotes.optim
from optnotes.optim import muon as muon_module

from .cases import assert_same_params, assert_same_state, case_id, grid, loss_fn, run

STEPS = 30
LR = 0.02
DTYPES = [torch.float32, torch.float64]

#: Tall, wide, square, a row and a column; the last param never receives a gradient.
SHAPES = [(5, 3), (3, 7), (4, 4), (1, 6), (6, 1), (2, 3)]


def make_params(dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(s, generator=g, dtype=dtype).requires_grad_() for s in SHAPES]


def muon_groups(params, lr, second=None):
    """Two groups, the second with half the learning rate and options ``second``."""
    return [
        {"params": params[:3], "lr": lr},
        {"params": params[3:], "lr": lr / 2, **(second or {})},
    ]


def make_pair(kwargs, dtype, second=None, seed=0):
    """torch's Muon and ours, on identical copies of the same parameters."""
    kwargs = dict(kwargs)
    lr = kwargs.pop("lr", LR)
    pairs = []
    for cls in (optnotes.optim.Muon, torch.optim.Muon):
        params = make_params(dtype, seed)
        pairs.append((cls(muon_groups(params, lr, second), **kwargs), params))
    return pairs


OPTIONS = [
    *grid(
        nesterov=[True, False],
        momentum=[0.95, 0.0],
        weight_decay=[0.0, 0.1],
        adjust_lr_fn=[None, "original", "match_rms_adamw"],
    ),
    {"ns_steps": 0},  # the normalised momentum itself
    {"ns_steps": 1},
    {"ns_steps": 12},
    {"ns_coefficients": (1.5, -0.5, 0.0), "ns_steps": 10},  # the classical cubic
    {"eps": 10.0},  # the clamp of the norm in action
    {"momentum": 1.0},  # the buffer never leaves zero
    {"momentum": 1.5, "nesterov": False},  # torch checks only momentum >= 0
    {"lr": 0.2, "weight_decay": 0.5},
]
CASES = [("Muon", kw) for kw in OPTIONS]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch_every_step(case, dtype):
    _, kwargs = case
    (ours, ours_p), (theirs, theirs_p) = make_pair(kwargs, dtype)
    for step in range(STEPS):
        run(ours, ours_p, 1, start=step)
        run(theirs, theirs_p, 1, start=step)
        assert_same_params(ours_p, theirs_p, step)
    assert_same_state(ours, theirs)
    assert ours_p[-1].grad is None
    assert torch.equal(ours_p[-1], make_params(dtype)[-1]), "a param without grad moved"
    assert len(ours.state) == len(SHAPES) - 1
    for param in ours_p[:-1]:
        state = ours.state[param]
        assert list(state) == ["momentum_buffer"]  # no step count
        assert state["momentum_buffer"].dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_groups_with_different_options_match_torch(dtype):
    second = {"nesterov": False, "adjust_lr_fn": "match_rms_adamw", "momentum": 0.5}
    (ours, ours_p), (theirs, theirs_p) = make_pair({"weight_decay": 0.2}, dtype, second)
    for step in range(STEPS):
        run(ours, ours_p, 1, start=step)
        run(theirs, theirs_p, 1, start=step)
        assert_same_params(ours_p, theirs_p, step)
    assert_same_state(ours, theirs)


MIXED_DTYPES = [torch.bfloat16, torch.bfloat16, torch.float64]
MIXED_DTYPES += [torch.float32, torch.float64, torch.bfloat16]


@pytest.mark.parametrize("nesterov", [True, False])
def test_bfloat16_and_mixed_dtypes_match_torch(nesterov):
    """bfloat16 params (and float32 beside float64 in one group) follow torch bit for bit,
    including torch's in-place normalisation of a bfloat16 buffer without Nesterov."""
    pairs = []
    for cls in (optnotes.optim.Muon, torch.optim.Muon):
        params = [
            p.detach().to(dtype).requires_grad_()
            for p, dtype in zip(make_params(torch.float32), MIXED_DTYPES, strict=True)
        ]
        pairs.append((cls(muon_groups(params, LR), nesterov=nesterov), params))
    (ours, ours_p), (theirs, theirs_p) = pairs
    for step in range(STEPS):
        run(ours, ours_p, 1, start=step)
        run(theirs, theirs_p, 1, start=step)
        assert_same_params(ours_p, theirs_p, step)
    assert_same_state(ours, theirs)
    norm = ours.state[ours_p[0]]["momentum_buffer"].float().norm().item()
    if nesterov:
        assert abs(norm - 1.0) > 0.5  # an average of gradients, left as it is
    else:
        assert norm == pytest.approx(1.0, abs=0.02)  # the buffer was divided by its norm


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lr", [torch.tensor(LR), torch.tensor([LR])], ids=["0-dim", "1-element"])
def test_tensor_learning_rate_matches_torch(lr, dtype):
    """A tensor lr stays a tensor through the step, as in torch: bit for bit."""
    (ours, ours_p), (theirs, theirs_p) = make_pair({"lr": lr}, dtype)
    for opt in (ours, theirs):
        opt.param_groups[1]["lr"] = lr.clone() / 2
    for step in range(10):
        run(ours, ours_p, 1, start=step)
        run(theirs, theirs_p, 1, start=step)
        assert_same_params(ours_p, theirs_p, step)


def late_loss(params, step):
    """params 1 and 2 take part from step 5 on: their state is created then."""
    return loss_fn([p for i, p in enumerate(params) if step >= 5 or i not in (1, 2)], step)


def late_run(optimizer, params, steps, start=0):
    for step in range(start, start + steps):
        optimizer.zero_grad()
        late_loss(params, step).backward()
        optimizer.step()


CHECKPOINT_OPTIONS = [{}, {"nesterov": False, "adjust_lr_fn": "match_rms_adamw", "momentum": 0.8}]


@pytest.mark.parametrize("kwargs", CHECKPOINT_OPTIONS, ids=["defaults", "options"])
@pytest.mark.parametrize("stop", [3, 10], ids=["before-late-state", "after"])
@pytest.mark.parametrize("direction", ["ours->ours", "torch->ours", "ours->torch"])
def test_resume_from_state_dict(direction, stop, kwargs):
    """Stop, save, load into a fresh optimizer, go on: the same as torch never stopping."""
    (ours, ours_p), (reference, ref_p) = make_pair(kwargs, torch.float32)
    writer_is_torch = direction == "torch->ours"
    writer, writer_p = (reference, ref_p) if writer_is_torch else (ours, ours_p)
    late_run(writer, writer_p, stop)
    checkpoint = copy.deepcopy(writer.state_dict())
    resumed_p = [p.detach().clone().requires_grad_() for p in writer_p]
    reader_cls = torch.optim.Muon if direction == "ours->torch" else optnotes.optim.Muon
    reader = reader_cls(muon_groups(resumed_p, 1.0), **kwargs)
    reader.load_state_dict(checkpoint)  # restores both groups' learning rates
    assert reader.state_dict()["param_groups"] == checkpoint["param_groups"]  # nothing added
    if not writer_is_torch:
        late_run(reference, ref_p, stop)
    late_run(reference, ref_p, 20 - stop, start=stop)
    late_run(reader, resumed_p, 20 - stop, start=stop)
    assert_same_params(resumed_p, ref_p)
    assert_same_state(reader, reference)


def test_deepcopy_keeps_the_groups_as_torch_does():
    (ours, ours_p), (theirs, _) = make_pair({}, torch.float32)
    run(ours, ours_p, 2)
    copied = copy.deepcopy(ours)
    assert copied.state_dict()["param_groups"] == ours.state_dict()["param_groups"]
    assert set(copied.param_groups[0]) == set(copy.deepcopy(theirs).param_groups[0])


@settings(max_examples=40, deadline=None)
@given(
    lr=st.floats(1e-4, 1.0),
    weight_decay=st.floats(0.0, 0.5),
    momentum=st.floats(0.0, 0.999),
    nesterov=st.booleans(),
    adjust_lr_fn=st.sampled_from([None, "original", "match_rms_adamw"]),
    ns_steps=st.integers(0, 10),
    eps=st.floats(1e-9, 1e-1),
)
def test_matches_torch_random_hyperparameters(
    lr, weight_decay, momentum, nesterov, adjust_lr_fn, ns_steps, eps
):
    kwargs = {
        "lr": lr,
        "weight_decay": weight_decay,
        "momentum": momentum,
        "nesterov": nesterov,
        "adjust_lr_fn": adjust_lr_fn,
        "ns_steps": ns_steps,
        "eps": eps,
    }
    (ours, ours_p), (theirs, theirs_p) = make_pair(kwargs, torch.float64)
    run(ours, ours_p, 10)
    run(theirs, theirs_p, 10)
    assert_same_params(ours_p, theirs_p)
    assert_same_state(ours, theirs)


# The interface: signature, errors, refusals.


def test_same_signature_as_torch():
    ours = inspect.signature(optnotes.optim.Muon).parameters
    theirs = inspect.signature(torch.optim.Muon).parameters
    assert list(ours) == list(theirs)
    for name, param in theirs.items():
        assert ours[name].kind == param.kind, name
        assert ours[name].default == param.default, name
    assert issubclass(optnotes.optim.Muon, torch.optim.Optimizer)


def matrices():
    return [torch.zeros(3, 2, requires_grad=True)]


INVALID = [
    ({"lr": -0.1}, matrices),
    ({"lr": torch.tensor([0.1, 0.2])}, matrices),
    ({"momentum": -0.5}, matrices),
    ({"weight_decay": -0.1}, matrices),
    ({"adjust_lr_fn": "rms"}, matrices),
    ({}, lambda: [torch.zeros(3, requires_grad=True)]),
    ({}, lambda: [torch.zeros(2, 2, 2, requires_grad=True)]),
    ({}, lambda: [torch.zeros((), requires_grad=True)]),
    ({}, lambda: [{"params": matrices()}, {"params": [torch.zeros(4, requires_grad=True)]}]),
]


CONSTRUCTOR_ERRORS = r"should be >= 0|must be 1-element|is not supported|only supports 2D"


@pytest.mark.parametrize(
    ("kwargs", "params"), INVALID, ids=[f"{k}-{i}" for i, (k, _) in enumerate(INVALID)]
)
def test_invalid_arguments_raise_like_torch(kwargs, params):
    with pytest.raises(ValueError, match=CONSTRUCTOR_ERRORS) as theirs:
        torch.optim.Muon(params(), **kwargs)
    with pytest.raises(ValueError, match=CONSTRUCTOR_ERRORS) as ours:
        optnotes.optim.Muon(params(), **kwargs)
    assert str(ours.value) == str(theirs.value)


STEP_ERRORS = [
    {"ns_steps": 100},
    {"ns_coefficients": (3.4, -4.7)},
]


@pytest.mark.parametrize("kwargs", STEP_ERRORS, ids=str)
def test_step_errors_like_torch(kwargs):
    """Checked by the iteration, at the step, after the first buffer's update (as torch)."""
    (ours, ours_p), (theirs, theirs_p) = make_pair(kwargs, torch.float32)
    errors = []
    for opt, params in ((ours, ours_p), (theirs, theirs_p)):
        with pytest.raises(ValueError, match=r"less than 100|exactly 3 values") as error:
            run(opt, params, 1)
        errors.append(str(error.value))
    assert errors[0] == errors[1]
    assert_same_params(ours_p, theirs_p)
    assert_same_state(ours, theirs)


def test_later_non_matrix_group_is_refused_at_the_step_like_torch():
    errors = []
    for cls in (optnotes.optim.Muon, torch.optim.Muon):
        opt = cls(matrices())
        vector = torch.zeros(4, requires_grad=True)
        opt.add_param_group({"params": [vector]})  # torch checks only in the constructor
        vector.grad = torch.ones(4)
        with pytest.raises(ValueError, match="2D matrix") as error:
            opt.step()
        errors.append(str(error.value))
    assert errors[0] == errors[1] == "Param gradient must be a 2D matrix"


def test_foreach_is_refused_like_torch():
    for cls in (optnotes.optim.Muon, torch.optim.Muon):
        with pytest.raises(TypeError, match="foreach"):
            cls(matrices(), foreach=True)
    params = matrices()
    lists = [params, [torch.ones_like(p) for p in params], [torch.zeros_like(p) for p in params]]
    hyperparameters = {
        "lr": 0.1,
        "weight_decay": 0.0,
        "momentum": 0.9,
        "nesterov": True,
        "ns_coefficients": (3.4445, -4.775, 2.0315),
        "ns_steps": 5,
        "eps": 1e-7,
        "adjust_lr_fn": None,
    }
    with pytest.raises(RuntimeError) as theirs:
        torch_muon.muon(*lists, foreach=True, has_complex=False, **hyperparameters)
    with pytest.raises(RuntimeError) as ours:
        muon_module.muon(*lists, foreach=True, **hyperparameters)
    assert str(ours.value) == str(theirs.value)


def test_a_groups_foreach_is_ignored_like_torch():
    pairs = []
    for cls in (optnotes.optim.Muon, torch.optim.Muon):
        params = make_params(torch.float32)
        groups = muon_groups(params, LR, {"foreach": True})
        pairs.append((cls(groups), params))
    (ours, ours_p), (theirs, theirs_p) = pairs
    run(ours, ours_p, 5)
    run(theirs, theirs_p, 5)
    assert_same_params(ours_p, theirs_p)
    assert_same_state(ours, theirs)


def test_complex_parameters_are_refused_at_the_step_like_torch():
    errors = []
    for cls in (optnotes.optim.Muon, torch.optim.Muon):
        param = torch.zeros(2, 3, dtype=torch.complex64, requires_grad=True)
        opt = cls([param])  # accepted here
        param.grad = torch.ones_like(param)
        with pytest.raises(RuntimeError) as error:
            opt.step()
        errors.append(str(error.value))
    assert errors[0] == errors[1]


def test_sparse_gradients_are_refused():
    for cls in (optnotes.optim.Muon, torch.optim.Muon):
        embedding = torch.nn.Embedding(10, 3, sparse=True)
        opt = cls(embedding.parameters())
        embedding(torch.tensor([1, 2])).sum().backward()
        with pytest.raises(RuntimeError, match="does not support sparse gradients"):
            opt.step()


def test_update_function_takes_every_hyperparameter_by_name():
    hyperparameters = [
        p
        for p in inspect.signature(optnotes.optim.muon_step_).parameters.values()
        if p.kind == p.KEYWORD_ONLY
    ]
    assert all(p.default is p.empty for p in hyperparameters)
    assert "muon_step_" in optnotes.optim.__all__
    params = matrices()
    kwargs = dict.fromkeys((p.name for p in hyperparameters[:-1]), 0.0)
    with pytest.raises(TypeError, match=hyperparameters[-1].name):
        muon_module.muon(params, [torch.ones(3, 2)], [torch.zeros(3, 2)], **kwargs)


# The algebra of the module docstring.


@pytest.mark.parametrize("dtype", [*DTYPES, torch.bfloat16])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (1, 6), (6, 1)])
def test_newton_schulz_is_torchs(shape, dtype):
    g = torch.Generator().manual_seed(1)
    grad = torch.randn(shape, generator=g).to(dtype)
    for steps, coefficients in ((5, muon_module.NS_COEFFICIENTS), (3, (1.5, -0.5, 0.0))):
        ours = muon_module.zeropower_via_newtonschulz(grad.clone(), coefficients, steps, 1e-7)
        theirs = torch_muon._zeropower_via_newtonschulz(grad.clone(), coefficients, steps, 1e-7)
        assert ours.dtype == torch.bfloat16
        assert ours.shape == grad.shape
        assert torch.equal(ours, theirs)
    zero = torch.zeros(shape, dtype=dtype)
    assert torch.equal(muon_module.zeropower_via_newtonschulz(zero, (3, -4, 2), 5, 1e-7), zero)


@pytest.mark.parametrize("shape", [(64, 32), (32, 64)])
def test_newton_schulz_singular_values_end_near_one_not_at_one(shape):
    """Five quintic steps leave the singular values in about [0.68, 1.13] (bfloat16 adds
    a little): near 1, as the polar factor's, but not equal to it."""
    g = torch.Generator().manual_seed(2)
    grad = torch.randn(shape, generator=g, dtype=torch.float64)
    ortho = muon_module.zeropower_via_newtonschulz(grad, muon_module.NS_COEFFICIENTS, 5, 1e-7)
    singular_values = torch.linalg.svdvals(ortho.double())
    assert 0.6 < singular_values.min() < 0.8
    assert 1.05 < singular_values.max() < 1.2
    u, _, vh = torch.linalg.svd(grad, full_matrices=False)
    cosine = (ortho.double() * (u @ vh)).sum() / ortho.double().norm() / (u @ vh).norm()
    assert cosine > 0.98  # close to the direction of the polar factor UVᵀ


def test_quintic_numbers_quoted_in_the_docstring():
    a, b, c = muon_module.NS_COEFFICIENTS

    def quintic(x):
        return a * x + b * x**3 + c * x**5

    def cubic(x):
        return 1.5 * x - 0.5 * x**3

    assert quintic(1.0) == pytest.approx(0.701)  # a + b + c: 1 is not a fixed point
    fixed = math.sqrt((-b - math.sqrt(b * b - 4 * c * (a - 1))) / (2 * c))  # p(σ) = σ
    assert quintic(fixed) == pytest.approx(fixed)
    assert fixed == pytest.approx(0.868, abs=5e-4)
    assert a + 3 * b * fixed**2 + 5 * c * fixed**4 == pytest.approx(-1.58, abs=5e-3)  # repels
    sigma = torch.linspace(0.01, 1.0, 100_001, dtype=torch.float64)
    assert quintic(sigma).max().item() == pytest.approx(1.20, abs=5e-3)
    for _ in range(5):
        sigma = quintic(sigma)
    assert sigma.min().item() >= 0.68
    assert sigma.max().item() <= 1.135
    small_quintic = small_cubic = 1e-3
    for _ in range(5):
        small_quintic, small_cubic = quintic(small_quintic), cubic(small_cubic)
    assert small_quintic == pytest.approx(0.47, abs=5e-3)
    assert small_cubic == pytest.approx(7.6e-3, abs=5e-5)


@pytest.mark.parametrize("fn", [None, "original", "match_rms_adamw", "other"])
@pytest.mark.parametrize("shape", [(6, 3), (3, 6), (4, 4), (1, 9)])
def test_learning_rate_scale_is_torchs_and_sets_the_rms(shape, fn):
    assert muon_module.adjust_lr(0.3, fn, torch.Size(shape)) == torch_muon._adjust_lr(
        0.3, fn, torch.Size(shape)
    )
    if fn == "other":
        return
    rows, cols = shape
    u, _, vh = torch.linalg.svd(torch.randn(shape, dtype=torch.float64), full_matrices=False)
    ortho = u @ vh  # exactly semi-orthogonal: RMS entry 1/√max(A, B)
    assert ortho.pow(2).mean().sqrt().item() == pytest.approx(1 / math.sqrt(max(rows, cols)))
    rms = (muon_module.adjust_lr(1.0, fn, torch.Size(shape)) * ortho).pow(2).mean().sqrt()
    expected = 0.2 if fn == "match_rms_adamw" else 1 / math.sqrt(cols)
    assert rms.item() == pytest.approx(expected)


def test_momentum_is_an_average_not_the_documented_sum():
    """The code's buffer is (1 − μ) times torch's documented μB + g; so is the Nesterov vector."""
    mu = 0.9
    g = torch.Generator().manual_seed(3)
    param = torch.randn(4, 3, generator=g, dtype=torch.float64)
    buffer, documented = torch.zeros_like(param), torch.zeros_like(param)
    for _ in range(10):
        grad = torch.randn(4, 3, generator=g, dtype=torch.float64)
        hyperparameters = {
            "lr": 0.0,
            "weight_decay": 0.0,
            "momentum": mu,
            "nesterov": True,
            "ns_coefficients": muon_module.NS_COEFFICIENTS,
            "ns_steps": 5,
            "eps": 1e-7,
            "adjust_lr_fn": None,
        }
        optnotes.optim.muon_step_(param, grad, buffer, **hyperparameters)
        documented = mu * documented + grad
        torch.testing.assert_close(buffer, (1 - mu) * documented, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(
            grad.lerp(buffer, mu), (1 - mu) * (grad + mu * documented), rtol=1e-12, atol=1e-14
        )


def test_weight_decay_is_decoupled_with_the_unadjusted_lr():
    """A zero gradient orthogonalises to zero: only θ ← (1 − ηλ)θ is left, even for a
    tall matrix whose update η is scaled by √(A/B)."""
    for cls in (optnotes.optim.Muon, torch.optim.Muon):
        param = torch.randn(8, 2, dtype=torch.float64, requires_grad=True)
        start = param.detach().clone()
        opt = cls([param], lr=0.1, weight_decay=0.5)
        param.grad = torch.zeros_like(param)
        opt.step()
        assert torch.equal(param.detach(), start * (1 - 0.1 * 0.5))
