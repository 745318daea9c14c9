"""Warm-up + cosine, WSD and inverse square root against transformers, optax and timm.

The reference definitions below are transcribed from the sources (not imported: neither
transformers nor optax is installed):

* transformers ``src/transformers/optimization.py``: ``_get_cosine_schedule_with_warmup_
  lr_lambda`` (the version with ``min_lr_rate``, which is the one both
  ``get_cosine_schedule_with_warmup`` and ``get_cosine_with_min_lr_schedule_with_warmup``
  end up calling, the later ``def`` shadowing the earlier), ``_get_wsd_scheduler_lambda``
  and ``_get_inverse_sqrt_schedule_lr_lambda`` with ``get_inverse_sqrt_schedule``'s
  default timescale;
* optax ``optax/schedules/_schedule.py``: ``warmup_cosine_decay_schedule`` = join of
  ``linear_schedule`` (``polynomial_schedule`` with power 1) and ``cosine_decay_schedule``;
* timm ``timm/scheduler/wsd_lr.py``: ``WSDLRScheduler._get_lr`` with ``stable_fn="constant"``;
* the Annotated Transformer's ``rate`` for the Noam schedule.
"""

import math
import pickle

import pytest
import torch

from optnotes.grading import check_scheduler
from optnotes.lr_scheduler import LambdaLR, LinearWarmup, lr_sequence, schedules
from optnotes.lr_scheduler.modern import WSDLR, InverseSqrtLR, WarmupCosineLR
from optnotes.lr_scheduler.schedules.modern import (
    DECAY_SHAPES,
    inverse_sqrt,
    noam,
    warmup_cosine,
    warmup_cosine_optax,
    wsd,
)

LRS = (0.1, 0.03)  # two param groups

# ---------------------------------------------------------------- reference definitions


def hf_cosine(current_step, *, num_warmup_steps, num_training_steps, num_cycles, min_lr_rate=0.0):
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    progress = float(current_step - num_warmup_steps) / float(
        max(1, num_training_steps - num_warmup_steps)
    )
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    factor = factor * (1 - min_lr_rate) + min_lr_rate
    return max(0, factor)


def hf_wsd(
    current_step,
    *,
    num_warmup_steps,
    num_stable_steps,
    num_decay_steps,
    warmup_type,
    decay_type,
    min_lr_ratio,
    num_cycles,
):
    if current_step < num_warmup_steps:
        progress = float(current_step) / float(max(1, num_warmup_steps))
        if warmup_type == "linear":
            factor = progress
        elif warmup_type == "cosine":
            factor = 0.5 * (1.0 - math.cos(math.pi * progress))
        elif warmup_type == "1-sqrt":
            factor = 1.0 - math.sqrt(1.0 - progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)

    if current_step < num_warmup_steps + num_stable_steps:
        return 1.0

    if current_step < num_warmup_steps + num_stable_steps + num_decay_steps:
        progress = float(current_step - num_warmup_steps - num_stable_steps) / float(
            max(1, num_decay_steps)
        )
        if decay_type == "linear":
            factor = 1.0 - progress
        elif decay_type == "cosine":
            factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
        elif decay_type == "1-sqrt":
            factor = 1.0 - math.sqrt(progress)
        factor = factor * (1.0 - min_lr_ratio) + min_lr_ratio
        return max(0.0, factor)
    return min_lr_ratio


def hf_inverse_sqrt(current_step, *, num_warmup_steps, timescale=None):
    if timescale is None:  # get_inverse_sqrt_schedule's default
        timescale = num_warmup_steps or 10_000
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    shift = timescale - num_warmup_steps
    decay = 1.0 / math.sqrt((current_step + shift) / timescale)
    return decay


def optax_warmup_cosine_decay(init_value, peak_value, warmup_steps, decay_steps, end_value=0.0):
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value

    def linear(count):  # polynomial_schedule(init, peak, power=1, transition_steps=W)
        if warmup_steps <= 0:
            return init_value
        count = min(max(count, 0), warmup_steps)
        frac = 1 - count / warmup_steps
        return (init_value - peak_value) * frac**1 + peak_value

    def cosine(count):  # cosine_decay_schedule(peak, decay_steps - W, alpha)
        steps = float(decay_steps - warmup_steps)
        count = min(float(count), steps)
        cosine_decay = 0.5 * (1 + math.cos(math.pi * count / steps))
        decayed = (1 - alpha) * cosine_decay**1.0 + alpha
        return peak_value * decayed

    def schedule(step):  # join_schedules([linear, cosine], [warmup_steps])
        return linear(step) if step < warmup_steps else cosine(step - warmup_steps)

    return schedule


