"""CosineAnnealingWarmRestarts, OneCycleLR, SequentialLR and ChainedScheduler against torch.

Each scheduler of optnotes is run beside torch's namesake on identical optimizers (torch's
and optnotes'), and the learning rates, momenta (or Adam's beta1) and parameters are
compared with ``==``: bit for bit.
"""

import io
import itertools
import math
import pickle
import random
import warnings

import pytest
import torch
from torch.optim import lr_scheduler as tl

import optnotes.optim
from optnotes.grading import check_scheduler
from optnotes.lr_scheduler.chained import ChainedScheduler
from optnotes.lr_scheduler.cosine import CosineAnnealingLR
from optnotes.lr_scheduler.cyclic import CyclicLR
from optnotes.lr_scheduler.exponential import ExponentialLR
from optnotes.lr_scheduler.one_cycle import OneCycleLR
from optnotes.lr_scheduler.plateau import ReduceLROnPlateau
from optnotes.lr_scheduler.schedules.annealing import (
    annealing_cos,
    annealing_linear,
    one_cycle,
    one_cycle_knots,
    one_cycle_lr,
    one_cycle_momentum,
    one_cycle_phases,
    one_cycle_value,
)
from optnotes.lr_scheduler.schedules.piecewise import constant, join
from optnotes.lr_scheduler.schedules.restarts import sgdr, sgdr_cycle, sgdr_lr
from optnotes.lr_scheduler.sequential import SequentialLR
from optnotes.lr_scheduler.sgdr import CosineAnnealingWarmRestarts
from optnotes.lr_scheduler.step import StepLR

N_STEPS = 70
LRS = (0.1, 0.03)  # two param groups with different learning rates

OURS = {
    cls.__name__: cls
    for cls in (
        ChainedScheduler, CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR,
        ExponentialLR, OneCycleLR, ReduceLROnPlateau, SequentialLR, StepLR,
    )
}  # fmt: skip


def scheduler_class(name, ours):
    """Our class of that name if we have one and ``ours``, else torch's."""
    return OURS[name] if ours and name in OURS else getattr(tl, name)


