"""Schedules as values: the factories against their closed forms, joins, warm-up."""

import math
import pickle

import pytest
from torch.optim import lr_scheduler as tl

from optnotes import lr_scheduler as ol
from optnotes.lr_scheduler import lr_sequence, schedules
from optnotes.lr_scheduler.schedules import (
    constant,
    cosine,
    cyclic,
    exponential,
    join,
    linear,
    step,
    warmup,
)

STEPS = range(60)


def test_pure_functions_formulas():
    assert schedules.step_factor(13, 5, 0.5) == 0.25
    assert schedules.exponential_factor(3, 0.5) == 0.125
    assert schedules.cosine_annealing_factor(5, 10) == pytest.approx(0.5, abs=1e-16)
    assert schedules.cosine_annealing_lr(10, 0.1, 0.01, 10) == pytest.approx(0.01, abs=1e-17)
    assert schedules.linear_warmup_factor(2, 4, 0.2) == pytest.approx(0.6)
    assert schedules.linear_warmup_factor(7, 4, 0.2) == 1.0
    peak = [schedules.cyclic_lr(t, 0.0, 1.0, 4, mode="triangular2") for t in (0, 4, 8, 12, 16)]
    assert peak == [0.0, 1.0, 0.0, 0.5, 0.0]


def test_factories_are_their_closed_forms_exactly():
    for t in STEPS:
        assert step(7, 0.3)(t) == schedules.step_factor(t, 7, 0.3) == 0.3 ** (t // 7)
        assert exponential(0.93)(t) == schedules.exponential_factor(t, 0.93) == 0.93**t
        assert cosine(13)(t) == schedules.cosine_annealing_factor(t, 13)
        assert cosine(13, 0.02)(t) == schedules.cosine_annealing_lr(t, 1.0, 0.02, 13)
        assert constant(0.25)(t) == 0.25
        assert schedules.linear_warmup_factor(t, 9, 0.2) == warmup(constant(1.0), 9, 0.2)(t)
        assert cyclic(0.1, 1.0, 4, 7, mode="exp_range", gamma=0.98)(t) == schedules.cyclic_lr(
            t, 0.1, 1.0, 4, 7, mode="exp_range", gamma=0.98
        )


@pytest.mark.parametrize(("T_max", "ratio"), [(13, 0.0), (13, 0.02), (1, 0.5), (100, 0.1)])
def test_cosine_values(T_max, ratio):
    schedule = cosine(T_max, ratio)
    for t in range(3 * T_max + 1):
        expected = ratio + (1 - ratio) * (1 + math.cos(math.pi * t / T_max)) / 2
        assert schedule(t) == pytest.approx(expected, rel=1e-15, abs=1e-16)
    assert schedule(0) == pytest.approx(1.0, rel=1e-15)
    assert schedule(T_max) == pytest.approx(ratio, abs=1e-16)  # the bottom at T_max
    assert schedule(2 * T_max) == pytest.approx(1.0, rel=1e-15)  # not clamped, like torch


def test_linear_values():
    ramp = linear(0.2, 1.0, 4)
    assert [ramp(t) for t in range(7)] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0])
    assert ramp(4) == 1.0  # exactly the end, from the end on
    down = linear(1.0, 0.0, 10)
    assert [down(t) for t in (0, 5, 10, 11)] == pytest.approx([1.0, 0.5, 0.0, 0.0])
    assert [linear(3.0, 7.0, 0)(t) for t in (0, 1)] == [7.0, 7.0]


@pytest.mark.parametrize(
    ("schedule", "torch_scheduler", "kwargs"),
    [
        (step(7, 0.3), tl.StepLR, {"step_size": 7, "gamma": 0.3}),
        (exponential(0.93), tl.ExponentialLR, {"gamma": 0.93}),
        (cosine(13, 0.02), tl.CosineAnnealingLR, {"T_max": 13, "eta_min": 0.002}),
        (linear(0.25, 1.0, 10), tl.LinearLR, {"start_factor": 0.25, "total_iters": 10}),
        (constant(1.0), tl.ConstantLR, {"factor": 1.0}),
        (cyclic(0.1, 1.0, 5, 3), tl.CyclicLR, {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5,
                                              "step_size_down": 3}),
    ],
)  # fmt: skip
def test_a_schedule_in_lambda_lr_gives_the_torch_schedulers_lrs(schedule, torch_scheduler, kwargs):
    (ours,) = zip(*lr_sequence(tl.LambdaLR, 60, lrs=(0.1,), lr_lambda=schedule), strict=True)
    (theirs,) = zip(*lr_sequence(torch_scheduler, 60, lrs=(0.1,), **kwargs), strict=True)
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-17)