def timm_wsd(t, base_value, *, t_initial, decay_t, lr_min, decay_fn, warmup_t, warmup_lr_init):
    if t < warmup_t:
        return warmup_lr_init + t * (base_value - warmup_lr_init) / warmup_t
    t_s = t - warmup_t
    stable_lr = max(base_value * 1.0, lr_min)
    t_decay = t_s - (t_initial - decay_t)
    if t_decay <= 0:
        return stable_lr
    frac = min(t_decay / decay_t, 1.0)
    decay = {
        "linear": 1.0 - frac,
        "1-sqrt": 1.0 - math.sqrt(frac),
        "cosine": 0.5 * (1.0 + math.cos(math.pi * frac)),
    }[decay_fn]
    return lr_min + (stable_lr - lr_min) * decay


def annotated_transformer_rate(step, model_size, factor, warmup):
    if step == 0:
        step = 1
    return factor * (model_size ** (-0.5) * min(step ** (-0.5), step * warmup ** (-1.5)))


# ---------------------------------------------------------------- helpers


def make_optimizer():
    torch.manual_seed(0)
    groups = [{"params": [torch.nn.Parameter(torch.randn(2))], "lr": lr} for lr in LRS]
    return torch.optim.SGD(groups, lr=LRS[0], momentum=0.9)


def steps_around(*points, end):
    """Every step up to ``end``, which includes the boundaries ``points``, and a few past it."""
    assert all(0 <= p <= end for p in points)
    return [*range(end + 1), end + 1, end + 7, 2 * end + 3]


def run(scheduler, optimizer, n):
    rows = [[g["lr"] for g in optimizer.param_groups]]
    for _ in range(n):
        optimizer.step()
        scheduler.step()
        rows.append([g["lr"] for g in optimizer.param_groups])
    return rows


# ---------------------------------------------------------------- warm-up + cosine

COSINE_CASES = [
    (0, 10, 0.0, 0.5),
    (1, 10, 0.0, 0.5),
    (5, 25, 0.0, 0.5),
    (5, 25, 0.1, 0.5),
    (7, 30, 0.25, 1.0),
    (3, 20, 0.0, 1.5),
    (10, 11, 0.5, 0.5),
]


@pytest.mark.parametrize(("W", "T", "rho", "c"), COSINE_CASES)
def test_warmup_cosine_matches_transformers(W, T, rho, c):
    f = warmup_cosine(W, T, min_ratio=rho, num_cycles=c)
    for t in steps_around(0, W, T, end=T):
        expected = hf_cosine(
            t, num_warmup_steps=W, num_training_steps=T, num_cycles=c, min_lr_rate=rho
        )
        assert f(t) == pytest.approx(expected, rel=1e-15, abs=1e-15), t
    assert f(0) == 0.0 or W == 0
    assert f(W) == pytest.approx(1.0)
    if c == 0.5:
        assert f(T) == pytest.approx(rho, abs=1e-15)


def test_warmup_cosine_is_not_clamped_past_the_end_like_transformers():
    f = warmup_cosine(2, 12)
    assert f(12) == pytest.approx(0.0, abs=1e-15)
    assert f(17) == pytest.approx(0.5)  # climbs back along the cosine
    assert f(22) == pytest.approx(1.0)
    held = schedules.join([f, schedules.constant(0.0)], [12])
    assert [held(t) for t in (12, 17, 22)] == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(("W", "D", "init", "end"), [(5, 25, 0.0, 0.0), (4, 20, 0.1, 0.05)])
def test_warmup_cosine_optax_matches_optax(W, D, init, end):
    peak = 2.0
    ref = optax_warmup_cosine_decay(init * peak, peak, W, D, end * peak)
    f = warmup_cosine_optax(W, D, init_ratio=init, end_ratio=end)
    for t in steps_around(0, W, D, end=D):
        assert f(t) * peak == pytest.approx(ref(t), rel=1e-14, abs=1e-15), t