class Plain(torch.optim.Optimizer):
    """A minimal third-party optimizer: no momentum, no betas."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        pass


OPTIMIZERS = [("torch", "sgd"), ("torch", "adam"), ("ours", "sgd"), ("ours", "adam")]


def make_optimizer(kind="sgd", impl="torch", lrs=LRS):
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(3)) for _ in lrs]
    for p in params:
        p.grad = torch.randn(3)  # fixed gradients: the parameters move with lr and momentum
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)]
    optim = torch.optim if impl == "torch" else optnotes.optim
    if kind == "sgd":
        return optim.SGD(groups, lr=lrs[0], momentum=0.9)
    if kind == "sgd0":
        return optim.SGD(groups, lr=lrs[0])
    if kind == "adam":
        return optim.Adam(groups, lr=lrs[0])
    if kind == "plain":
        return Plain(groups)
    raise AssertionError(kind)


def momenta(optimizer):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in optimizer.param_groups]


def lrs_of(optimizer):
    return [g["lr"] for g in optimizer.param_groups]


def trace(optimizer, scheduler, n=N_STEPS, manual=None, epochs=None):
    """Learning rates and momenta after construction and each of ``n`` steps, then parameters.

    ``epochs``: the argument of each ``step``, for ``step(epoch)``.
    """
    rows = [(lrs_of(optimizer), momenta(optimizer))]
    for i in range(n if epochs is None else len(epochs)):
        optimizer.step()
        if manual is not None and i == manual:
            for g in optimizer.param_groups:
                g["lr"] *= 0.5  # a change by hand, mid-schedule
        if epochs is None:
            scheduler.step()
        else:
            scheduler.step(epochs[i])
        rows.append((lrs_of(optimizer), momenta(optimizer)))
        assert scheduler.get_last_lr() == rows[-1][0]
    params = [p.detach().clone() for g in optimizer.param_groups for p in g["params"]]
    return rows, params


def same(a, b):
    """Two traces agree bit for bit, parameters included."""
    (rows_a, params_a), (rows_b, params_b) = a, b
    return rows_a == rows_b and all(
        torch.equal(x, y) for x, y in zip(params_a, params_b, strict=True)
    )


def both(name, kind="sgd", impl="torch", **kwargs):
    """The scheduler from torch and from optnotes, on identical optimizers."""
    opt_t, opt_o = make_optimizer(kind, impl), make_optimizer(kind, impl)
    return (opt_t, getattr(tl, name)(opt_t, **kwargs)), (opt_o, OURS[name](opt_o, **kwargs))


def resume(name, kwargs, lib_from, lib_to, k, kind="adam", n=N_STEPS, epochs=None):
    """Run ``k`` steps with one library, save, rebuild with the other, load, trace the rest."""
    opt = make_optimizer(kind)
    sched = scheduler_class(name, lib_from == "ours")(opt, **kwargs)
    trace(opt, sched, n=k, epochs=None if epochs is None else epochs[:k])
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    opt2 = make_optimizer(kind)
    sched2 = scheduler_class(name, lib_to == "ours")(opt2, **kwargs)  # build, then load
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    rest = None if epochs is None else epochs[k:]
    rows, _ = trace(opt2, sched2, n=n - k, epochs=rest)
    return rows


RESUME_LIBS = [("ours", "ours"), ("torch", "ours"), ("ours", "torch")]


def assert_same_error(make, error):
    """``make(lib)`` raises the same exception type and message for torch and for ours."""
    with pytest.raises(error) as from_torch:
        make(False)
    with pytest.raises(error) as from_ours:
        make(True)
    assert type(from_ours.value) is type(from_torch.value)
    assert str(from_ours.value) == str(from_torch.value)
    return str(from_ours.value)


# --- CosineAnnealingWarmRestarts ------------------------------------------------------

SGDR_CONFIGS = [
    {"T_0": 10},
    {"T_0": 7, "T_mult": 2},
    {"T_0": 3, "T_mult": 3, "eta_min": 0.001},
    {"T_0": 1},
    {"T_0": 1, "T_mult": 2, "eta_min": 0.02},
    {"T_0": 13, "eta_min": 0.005},
    {"T_0": 5, "eta_min": 1},  # an int eta_min, as torch allows
]


@pytest.mark.parametrize(("impl", "kind"), OPTIMIZERS)
@pytest.mark.parametrize("kwargs", SGDR_CONFIGS)
def test_sgdr_same_as_torch(kwargs, impl, kind):
    (opt_t, sch_t), (opt_o, sch_o) = both("CosineAnnealingWarmRestarts", kind, impl, **kwargs)
    assert isinstance(sch_o, tl.LRScheduler)
    assert not isinstance(sch_o, tl.CosineAnnealingWarmRestarts)  # re-implemented
    assert same(trace(opt_o, sch_o), trace(opt_t, sch_t))
    assert (sch_o.T_cur, sch_o.T_i, sch_o.last_epoch) == (sch_t.T_cur, sch_t.T_i, sch_t.last_epoch)


def batches(n_epochs, iters):
    """The fractional epochs of ``step(epoch + i / iters)`` after each batch."""
    return [epoch + i / iters for epoch in range(n_epochs) for i in range(iters)]


@pytest.mark.parametrize(
    ("kwargs", "epochs"),
    [
        ({"T_0": 10}, batches(25, 3)),
        ({"T_0": 4, "T_mult": 2, "eta_min": 0.001}, batches(30, 4)),
        ({"T_0": 3, "T_mult": 3}, batches(40, 2)),
        ({"T_0": 1, "T_mult": 3}, [0.5, 4, 13.25, 40, 121, 121.5, 364, 200.75, 3, 0, 1.0]),
        ({"T_0": 1, "T_mult": 10}, [111, 111.0, 1111, 11.5, 1110.999, 5]),  # log rounds down
        ({"T_0": 6}, [7.5, 3, 12, 100.25, 0.125, 61]),  # jumps back and forth
    ],
)  # fmt: skip
def test_sgdr_fractional_epochs_same_as_torch(kwargs, epochs):
    (opt_t, sch_t), (opt_o, sch_o) = both("CosineAnnealingWarmRestarts", "sgd", **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither deprecates step(epoch) for this scheduler
        assert same(trace(opt_o, sch_o, epochs=epochs), trace(opt_t, sch_t, epochs=epochs))
    assert (sch_o.T_cur, sch_o.T_i, sch_o.last_epoch) == (sch_t.T_cur, sch_t.T_i, sch_t.last_epoch)
    assert isinstance(sch_o.last_epoch, int)  # ⌊epoch⌋


@pytest.mark.parametrize("T_mult", [1, 2])
def test_sgdr_step_and_step_epoch_interleave_like_torch(T_mult):
    pair = both("CosineAnnealingWarmRestarts", "adam", T_0=5, T_mult=T_mult)
    epochs = [None] * 20 + [26] + [None] * 9 + [3.5] + [None] * 12 + [40.25, None]
    runs = []
    for opt, sched in pair:
        rows = []
        for epoch in epochs:
            opt.step()
            sched.step(epoch)
            rows.append((lrs_of(opt), momenta(opt), sched.T_cur, sched.T_i, sched.last_epoch))
        runs.append(rows)
    assert runs[1] == runs[0]
    assert runs[1][21][4] == 27  # step(26) then step() is step(27)


def test_sgdr_restart_placed_by_step_epoch_like_torch():
    # T_0 = 1, T_mult = 3: restarts at 1, 4, 13, 40, 121, ...; log_3(243) rounds to 4.99...
    assert sgdr_cycle(121, 1, 3) == (81.0, 81)  # the end of the cycle before, not a restart
    assert sgdr_cycle(40, 1, 3) == (0.0, 81)  # a restart placed right
    kwargs = {"T_0": 1, "T_mult": 3, "eta_min": 0.001}
    (_, sch_t), (_, sch_o) = both("CosineAnnealingWarmRestarts", "sgd", **kwargs)
    for sched in (sch_t, sch_o):
        sched.step(121)
    assert sch_o.get_last_lr() == sch_t.get_last_lr() == [0.001, 0.001]  # η_min, not η₀
    # counting step() by step() restarts there
    sched = CosineAnnealingWarmRestarts(make_optimizer(), T_0=1, T_mult=3)
    for _ in range(121):
        sched.step()
    assert (sched.T_cur, sched.T_i) == (0, 243)
    assert sched.get_last_lr() == list(LRS)


def test_sgdr_negative_epoch():
    message = assert_same_error(
        lambda ours: scheduler_class("CosineAnnealingWarmRestarts", ours)(
            make_optimizer(), T_0=3
        ).step(-0.5),
        ValueError,
    )
    assert "epoch" in message


def test_sgdr_manual_change_is_overwritten_like_torch():
    (opt_t, sch_t), (opt_o, sch_o) = both("CosineAnnealingWarmRestarts", "plain", T_0=9)
    ours = trace(opt_o, sch_o, manual=20)
    assert same(ours, trace(opt_t, sch_t, manual=20))
    # not recursive: the step after the change is back on the curve (T_cur = 22 mod 9)
    expected = [lr * (1 + math.cos(math.pi * 4 / 9)) / 2 for lr in LRS]
    assert ours[0][22][0] == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(("lib_from", "lib_to"), RESUME_LIBS)
@pytest.mark.parametrize(
    ("kwargs", "epochs"),
    [
        ({"T_0": 7, "T_mult": 2, "eta_min": 0.001}, None),
        ({"T_0": 10}, None),
        ({"T_0": 3, "T_mult": 2}, batches(20, 3)),
    ],
)
def test_sgdr_resume_from_state_dict(kwargs, epochs, lib_from, lib_to):
    opt = make_optimizer("adam")
    uninterrupted, _ = trace(opt, tl.CosineAnnealingWarmRestarts(opt, **kwargs), epochs=epochs)
    n = len(uninterrupted) - 1
    rows = resume("CosineAnnealingWarmRestarts", kwargs, lib_from, lib_to, 23, n=n, epochs=epochs)
    assert rows == uninterrupted[23:]


def test_sgdr_state_dict_is_torchs():
    (_, sch_t), (_, sch_o) = both("CosineAnnealingWarmRestarts", "sgd", T_0=4, T_mult=2)
    for _ in range(9):
        sch_t.step()
        sch_o.step()
    assert sch_o.state_dict() == sch_t.state_dict()


@pytest.mark.parametrize("T_mult", [1, 2])
@pytest.mark.parametrize("k", [0, 5, 12, 30])
def test_sgdr_resume_with_last_epoch_like_torch(k, T_mult):
    def build(ours):
        opt = make_optimizer("sgd")
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
        cls = scheduler_class("CosineAnnealingWarmRestarts", ours)
        return opt, cls(opt, 8, T_mult, last_epoch=k)

    assert same(trace(*build(True)), trace(*build(False)))


def test_sgdr_tensor_learning_rates():
    def build(ours):
        torch.manual_seed(0)
        opt = torch.optim.SGD([torch.nn.Parameter(torch.randn(2))], lr=torch.tensor(0.1))
        return opt, scheduler_class("CosineAnnealingWarmRestarts", ours)(opt, 6, 2, 0.01)

    (opt_t, sch_t), (opt_o, sch_o) = build(False), build(True)
    for _ in range(30):
        for opt, sched in ((opt_t, sch_t), (opt_o, sch_o)):
            opt.step()
            sched.step()
        assert isinstance(opt_o.param_groups[0]["lr"], torch.Tensor)
        assert torch.equal(opt_o.param_groups[0]["lr"], opt_t.param_groups[0]["lr"])


@pytest.mark.parametrize(
    ("kwargs", "error", "argument"),
    [
        ({"T_0": 0}, ValueError, "T_0"),
        ({"T_0": -3}, ValueError, "T_0"),
        ({"T_0": 2.0}, ValueError, "T_0"),
        ({"T_0": "5"}, TypeError, None),  # "5" <= 0 fails first, in torch too
        ({"T_0": 5, "T_mult": 0}, ValueError, "T_mult"),
        ({"T_0": 5, "T_mult": 1.5}, ValueError, "T_mult"),
        ({"T_0": 5, "eta_min": "0.1"}, ValueError, "eta_min"),
        ({"T_0": 5, "eta_min": None}, ValueError, "eta_min"),
        ({"T_0": 5, "last_epoch": 3}, KeyError, "initial_lr"),
    ],
)
def test_sgdr_bad_arguments_like_torch(kwargs, error, argument):
    def make(ours):
        scheduler_class("CosineAnnealingWarmRestarts", ours)(make_optimizer(), **kwargs)

    message = assert_same_error(make, error)
    assert argument is None or argument in message
    with pytest.raises(TypeError, match="Optimizer"):
        CosineAnnealingWarmRestarts(object(), T_0=3)


def test_sgdr_get_lr_called_directly_warns_like_torch():
    for ours in (False, True):
        sched = scheduler_class("CosineAnnealingWarmRestarts", ours)(make_optimizer(), T_0=3)
        with pytest.warns(UserWarning, match="get_last_lr"):
            sched.get_lr()


def test_sgdr_passes_the_checker():
    settings = [{"T_0": 10}, {"T_0": 4, "T_mult": 2, "eta_min": 0.001}, {"T_0": 1}]
    report = check_scheduler(
        CosineAnnealingWarmRestarts, "CosineAnnealingWarmRestarts", kwargs=settings
    )
    report.assert_ok()
    assert len(report.cases) == 3


# --- the pure SGDR functions -----------------------------------------------------------


@pytest.mark.parametrize(("T_0", "T_mult"), [(1, 1), (7, 1), (1, 2), (3, 2), (2, 3), (1, 3)])
def test_sgdr_cycle_is_the_counters_of_step(T_0, T_mult):
    opt = make_optimizer("plain")
    sched = CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=0.002)
    disagree = set()
    for t in range(1, 400):
        sched.step()
        T_cur, T_i = sgdr_cycle(t, T_0, T_mult)
        if (T_cur, T_i) != (sched.T_cur, sched.T_i):
            disagree.add(t)
            continue
        assert lrs_of(opt) == [sgdr_lr(t, lr, 0.002, T_0, T_mult) for lr in LRS]
    # only a restart whose log rounds down (see sgdr_cycle), at the end of the cycle before
    assert disagree == ({121 * T_0} if T_mult == 3 else set())  # 243 = 3⁵, log₃ 243 < 5


def test_sgdr_schedule_is_its_closed_form():
    schedule = sgdr(T_0=5, T_mult=2, eta_min_ratio=0.1)
    for t in [*range(60), 2.5, 17.75]:
        assert schedule(t) == sgdr_lr(t, 1.0, 0.1, 5, 2)
    assert [schedule(t) for t in (0, 5, 15, 35)] == [1.0] * 4  # the restarts
    assert schedule(4.999999) == pytest.approx(0.1)  # the bottom, just before a restart
    assert schedule(10) == pytest.approx(0.1 + 0.9 * 0.5)  # halfway through a 10-step cycle
    assert pickle.loads(pickle.dumps(schedule))(7) == schedule(7)
    with pytest.raises(ValueError, match="T_0"):
        sgdr(0)
    with pytest.raises(ValueError, match="T_mult"):
        sgdr(3, T_mult=0.5)
    with pytest.raises(ValueError, match="epoch"):
        sgdr_cycle(-1, 3)


def test_sgdr_schedule_in_lambda_lr_matches_the_scheduler():
    opt = make_optimizer("plain", lrs=(0.1,))
    from_schedule, _ = trace(opt, tl.LambdaLR(opt, sgdr(6, 2, eta_min_ratio=0.05)))
    opt = make_optimizer("plain", lrs=(0.1,))
    from_class, _ = trace(opt, CosineAnnealingWarmRestarts(opt, 6, 2, eta_min=0.005))
    expected = [lrs[0] for lrs, _ in from_class]
    assert [lrs[0] for lrs, _ in from_schedule] == pytest.approx(expected, rel=1e-12)


# --- OneCycleLR -----------------------------------------------------------------------

ONE_CYCLE_CONFIGS = [
    {"max_lr": 1.0, "total_steps": 70},
    {"max_lr": 0.5, "epochs": 7, "steps_per_epoch": 11},
    {"max_lr": [1.0, 0.2], "total_steps": 80, "pct_start": 0.25, "anneal_strategy": "linear"},
    {"max_lr": 0.8, "total_steps": 71, "three_phase": True},
    {"max_lr": 0.8, "total_steps": 64, "three_phase": True, "anneal_strategy": "linear",
     "div_factor": 10.0, "final_div_factor": 100.0},
    {"max_lr": [0.5, 0.05], "total_steps": 66, "base_momentum": [0.8, 0.85],
     "max_momentum": [0.9, 0.99]},
    {"max_lr": 0.3, "total_steps": 70, "cycle_momentum": False},
    {"max_lr": 0.3, "total_steps": 70, "pct_start": 0.0},  # no warm-up
    {"max_lr": 0.3, "total_steps": 70, "pct_start": 0.0, "three_phase": True},
    {"max_lr": 0.3, "total_steps": 70, "pct_start": 0.01},  # the rise ends before step 0
    {"max_lr": 0.3, "total_steps": 61, "pct_start": 0.55, "three_phase": True},
    {"max_lr": 0.3, "total_steps": 60, "pct_start": 0.7, "three_phase": True},  # overlapping
    {"max_lr": 2, "total_steps": 63, "div_factor": 4, "final_div_factor": 3},  # ints
]  # fmt: skip


def total_steps(kwargs):
    return kwargs.get("total_steps") or kwargs["epochs"] * kwargs["steps_per_epoch"]


@pytest.mark.parametrize(("impl", "kind"), OPTIMIZERS)
@pytest.mark.parametrize("kwargs", ONE_CYCLE_CONFIGS)
def test_one_cycle_same_as_torch(kwargs, impl, kind):
    (opt_t, sch_t), (opt_o, sch_o) = both("OneCycleLR", kind, impl, **kwargs)
    assert isinstance(sch_o, tl.LRScheduler)
    assert not isinstance(sch_o, tl.OneCycleLR)  # re-implemented
    n = total_steps(kwargs)  # every step of the cycle, the extra step T included
    ours = trace(opt_o, sch_o, n=n)
    assert same(ours, trace(opt_t, sch_t, n=n))
    assert sch_o.state_dict() == sch_t.state_dict()
    flat = kwargs.get("three_phase") and kwargs.get("pct_start") == 0.0  # in phase 3 at once
    if kwargs.get("cycle_momentum", True) and not flat:
        assert len({tuple(m) for _, m in ours[0]}) > n // 2  # the momenta do move
    for opt, sched in ((opt_t, sch_t), (opt_o, sch_o)):
        opt.step()
        with pytest.raises(ValueError, match=f"Tried to step {n + 1} times"):
            sched.step()


def test_one_cycle_overwrites_lr_and_switches_momentum_on_like_torch():
    (opt_t, sch_t), (opt_o, sch_o) = both("OneCycleLR", "sgd0", max_lr=0.5, total_steps=70)
    assert momenta(opt_o) == [0.95, 0.95]  # SGD(momentum=0) gets momentum
    assert lrs_of(opt_o) == lrs_of(opt_t)
    assert lrs_of(opt_o) == pytest.approx([0.02, 0.02], rel=1e-15)  # max_lr / div_factor
    assert [g["initial_lr"] for g in opt_o.param_groups] == [0.5 / 25] * 2  # overwritten
    assert same(trace(opt_o, sch_o), trace(opt_t, sch_t))


def test_one_cycle_without_momentum_cycling():
    for kind in ("sgd", "plain"):
        (opt_t, sch_t), (opt_o, sch_o) = both(
            "OneCycleLR", kind, max_lr=0.5, total_steps=70, cycle_momentum=False
        )
        ours = trace(opt_o, sch_o)
        assert same(ours, trace(opt_t, sch_t))
        assert {tuple(m) for _, m in ours[0]} == {(0.9, 0.9) if kind == "sgd" else (None, None)}
    message = assert_same_error(
        lambda ours: scheduler_class("OneCycleLR", ours)(
            make_optimizer("plain"), max_lr=0.5, total_steps=70
        ),
        ValueError,
    )
    assert "cycle_momentum" in message


def test_one_cycle_value_at_the_extra_step_like_torch():
    # steps 0..T are allowed; the last phase ends at T - 1 and the cosine turns back up at T
    (opt_t, sch_t), (opt_o, sch_o) = both("OneCycleLR", "sgd", max_lr=1.0, total_steps=70)
    ours = trace(opt_o, sch_o)
    assert same(ours, trace(opt_t, sch_t))
    rows = ours[0]
    min_lr = 1.0 / 25 / 1e4
    assert rows[69][0][0] == pytest.approx(min_lr, rel=1e-12)
    assert rows[70][0][0] > rows[69][0][0]


def test_one_cycle_pct_start_one_divides_by_zero_at_the_extra_step_like_torch():
    kwargs = {"max_lr": 1.0, "total_steps": 70, "pct_start": 1.0}
    (opt_t, sch_t), (opt_o, sch_o) = both("OneCycleLR", "adam", **kwargs)
    assert same(trace(opt_o, sch_o, n=69), trace(opt_t, sch_t, n=69))
    assert lrs_of(opt_o) == [1.0, 1.0]  # the peak at the last step, T - 1
    for sched in (sch_t, sch_o):
        with pytest.raises(ZeroDivisionError):
            sched.step()  # step T, in an empty last phase


@pytest.mark.parametrize(
    ("pct_start", "total_steps_", "three_phase"),
    [(0.1, 10, False), (0.1, 10, True), (1 / 3, 3, False), (0.02, 50, False)],
)
def test_one_cycle_refuses_a_rise_of_no_step(pct_start, total_steps_, three_phase):
    kwargs = {"total_steps": total_steps_, "pct_start": pct_start, "three_phase": three_phase}
    with pytest.raises(ZeroDivisionError):
        tl.OneCycleLR(make_optimizer(), 1.0, **kwargs)  # torch: at its first step, 0 / 0
    with pytest.raises(ValueError, match="pct_start"):
        OneCycleLR(make_optimizer(), 1.0, **kwargs)
    with pytest.raises(ValueError, match="pct_start"):
        one_cycle(**kwargs)


def test_one_cycle_manual_change_is_overwritten_like_torch():
    (opt_t, sch_t), (opt_o, sch_o) = both("OneCycleLR", "sgd", max_lr=0.5, total_steps=70)
    assert same(trace(opt_o, sch_o, manual=20), trace(opt_t, sch_t, manual=20))


@pytest.mark.parametrize(("lib_from", "lib_to"), RESUME_LIBS)
@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("kwargs", [ONE_CYCLE_CONFIGS[2], ONE_CYCLE_CONFIGS[4],
                                    ONE_CYCLE_CONFIGS[5]])  # fmt: skip
def test_one_cycle_resume_from_state_dict(kwargs, kind, lib_from, lib_to):
    n = total_steps(kwargs)
    opt = make_optimizer(kind)
    uninterrupted, _ = trace(opt, tl.OneCycleLR(opt, **kwargs), n=n)
    assert resume("OneCycleLR", kwargs, lib_from, lib_to, 23, kind, n=n) == uninterrupted[23:]


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_one_cycle_resume_with_last_epoch_like_torch(kind):
    kwargs = {"max_lr": [0.5, 0.1], "total_steps": 70, "three_phase": True}

    def build(ours):
        opt = make_optimizer(kind)
        sched = scheduler_class("OneCycleLR", ours)(opt, **kwargs)
        trace(opt, sched, n=30)
        opt2 = make_optimizer(kind)
        opt2.load_state_dict(opt.state_dict())  # initial_lr, max_lr, ... come with the groups
        return opt2, scheduler_class("OneCycleLR", ours)(opt2, **kwargs, last_epoch=30)

    assert same(trace(*build(True), n=39), trace(*build(False), n=39))


def test_one_cycle_tensor_learning_rates():
    def build(ours):
        torch.manual_seed(0)
        params = [torch.nn.Parameter(torch.randn(2))]
        opt = torch.optim.SGD(params, lr=torch.tensor(0.1), momentum=0.9)
        return opt, scheduler_class("OneCycleLR", ours)(opt, max_lr=0.4, total_steps=40)

    (opt_t, sch_t), (opt_o, sch_o) = build(False), build(True)
    for _ in range(40):
        for opt, sched in ((opt_t, sch_t), (opt_o, sch_o)):
            opt.step()
            sched.step()
        assert isinstance(opt_o.param_groups[0]["lr"], torch.Tensor)
        assert torch.equal(opt_o.param_groups[0]["lr"], opt_t.param_groups[0]["lr"])
        assert momenta(opt_o) == momenta(opt_t)


@pytest.mark.parametrize(
    ("kwargs", "error", "argument"),
    [
        ({"max_lr": 1.0}, ValueError, "total_steps"),
        ({"max_lr": 1.0, "epochs": 5}, ValueError, "total_steps"),
        ({"max_lr": 1.0, "total_steps": 0}, ValueError, "total_steps"),
        ({"max_lr": 1.0, "total_steps": -4}, ValueError, "total_steps"),
        ({"max_lr": 1.0, "total_steps": 10.0}, ValueError, "total_steps"),
        ({"max_lr": 1.0, "total_steps": "10"}, TypeError, None),
        ({"max_lr": 1.0, "epochs": 0, "steps_per_epoch": 5}, ValueError, "epochs"),
        ({"max_lr": 1.0, "epochs": 2.0, "steps_per_epoch": 5}, ValueError, "epochs"),
        ({"max_lr": 1.0, "epochs": 3, "steps_per_epoch": -1}, ValueError, "steps_per_epoch"),
        ({"max_lr": 1.0, "epochs": 3, "steps_per_epoch": 5.0}, ValueError, "steps_per_epoch"),
        ({"max_lr": 1.0, "total_steps": 10, "pct_start": 1.5}, ValueError, "pct_start"),
        ({"max_lr": 1.0, "total_steps": 10, "pct_start": -0.1}, ValueError, "pct_start"),
        ({"max_lr": 1.0, "total_steps": 10, "pct_start": 1}, ValueError, "pct_start"),  # an int
        ({"max_lr": 1.0, "total_steps": 10, "anneal_strategy": "cosine"}, ValueError,
         "anneal_strategy"),
        ({"max_lr": [1.0], "total_steps": 10}, ValueError, "max_lr"),
        ({"max_lr": [1.0, 2.0, 3.0], "total_steps": 10}, ValueError, "max_lr"),
        ({"max_lr": 1.0, "total_steps": 10, "base_momentum": [0.8]}, ValueError,
         "base_momentum"),
        ({"max_lr": 1.0, "total_steps": 10, "max_momentum": (0.9, 0.9, 0.9)}, ValueError,
         "max_momentum"),
        ({"max_lr": 1.0, "total_steps": 10, "last_epoch": 4}, KeyError, "initial_lr"),
    ],
)  # fmt: skip
def test_one_cycle_bad_arguments_like_torch(kwargs, error, argument):
    def make(ours):
        scheduler_class("OneCycleLR", ours)(make_optimizer("adam"), **kwargs)

    message = assert_same_error(make, error)
    assert argument is None or argument in message
    with pytest.raises(TypeError, match="Optimizer"):
        OneCycleLR(object(), max_lr=1.0, total_steps=10)


def test_one_cycle_loads_a_legacy_state_dict_like_torch():
    # before torch 2.2 the state held the annealing function itself, ``anneal_func``
    runs = []
    for ours in (False, True):
        cls = scheduler_class("OneCycleLR", ours)
        opt = make_optimizer("sgd")
        sched = cls(opt, max_lr=1.0, total_steps=70, anneal_strategy="linear")
        del sched._anneal_func_type
        state = sched.state_dict()
        state["anneal_func"] = cls._annealing_cos
        sched.load_state_dict(state)
        runs.append(trace(opt, sched))
    assert same(runs[1], runs[0])
    assert runs[1][0][5][0] == [one_cycle_lr(5, 1.0, 70)] * 2  # cos, not linear


def test_one_cycle_tensor_arguments_are_copied_like_torch():
    groups = []
    for ours in (False, True):
        lr, base_m, max_m = torch.tensor(0.1), torch.tensor(0.85), torch.tensor(0.95)
        opt = torch.optim.SGD([torch.nn.Parameter(torch.randn(1))], lr=lr, momentum=0.9)
        sched = scheduler_class("OneCycleLR", ours)(
            opt, max_lr=lr, total_steps=10, base_momentum=base_m, max_momentum=max_m
        )
        for tensor in (lr, base_m, max_m):
            tensor.mul_(0.5)  # the caller's tensors change; the schedule must not
        opt.step()
        sched.step()
        groups.append({k: v for k, v in opt.param_groups[0].items() if k != "params"})
    assert groups[1] == groups[0]
    assert (groups[1]["max_lr"], groups[1]["max_momentum"]) == (0.1, 0.95)


def test_one_cycle_get_lr_called_directly_warns_like_torch():
    for ours in (False, True):
        sched = scheduler_class("OneCycleLR", ours)(make_optimizer(), max_lr=1.0, total_steps=9)
        with pytest.warns(UserWarning, match="get_last_lr"):
            sched.get_lr()


def test_one_cycle_passes_the_checker():
    settings = [{"max_lr": 0.5, "total_steps": 60},
                {"max_lr": [0.5, 0.05], "total_steps": 75, "three_phase": True,
                 "anneal_strategy": "linear"}]  # fmt: skip
    report = check_scheduler(OneCycleLR, "OneCycleLR", kwargs=settings)
    report.assert_ok()
    assert len(report.cases) == 2


# --- the pure 1cycle functions ----------------------------------------------------------


def test_annealing_functions_are_torchs_bit_for_bit():
    rng = random.Random(0)
    for _ in range(20000):
        start, end = rng.uniform(0, 2), rng.choice([0.0, rng.uniform(0, 2), rng.uniform(0, 1e-4)])
        pct = rng.choice([rng.uniform(0, 1), rng.uniform(0, 1.5), rng.randint(0, 70) / 69])
        assert annealing_cos(start, end, pct) == tl.OneCycleLR._annealing_cos(start, end, pct)
        assert annealing_linear(start, end, pct) == tl.OneCycleLR._annealing_linear(start, end, pct)
    assert annealing_cos(0.3, 0.1, 0.0) == 0.1 + (0.3 - 0.1)  # not 0.3 exactly
    assert annealing_cos(0.3, 0.1, 1.0) == 0.1  # cos π = -1: exact at the end


@pytest.mark.parametrize("three_phase", [False, True])
def test_phases_are_torchs(three_phase):
    for T, pct in itertools.product([1, 2, 7, 10, 60, 99, 1000], [0.0, 0.05, 0.3, 0.45, 0.7, 1.0]):
        if float(pct * T) == 1:
            continue
        sched = tl.OneCycleLR(make_optimizer(), 1.0, T, pct_start=pct, three_phase=three_phase)
        ends = [phase["end_step"] for phase in sched._schedule_phases]
        pure = list(one_cycle_phases(T, pct, three_phase))
        assert pure == ends
        assert [type(e) for e in pure] == [type(e) for e in ends]
        ours = OneCycleLR(make_optimizer(), 1.0, T, pct_start=pct, three_phase=three_phase)
        assert ours._schedule_phases == sched._schedule_phases


@pytest.mark.parametrize("kwargs", [*ONE_CYCLE_CONFIGS[:6], ONE_CYCLE_CONFIGS[7]])
def test_one_cycle_class_is_its_pure_functions_exactly(kwargs):
    kwargs = dict(kwargs)
    T = total_steps(kwargs)
    kwargs.pop("epochs", None)
    kwargs.pop("steps_per_epoch", None)
    kwargs["total_steps"] = T
    opt = make_optimizer("adam")
    rows, _ = trace(opt, OneCycleLR(opt, **kwargs), n=T)
    max_lrs = kwargs.pop("max_lr")
    max_lrs = max_lrs if isinstance(max_lrs, list) else [max_lrs] * 2
    base_ms = kwargs.pop("base_momentum", 0.85)
    max_ms = kwargs.pop("max_momentum", 0.95)
    base_ms = base_ms if isinstance(base_ms, list) else [base_ms] * 2
    max_ms = max_ms if isinstance(max_ms, list) else [max_ms] * 2
    shape = {
        k: v for k, v in kwargs.items() if k in ("pct_start", "anneal_strategy", "three_phase")
    }
    schedules = [one_cycle(max_lr=m, **kwargs) for m in max_lrs]
    for t, (lrs, betas1) in enumerate(rows):
        assert lrs == [one_cycle_lr(t, m, **kwargs) for m in max_lrs]
        assert lrs == [schedule(t) for schedule in schedules]
        assert betas1 == [one_cycle_momentum(t, T, b, m, **shape)
                          for b, m in zip(base_ms, max_ms, strict=True)]  # fmt: skip


def test_one_cycle_schedule_values():
    schedule = one_cycle(total_steps=100, pct_start=0.25)  # a factor of max_lr
    assert schedule(0) == pytest.approx(1 / 25, rel=1e-15)
    assert schedule(24) == 1.0  # the peak at pct_start·T − 1
    assert schedule(99) == pytest.approx(1 / 25 / 1e4, rel=1e-12)
    three = one_cycle(total_steps=100, pct_start=0.25, three_phase=True, anneal_strategy="linear")
    assert three(24) == 1.0
    assert three(48) == pytest.approx(1 / 25, rel=1e-12)  # back at the start at 2·pct·T − 2
    assert three(36) == pytest.approx((1 + 1 / 25) / 2, rel=1e-12)  # a straight line
    assert one_cycle_momentum(24, 100, pct_start=0.25) == 0.85  # lowest at the peak
    assert one_cycle_momentum(99, 100, pct_start=0.25) == pytest.approx(0.95, rel=1e-15)
    assert one_cycle_momentum(80, 100, pct_start=0.25, three_phase=True) == 0.95  # flat
    with pytest.raises(ValueError, match="Tried to step 101 times"):
        schedule(101)
    with pytest.raises(ValueError, match="anneal_strategy"):
        one_cycle(100, anneal_strategy="cosine")
    with pytest.raises(ValueError, match="total_steps"):
        one_cycle(0)
    assert pickle.loads(pickle.dumps(schedule))(30) == schedule(30)


def test_one_cycle_value_through_any_knots():
    assert one_cycle_knots("a", "b", "c") == ("a", "b", "c")
    assert one_cycle_knots("a", "b", "c", three_phase=True) == ("a", "b", "a", "c")
    values = [one_cycle_value(t, (0.0, 2.0, 1.0), (2, 6), "linear") for t in range(8)]
    assert values == [0.0, 1.0, 2.0, 1.75, 1.5, 1.25, 1.0, 0.75]  # the last phase goes on
    assert one_cycle_value(4, (0.0, 2.0, 1.0), (2, 6), "cos") == pytest.approx(1.5)


def test_one_cycle_schedule_joins_other_schedules():
    tail = join([one_cycle(50, max_lr=1.0), constant(0.0)], [50])  # hold at 0 after the cycle
    assert [tail(t) for t in (0, 49, 50, 500)] == [one_cycle(50)(0), one_cycle(50)(49), 0.0, 0.0]


# --- SequentialLR and ChainedScheduler ---------------------------------------------------


def build(spec, optimizer, mix, counter):
    """Build a (nested) scheduler from ``spec``, picking torch's or our class by ``mix``.

    ``mix``: 'torch' or 'ours' for every class; 'alternate' switches at every class built;
    'ours-containers' / 'ours-leaves' take ours for the containers / for the others only.
    """
    name, *args = spec
    container = name in ("SequentialLR", "ChainedScheduler")
    if mix == "alternate":
        ours = next(counter) % 2 == 1
    else:
        ours = mix == "ours" or mix == f"ours-{'containers' if container else 'leaves'}"
    cls = scheduler_class(name, ours)
    if name == "SequentialLR":
        children, milestones = args
        return cls(optimizer, [build(c, optimizer, mix, counter) for c in children], milestones)
    if name == "ChainedScheduler":
        children, pass_optimizer = args
        kids = [build(c, optimizer, mix, counter) for c in children]
        return cls(kids, optimizer=optimizer) if pass_optimizer else cls(kids)
    (kwargs,) = args
    return cls(optimizer, **kwargs)


def built(spec, mix, kind="sgd", impl="torch"):
    opt = make_optimizer(kind, impl)
    return opt, build(spec, opt, mix, itertools.count())


WARM = ("LinearLR", {"start_factor": 0.1, "total_iters": 5})
SEQUENTIAL_SPECS = [
    ("SequentialLR", [WARM, ("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2,
                                                             "eta_min": 0.001})], [5]),
    ("SequentialLR", [("StepLR", {"step_size": 3, "gamma": 0.5}),
                      ("ExponentialLR", {"gamma": 0.9}),
                      ("CosineAnnealingLR", {"T_max": 15, "eta_min": 0.001})], [10, 25]),
    ("SequentialLR", [("ConstantLR", {"factor": 0.5, "total_iters": 4}),
                      ("OneCycleLR", {"max_lr": 0.5, "total_steps": 70})], [8]),
    ("SequentialLR", [("OneCycleLR", {"max_lr": 0.5, "total_steps": 30, "three_phase": True}),
                      ("CosineAnnealingWarmRestarts", {"T_0": 6}),
                      ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4})],
     [31, 50]),
    ("SequentialLR", [("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5}),
                      ("CosineAnnealingLR", {"T_max": 20})], [20]),
    ("SequentialLR", [("ExponentialLR", {"gamma": 0.95})], []),
    ("SequentialLR", [("StepLR", {"step_size": 2}), ("ExponentialLR", {"gamma": 0.9})], [0]),
    ("SequentialLR", [("ChainedScheduler", [("ExponentialLR", {"gamma": 0.95}),
                                            ("StepLR", {"step_size": 4, "gamma": 0.7})], True),
                      ("CosineAnnealingWarmRestarts", {"T_0": 9})], [12]),
    ("SequentialLR", [("SequentialLR", [WARM, ("ExponentialLR", {"gamma": 0.9})], [5]),
                      ("CosineAnnealingLR", {"T_max": 25, "eta_min": 0.002})], [15]),
]  # fmt: skip
CHAINED_SPECS = [
    ("ChainedScheduler", [("ExponentialLR", {"gamma": 0.95}),
                          ("StepLR", {"step_size": 4, "gamma": 0.7})], False),
    ("ChainedScheduler", [WARM, ("CosineAnnealingLR", {"T_max": 20, "eta_min": 0.001})], True),
    ("ChainedScheduler", [("CosineAnnealingWarmRestarts", {"T_0": 8, "T_mult": 2}),
                          ("ExponentialLR", {"gamma": 0.98})], True),
    ("ChainedScheduler", [("ExponentialLR", {"gamma": 0.98}),
                          ("OneCycleLR", {"max_lr": 0.4, "total_steps": 70})], False),
    ("ChainedScheduler", [("OneCycleLR", {"max_lr": 0.4, "total_steps": 70}),
                          ("StepLR", {"step_size": 10, "gamma": 0.5}),
                          ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5,
                                        "cycle_momentum": False})], True),
    ("ChainedScheduler", [("SequentialLR", [WARM, ("CosineAnnealingWarmRestarts",
                                                   {"T_0": 10})], [5]),
                          ("ExponentialLR", {"gamma": 0.99})], True),
]  # fmt: skip
MIXES = ["ours", "alternate", "ours-containers", "ours-leaves"]


def traced_with_warnings(spec, mix, kind, impl):
    """The trace of a (nested) scheduler, and the warnings its building and stepping gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt, sched = built(spec, mix, kind, impl)
        rows = trace(opt, sched)
    return sched, rows, [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize(("impl", "kind"), [("torch", "sgd"), ("ours", "adam")])
@pytest.mark.parametrize("mix", MIXES)
@pytest.mark.parametrize("spec", SEQUENTIAL_SPECS + CHAINED_SPECS)
def test_composite_same_as_torch(spec, mix, impl, kind):
    sch_t, rows_t, warned_t = traced_with_warnings(spec, "torch", kind, impl)
    sch_o, rows_o, warned_o = traced_with_warnings(spec, mix, kind, impl)
    assert same(rows_o, rows_t)
    # the same warnings: none at a milestone (no step(0) deprecation), but torch's
    # "lr_scheduler.step() before optimizer.step()" when a container comes first in a
    # SequentialLR: its construction steps the container, which steps its children
    assert warned_o == warned_t
    first = spec[1][0][0]
    container_first = spec[0] == "SequentialLR" and first in ("SequentialLR", "ChainedScheduler")
    assert bool(warned_t) == container_first
    assert sch_o.state_dict() == sch_t.state_dict()  # the children's states included
    assert len(sch_o.state_dict()["_schedulers"]) == len(spec[1])


def test_composites_are_ours():
    for name in ("SequentialLR", "ChainedScheduler"):
        assert issubclass(OURS[name], tl.LRScheduler)
        assert not issubclass(OURS[name], getattr(tl, name))  # re-implemented
    _, sched = built(SEQUENTIAL_SPECS[1], "ours")
    assert type(sched) is SequentialLR
    assert {type(s) for s in sched._schedulers} == {StepLR, ExponentialLR, CosineAnnealingLR}


def test_sequential_restarts_the_next_scheduler_at_its_milestone():
    halving, decay = ("ExponentialLR", {"gamma": 0.5}), ("ExponentialLR", {"gamma": 0.9})
    opt, sched = built(("SequentialLR", [halving, decay], [4]), "ours")
    rows, _ = trace(opt, sched, n=6)
    assert [r[0][0] for r in rows] == pytest.approx([0.1, 0.05, 0.025, 0.0125, 0.1, 0.09, 0.081])


def test_chained_multiplies_the_factors():
    opt, sched = built(CHAINED_SPECS[0], "alternate")
    rows, _ = trace(opt, sched, n=12)
    for t, (lrs, _) in enumerate(rows):
        assert lrs == pytest.approx([lr * 0.95**t * 0.7 ** (t // 4) for lr in LRS], rel=1e-12)


@pytest.mark.filterwarnings("ignore:Detected call of")  # a ChainedScheduler first, see above
@pytest.mark.parametrize(("lib_from", "lib_to"), [*RESUME_LIBS, ("alternate", "ours-leaves")])
@pytest.mark.parametrize(
    "spec",
    [SEQUENTIAL_SPECS[0], SEQUENTIAL_SPECS[3], SEQUENTIAL_SPECS[7], CHAINED_SPECS[2],
     CHAINED_SPECS[4]],
)  # fmt: skip
@pytest.mark.parametrize("k", [3, 23, 40])
def test_composite_resume_from_state_dict(spec, lib_from, lib_to, k):
    opt, sched = built(spec, "torch", "adam")
    uninterrupted, _ = trace(opt, sched)
    opt, sched = built(spec, lib_from, "adam")
    trace(opt, sched, n=k)
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    given = pickle.loads(pickle.dumps(saved[1]))
    opt2, sched2 = built(spec, lib_to, "adam")
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(given)
    assert given.keys() == saved[1].keys()  # the caller's dict is given back whole
    rows, _ = trace(opt2, sched2, n=N_STEPS - k)
    assert rows == uninterrupted[k:]


def test_sequential_with_last_epoch_like_torch():
    spec = SEQUENTIAL_SPECS[1]

    def make(ours):
        opt = make_optimizer()
        children = [build(c, opt, "ours" if ours else "torch", itertools.count()) for c in spec[1]]
        return opt, scheduler_class("SequentialLR", ours)(opt, children, spec[2], last_epoch=6)

    assert same(trace(*make(True)), trace(*make(False)))


@pytest.mark.parametrize("container", ["SequentialLR", "ChainedScheduler"])
def test_composite_refuses_reduce_on_plateau_like_torch(container):
    for plateau_ours in (False, True):

        def make(ours, plateau_ours=plateau_ours):
            opt = make_optimizer()
            children = [
                scheduler_class("ExponentialLR", ours)(opt, gamma=0.9),
                scheduler_class("ReduceLROnPlateau", plateau_ours)(opt),
            ]
            if container == "SequentialLR":
                return (
                    SequentialLR(opt, children, [5])
                    if ours
                    else tl.SequentialLR(opt, children, [5])
                )
            return ChainedScheduler(children) if ours else tl.ChainedScheduler(children)

        message = assert_same_error(make, ValueError)
        assert "ReduceLROnPlateau" in message
        assert "index 1" in message


def other_optimizer_scheduler(opt, ours):
    return scheduler_class("StepLR", ours)(make_optimizer(), step_size=3)


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda cls, opt, ours: cls(opt, [], []), ValueError, "at least one scheduler"),
        (lambda cls, opt, ours: cls(opt, [object()], []), TypeError, "`optimizer`"),
        (lambda cls, opt, ours: cls(opt, [other_optimizer_scheduler(opt, ours)], []), ValueError,
         "same optimizer"),
        (lambda cls, opt, ours: cls(opt, [scheduler_class("StepLR", ours)(opt, step_size=3)],
                                    [4]), ValueError, "milestone"),
        (lambda cls, opt, ours: cls(opt, [scheduler_class("StepLR", ours)(opt, step_size=3)] * 3,
                                    [4]), ValueError, "milestone"),
    ],
)  # fmt: skip
def test_sequential_bad_arguments_like_torch(make, error, words):
    message = assert_same_error(
        lambda ours: make(scheduler_class("SequentialLR", ours), make_optimizer(), ours), error
    )
    assert words in message


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda cls, opt, ours: cls([]), ValueError, "at least one scheduler"),
        (lambda cls, opt, ours: cls([object()], optimizer=opt), TypeError, "`optimizer`"),
        (lambda cls, opt, ours: cls([object()]), AttributeError, "optimizer"),
        (lambda cls, opt, ours: cls([scheduler_class("StepLR", ours)(opt, step_size=3),
                                     other_optimizer_scheduler(opt, ours)]), ValueError,
         "same optimizer"),
        (lambda cls, opt, ours: cls([scheduler_class("StepLR", ours)(opt, step_size=3)],
                                    optimizer=make_optimizer()), ValueError, "same optimizer"),
    ],
)  # fmt: skip
def test_chained_bad_arguments_like_torch(make, error, words):
    message = assert_same_error(
        lambda ours: make(scheduler_class("ChainedScheduler", ours), make_optimizer(), ours), error
    )
    assert words in message