def test_join_switches_at_each_boundary():
    joined = join([constant(1.0), constant(2.0), constant(3.0)], [2, 5])
    assert [joined(t) for t in range(8)] == [1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0]


def test_join_counts_each_later_schedule_from_its_boundary():
    count = linear(0.0, 100.0, 100)  # the step itself, up to 100
    joined = join([constant(-1.0), count, count], [3, 10])
    assert [joined(t) for t in range(14)] == [-1.0, -1.0, -1.0, 0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3]


def test_join_with_equal_or_zero_boundaries():
    skipped = join([constant(1.0), constant(2.0), constant(3.0)], [2, 2])
    assert [skipped(t) for t in range(4)] == [1.0, 1.0, 3.0, 3.0]  # the middle one never runs
    assert join([constant(1.0), constant(2.0)], [0])(0) == 2.0
    assert join([exponential(0.5)], [])(3) == 0.125  # one schedule: itself


def test_join_nests():
    inner = join([constant(1.0), linear(1.0, 0.0, 4)], [2])
    outer = join([constant(9.0), inner], [5])
    assert [outer(t) for t in range(5, 12)] == [inner(t) for t in range(7)]


@pytest.mark.parametrize(
    ("schedules_", "boundaries", "match"),
    [
        ([constant(), constant()], [], "one boundary fewer"),
        ([constant()], [3], "one boundary fewer"),
        ([], [], "one boundary fewer"),
        ([constant(), constant(), constant()], [5, 3], "non-decreasing"),
        ([constant(), constant()], [-1], "non-negative"),
    ],
)
def test_join_refuses_inconsistent_boundaries(schedules_, boundaries, match):
    with pytest.raises(ValueError, match=match):
        join(schedules_, boundaries)


@pytest.mark.parametrize(
    ("factory", "args", "match"),
    [
        (step, (0,), "step_size"),
        (cosine, (0,), "T_max"),
        (linear, (0.0, 1.0, -1), "steps"),
        (cyclic, (0.1, 1.0, 0), "step_size_up"),
        (cyclic, (0.1, 1.0, 5, None, "sine"), "mode"),
    ],
)
def test_factories_refuse_bad_arguments_at_once(factory, args, match):
    with pytest.raises(ValueError, match=match):
        factory(*args)


@pytest.mark.parametrize(("W", "start_factor"), [(5, 1 / 3), (1, 0.1), (12, 0.05)])
@pytest.mark.parametrize("ratio", [0.0, 0.1])
def test_warmup_then_cosine_is_the_ramp_then_the_cosine(W, start_factor, ratio):
    after = cosine(40, ratio)
    schedule = warmup(after, W, start_factor)
    for t in range(W):
        assert schedule(t) == start_factor + (1 - start_factor) * t / W  # the ramp, exactly
    for t in range(W, W + 100):
        assert schedule(t) == after(t - W)  # the cosine from its own step 0, exactly
    assert schedule(W) == pytest.approx(1.0, rel=1e-15)  # the ramp's end meets the cosine's top


@pytest.mark.parametrize(("W", "start_factor"), [(5, 1 / 3), (12, 0.05)])
def test_warmup_cosine_is_what_the_warmup_scheduler_sets(W, start_factor):
    lr, T_max, eta_min = 0.1, 40, 0.002

    def warm_cosine_scheduler(optimizer):
        after = ol.CosineAnnealingLR(optimizer, T_max=T_max, eta_min=eta_min)
        return ol.LinearWarmup(optimizer, W, start_factor, after=after)

    schedule = warmup(cosine(T_max, eta_min / lr), W, start_factor)
    expected = [lr * schedule(t) for t in range(100)]
    (lrs,) = zip(*lr_sequence(warm_cosine_scheduler, 99, lrs=(lr,)), strict=True)
    assert lrs == pytest.approx(expected, rel=1e-12, abs=1e-17)


def test_schedules_pickle_and_show_their_arguments():
    schedule = join([warmup(cosine(10, 0.1), 3), constant(0.1)], [13])
    copy = pickle.loads(pickle.dumps(schedule))
    assert [copy(t) for t in STEPS] == [schedule(t) for t in STEPS]
    assert "T_max=10" in repr(cosine(10, 0.1))


def test_schedules_namespace_keeps_module_names_free():
    # the factories live in `schedules`; `optnotes.lr_scheduler.step` stays the module of StepLR
    assert ol.schedules is schedules
    assert ol.step.StepLR is ol.StepLR
    assert ol.cosine.CosineAnnealingLR is ol.CosineAnnealingLR
    assert schedules.step(3)(3) == 0.1