def test_optax_decay_steps_include_the_warmup():
    """transformers (W, T, rho) = optax (0, 1, W, decay_steps=T, rho) up to T, not beyond."""
    W, T, rho = 6, 40, 0.1
    hf = warmup_cosine(W, T, min_ratio=rho)
    ox = optax_warmup_cosine_decay(0.0, 1.0, W, decay_steps=T, end_value=rho)
    for t in range(T + 1):
        assert hf(t) == pytest.approx(ox(t), rel=1e-14, abs=1e-15), t
    # decay_steps = T - W (the decay length alone) would be a different, shorter curve
    wrong = optax_warmup_cosine_decay(0.0, 1.0, W, decay_steps=T - W, end_value=rho)
    assert wrong(T - W) == pytest.approx(rho)
    assert hf(T - W) > rho + 0.01
    # past T optax holds rho, transformers' cosine climbs back
    assert ox(T + 10) == pytest.approx(rho)
    assert hf(T + 10) > rho + 0.01
    # optax's warm-up may start above 0
    assert warmup_cosine_optax(W, T, init_ratio=0.2)(0) == pytest.approx(0.2)


# ---------------------------------------------------------------- WSD

WSD_CASES = [
    (w, s, d, shape, rho, wshape)
    for (w, s, d) in [(5, 10, 8), (0, 4, 6), (3, 0, 5), (4, 6, 1), (2, 3, 0)]
    for shape in DECAY_SHAPES
    for (rho, wshape) in [(0.0, "linear"), (0.1, "cosine"), (0.2, "1-sqrt")]
]


@pytest.mark.parametrize(("W", "S", "D", "shape", "rho", "wshape"), WSD_CASES)
def test_wsd_matches_transformers(W, S, D, shape, rho, wshape):
    f = wsd(W, S, D, shape=shape, min_ratio=rho, warmup_shape=wshape)
    for t in steps_around(0, W, W + S, W + S + D, end=W + S + D):
        expected = hf_wsd(
            t,
            num_warmup_steps=W,
            num_stable_steps=S,
            num_decay_steps=D,
            warmup_type=wshape,
            decay_type=shape,
            min_lr_ratio=rho,
            num_cycles=0.5,
        )
        assert f(t) == pytest.approx(expected, rel=1e-15, abs=1e-15), t
    assert f(0) == (rho if W else 1.0)
    assert f(W + S + D) == rho
    assert f(W + S + D + 100) == rho


def test_wsd_cosine_num_cycles_matches_transformers():
    f = wsd(2, 3, 10, shape="cosine", num_cycles=1.0)
    for t in range(20):
        expected = hf_wsd(
            t,
            num_warmup_steps=2,
            num_stable_steps=3,
            num_decay_steps=10,
            warmup_type="linear",
            decay_type="cosine",
            min_lr_ratio=0.0,
            num_cycles=1.0,
        )
        assert f(t) == pytest.approx(expected, rel=1e-15, abs=1e-15)


@pytest.mark.parametrize("shape", DECAY_SHAPES)
def test_wsd_matches_timm_with_min_lr_as_ratio(shape):
    """One group: timm's lr_min = warmup_lr_init = rho * lr gives the same rates."""
    W, S, D, rho, lr = 4, 6, 10, 0.1, 0.5
    f = wsd(W, S, D, shape=shape, min_ratio=rho)
    for t in steps_around(0, W, W + S, W + S + D, end=W + S + D):
        expected = timm_wsd(
            t,
            lr,
            t_initial=S + D,
            decay_t=D,
            lr_min=rho * lr,
            decay_fn=shape,
            warmup_t=W,
            warmup_lr_init=rho * lr,
        )
        assert lr * f(t) == pytest.approx(expected, rel=1e-14, abs=1e-15), t
    # timm's default warm-up starts at 0, transformers' at min_lr_ratio
    timm0 = timm_wsd(
        0,
        lr,
        t_initial=S + D,
        decay_t=D,
        lr_min=rho * lr,
        decay_fn=shape,
        warmup_t=W,
        warmup_lr_init=0.0,
    )
    assert timm0 == 0.0
    assert f(0) == rho


def test_wsd_one_minus_sqrt_cooldown_values():
    f = wsd(0, 0, 100, shape="1-sqrt")
    assert [f(t) for t in (0, 25, 64, 100)] == pytest.approx([1.0, 0.5, 0.2, 0.0])


# ---------------------------------------------------------------- inverse square root


@pytest.mark.parametrize(("W", "tau"), [(10, None), (0, None), (1, None), (8, 3), (5, 40.0)])
def test_inverse_sqrt_matches_transformers(W, tau):
    f = inverse_sqrt(W, timescale=tau)
    for t in [*steps_around(0, W, end=W + 30), 10_000, 123_457]:
        expected = hf_inverse_sqrt(t, num_warmup_steps=W, timescale=tau)
        assert f(t) == pytest.approx(expected, rel=1e-15), t
    assert f(W) == 1.0