@pytest.mark.parametrize("mix", ["torch", "ours", "alternate"])
def test_a_container_after_a_milestone_fails_like_torch(mix):
    # at a milestone SequentialLR needs the closed form of the next scheduler; a container
    # has none
    chain = ("ChainedScheduler", [("StepLR", {"step_size": 2})], True)
    spec = ("SequentialLR", [("ExponentialLR", {"gamma": 0.9}), chain], [3])
    opt, sched = built(spec, mix)
    trace(opt, sched, n=2)
    with pytest.raises(NotImplementedError):
        sched.step()


def test_composite_get_lr_is_not_implemented_like_torch():
    for mix in ("torch", "ours"):
        for spec in (SEQUENTIAL_SPECS[1], CHAINED_SPECS[0]):
            _, sched = built(spec, mix)
            with pytest.raises(NotImplementedError):
                sched.get_lr()


@pytest.mark.filterwarnings("ignore:Detected call of")  # a container first, see above
@pytest.mark.parametrize(
    "spec",
    [("CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 2}),
     ("OneCycleLR", {"max_lr": [0.5, 0.1], "total_steps": 70, "three_phase": True}),
     SEQUENTIAL_SPECS[3], SEQUENTIAL_SPECS[7], CHAINED_SPECS[4], CHAINED_SPECS[5]],
)  # fmt: skip
def test_state_dict_loads_with_weights_only_like_torch(spec):
    for mix in ("torch", "ours", "alternate"):
        opt, sched = built(spec, mix, "adam")
        trace(opt, sched, n=17)
        state = sched.state_dict()
        buffer = io.BytesIO()
        torch.save(state, buffer)
        buffer.seek(0)
        loaded = torch.load(buffer, weights_only=True)  # plain data only, as torch's
        assert loaded == state
        _, fresh = built(spec, mix, "adam")
        fresh.load_state_dict(loaded)
        assert fresh.state_dict() == state


class OursWarmRestarts(SequentialLR):
    """A warm-up then warm restarts, from our classes (for the checker)."""

    def __init__(self, optimizer, warmup, T_0):
        children = [tl.LinearLR(optimizer, 0.1, total_iters=warmup),
                    CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=2)]  # fmt: skip
        super().__init__(optimizer, children, [warmup])


class TorchWarmRestarts(tl.SequentialLR):
    def __init__(self, optimizer, warmup, T_0):
        children = [tl.LinearLR(optimizer, 0.1, total_iters=warmup),
                    tl.CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=2)]  # fmt: skip
        super().__init__(optimizer, children, [warmup])


class OursChain(ChainedScheduler):
    def __init__(self, optimizer, gamma, step_size):
        super().__init__([ExponentialLR(optimizer, gamma), tl.StepLR(optimizer, step_size)])


class TorchChain(tl.ChainedScheduler):
    def __init__(self, optimizer, gamma, step_size):
        super().__init__([tl.ExponentialLR(optimizer, gamma), tl.StepLR(optimizer, step_size)])


def test_composites_pass_the_checker():
    settings = [{"warmup": 5, "T_0": 7}, {"warmup": 1, "T_0": 3}]
    check_scheduler(OursWarmRestarts, TorchWarmRestarts, kwargs=settings).assert_ok()
    check_scheduler(OursChain, TorchChain, kwargs={"gamma": 0.97, "step_size": 6}).assert_ok()