def test_inverse_sqrt_default_timescale():
    assert inverse_sqrt(7).keywords["timescale"] == 7
    assert inverse_sqrt(0).keywords["timescale"] == 10_000


@pytest.mark.parametrize(("d", "W"), [(512, 4000), (64, 10), (16, 1)])
def test_noam_is_inverse_sqrt_with_timescale_w_scaled(d, W):
    g = noam(d, W)
    f = inverse_sqrt(W)
    peak = (d * W) ** -0.5
    for t in [0, 1, 2, W - 1, W, W + 1, 3 * W, 100 * W]:
        assert g(t) == pytest.approx(annotated_transformer_rate(t, d, 1.0, W), rel=1e-15)
        if t >= 1:
            assert g(t) == pytest.approx(peak * f(t), rel=1e-12)
    assert g(0) == g(1)  # step 0 counted as step 1; inverse_sqrt gives 0 there
    assert f(0) == 0.0
    assert noam(d, W, factor=2.0)(W) == pytest.approx(2.0 * peak)


# ---------------------------------------------------------------- the classes

CLASS_CASES = [
    (WarmupCosineLR, {"warmup_steps": 5, "total_steps": 30, "min_ratio": 0.1}, warmup_cosine),
    (WarmupCosineLR, {"warmup_steps": 0, "total_steps": 12}, warmup_cosine),
    (
        WSDLR,
        {"warmup_steps": 4, "stable_steps": 10, "decay_steps": 12, "shape": "1-sqrt"},
        wsd,
    ),
    (
        WSDLR,
        {
            "warmup_steps": 3,
            "stable_steps": 2,
            "decay_steps": 9,
            "shape": "cosine",
            "min_ratio": 0.05,
            "warmup_shape": "cosine",
        },
        wsd,
    ),
    (InverseSqrtLR, {"warmup_steps": 6}, inverse_sqrt),
    (InverseSqrtLR, {"warmup_steps": 4, "timescale": 20}, inverse_sqrt),
]


@pytest.mark.parametrize(("cls", "kwargs", "factory"), CLASS_CASES)
def test_class_is_lambda_lr_of_the_schedule(cls, kwargs, factory):
    f = factory(**kwargs)
    opt = make_optimizer()
    rows = run(cls(opt, **kwargs), opt, 45)
    opt2 = make_optimizer()
    ref = run(LambdaLR(opt2, f), opt2, 45)
    assert rows == ref  # bit for bit
    for t, row in enumerate(rows):
        assert row == pytest.approx([lr * f(t) for lr in LRS], rel=1e-15, abs=1e-18)


@pytest.mark.parametrize(("cls", "kwargs", "factory"), CLASS_CASES)
def test_state_dict_resume(cls, kwargs, factory):
    opt = make_optimizer()
    full = run(cls(opt, **kwargs), opt, 40)

    opt = make_optimizer()
    sched = cls(opt, **kwargs)
    run(sched, opt, 17)
    state = pickle.loads(pickle.dumps(sched.state_dict()))
    assert all(not callable(v) for v in state.values())

    opt2 = make_optimizer()
    resumed = cls(opt2, **kwargs)
    resumed.load_state_dict(state)
    assert resumed.last_epoch == 17
    assert resumed.get_last_lr() == full[17]
    rest = run(resumed, opt2, 23)
    assert rest[1:] == full[18:]


@pytest.mark.parametrize(("cls", "kwargs", "factory"), CLASS_CASES)
def test_check_scheduler(cls, kwargs, factory):
    check_scheduler(cls, cls, kwargs=kwargs).assert_ok()


def test_check_scheduler_wsdlr():
    report = check_scheduler(
        WSDLR,
        WSDLR,
        kwargs=[
            {"warmup_steps": 5, "stable_steps": 20, "decay_steps": 20},
            {"warmup_steps": 3, "stable_steps": 10, "decay_steps": 30, "shape": "1-sqrt"},
            {
                "warmup_steps": 0,
                "stable_steps": 5,
                "decay_steps": 40,
                "shape": "cosine",
                "min_ratio": 0.1,
            },
        ],
    )
    report.assert_ok()
    assert report.passed


def test_lr_sequence_and_step_epoch():
    kwargs = {"warmup_steps": 4, "stable_steps": 3, "decay_steps": 5}
    seq = lr_sequence(WSDLR, 15, **kwargs)
    f = wsd(**kwargs)
    assert len(seq) == 16
    opt = make_optimizer()
    sched = WSDLR(opt, **kwargs)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(9)  # the deprecated closed-form path
    assert sched.get_last_lr() == pytest.approx([lr * f(9) for lr in LRS])


# ---------------------------------------------------------------- composing


def test_joins_and_warmup_still_compose():
    cos = warmup_cosine(3, 20, min_ratio=0.1)
    held = schedules.join([cos, schedules.constant(0.1)], [20])
    assert [held(t) for t in range(21)] == [cos(t) for t in range(20)] + [0.1]
    assert held(500) == 0.1

    rsqrt = schedules.warmup(inverse_sqrt(0, timescale=10), warmup_steps=5, start_factor=0.2)
    assert rsqrt(0) == pytest.approx(0.2)
    assert rsqrt(5) == 1.0
    assert rsqrt(15) == pytest.approx(inverse_sqrt(0, timescale=10)(10))

    two_cycles = schedules.join([wsd(2, 3, 5), wsd(0, 4, 6, shape="cosine")], [10])
    assert two_cycles(10) == 1.0
    assert two_cycles(9) == pytest.approx(wsd(2, 3, 5)(9))


def test_linear_warmup_in_front_of_a_modern_scheduler():
    W = 5
    opt = make_optimizer()
    after = WSDLR(opt, 0, 10, 20, shape="1-sqrt")
    rows = run(LinearWarmup(opt, W, start_factor=0.25, after=after), opt, 40)
    f = schedules.warmup(wsd(0, 10, 20, shape="1-sqrt"), W, start_factor=0.25)
    for t, row in enumerate(rows):
        assert row == pytest.approx([lr * f(t) for lr in LRS], rel=1e-12), t

    opt = make_optimizer()
    after = InverseSqrtLR(opt, 0, timescale=8)
    rows = run(LinearWarmup(opt, W, after=after), opt, 30)
    g = schedules.warmup(inverse_sqrt(0, timescale=8), W)
    assert rows == [pytest.approx([lr * g(t) for lr in LRS], rel=1e-12) for t in range(31)]


# ---------------------------------------------------------------- bad arguments

BAD = [
    (warmup_cosine, {"warmup_steps": -1, "total_steps": 10}, "warmup_steps"),
    (warmup_cosine, {"warmup_steps": 10, "total_steps": 10}, "total_steps"),
    (warmup_cosine, {"warmup_steps": 1, "total_steps": 10, "min_ratio": 1.5}, "min_ratio"),
    (warmup_cosine, {"warmup_steps": 1, "total_steps": 10, "num_cycles": -1}, "num_cycles"),
    (warmup_cosine_optax, {"warmup_steps": 5, "decay_steps": 5}, "decay_steps"),
    (warmup_cosine_optax, {"warmup_steps": -2, "decay_steps": 5}, "warmup_steps"),
    (wsd, {"warmup_steps": -1, "stable_steps": 1, "decay_steps": 1}, "warmup_steps"),
    (wsd, {"warmup_steps": 1, "stable_steps": -1, "decay_steps": 1}, "stable_steps"),
    (wsd, {"warmup_steps": 1, "stable_steps": 1, "decay_steps": -1}, "decay_steps"),
    (wsd, {"warmup_steps": 1, "stable_steps": 1, "decay_steps": 1, "shape": "exp"}, "shape"),
    (
        wsd,
        {"warmup_steps": 1, "stable_steps": 1, "decay_steps": 1, "warmup_shape": "sqrt"},
        "warmup_shape",
    ),
    (wsd, {"warmup_steps": 1, "stable_steps": 1, "decay_steps": 1, "min_ratio": -0.1}, "min_ratio"),
    (inverse_sqrt, {"warmup_steps": -1}, "warmup_steps"),
    (inverse_sqrt, {"warmup_steps": 3, "timescale": 0}, "timescale"),
    (noam, {"d_model": 0, "warmup_steps": 10}, "d_model"),
    (noam, {"d_model": 8, "warmup_steps": 0}, "warmup_steps"),
]


@pytest.mark.parametrize(("factory", "kwargs", "name"), BAD)
def test_bad_schedule_arguments(factory, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        factory(**kwargs)


CLASS_OF = {warmup_cosine: WarmupCosineLR, wsd: WSDLR, inverse_sqrt: InverseSqrtLR}


@pytest.mark.parametrize(
    ("factory", "kwargs", "name"), [case for case in BAD if case[0] in CLASS_OF]
)
def test_bad_class_arguments(factory, kwargs, name):
    opt = make_optimizer()
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        CLASS_OF[factory](opt, **kwargs)
    assert [g["lr"] for g in opt.param_groups] == list(LRS)  # nothing written
