"""LinearWarmup against torch's SequentialLR([LinearLR, after]) construction."""

import inspect
import pickle

import pytest
import torch
from torch.optim import lr_scheduler as tl

from optnotes import lr_scheduler as ol
from optnotes.lr_scheduler import linear_warmup_factor

N_STEPS = 60
LRS = (0.1, 0.03)  # two param groups with different learning rates


def make_optimizer(kind: str) -> torch.optim.Optimizer:
    torch.manual_seed(0)
    groups = [{"params": [torch.nn.Parameter(torch.randn(3))], "lr": lr} for lr in LRS]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=LRS[0], momentum=0.9)
    return torch.optim.Adam(groups, lr=LRS[0])


def momenta(optimizer):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


def trace(optimizer, scheduler, n=N_STEPS, metrics=None):
    """Learning rates and momenta after construction and after each of ``n`` steps."""
    rows = [[g["lr"] for g in optimizer.param_groups] + momenta(optimizer)]
    for i in range(n):
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[i])
        rows.append([g["lr"] for g in optimizer.param_groups] + momenta(optimizer))
    return rows


AFTERS = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("CosineAnnealingLR", {"T_max": 20, "eta_min": 0.001}),
    ("ExponentialLR", {"gamma": 0.95}),
    ("CyclicLR", {"base_lr": [0.01, 0.004], "max_lr": 0.1, "step_size_up": 6,
                  "mode": "triangular2"}),
]  # fmt: skip


def sequential_reference(kind, name, kwargs, warmup_steps, start_factor):
    opt = make_optimizer(kind)
    after = getattr(tl, name)(opt, **kwargs)  # built first, as in LinearWarmup(after=...)
    warm = tl.LinearLR(opt, start_factor, 1.0, total_iters=warmup_steps)
    return trace(opt, tl.SequentialLR(opt, [warm, after], milestones=[warmup_steps]))


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize(("warmup_steps", "start_factor"), [(5, 1 / 3), (1, 0.1), (12, 0.05)])
@pytest.mark.parametrize(("name", "kwargs"), AFTERS)
@pytest.mark.parametrize("lib", [ol, tl], ids=["after=ours", "after=torch"])
def test_same_as_sequential_lr(lib, name, kwargs, warmup_steps, start_factor, kind):
    expected = sequential_reference(kind, name, kwargs, warmup_steps, start_factor)
    opt = make_optimizer(kind)
    after = getattr(lib, name)(opt, **kwargs)
    rows = trace(opt, ol.LinearWarmup(opt, warmup_steps, start_factor, after=after))
    for got, want in zip(rows, expected, strict=True):
        assert got == pytest.approx(want, rel=1e-13, abs=1e-18)  # LinearLR is recursive
    if name != "CosineAnnealingLR":
        # from the hand-over on, bit for bit; SequentialLR restarts a cosine from its
        # closed form, eta_min + (base_lr - eta_min), which may be off base_lr by an ulp
        assert rows[warmup_steps:] == expected[warmup_steps:]


def test_warmup_values_are_the_pure_function():
    opt = make_optimizer("sgd")
    rows = trace(opt, ol.LinearWarmup(opt, 8, 0.2), n=20)
    for t, row in enumerate(rows):
        f = linear_warmup_factor(t, 8, 0.2)
        assert row[:2] == [lr * f for lr in LRS]
    assert rows[8][:2] == list(LRS)


def test_without_after_the_lr_is_left_alone_after_warmup():
    opt = make_optimizer("sgd")
    sched = ol.LinearWarmup(opt, 4)
    trace(opt, sched, n=6)
    opt.param_groups[0]["lr"] = 0.5  # e.g. another scheduler or a hand change
    trace(opt, sched, n=3)
    assert sched.get_last_lr() == [0.5, LRS[1]]


def test_default_start_factor_is_linear_lr_default():
    default = inspect.signature(ol.LinearWarmup).parameters["start_factor"].default
    assert default == inspect.signature(tl.LinearLR).parameters["start_factor"].default


def test_is_an_lr_scheduler():
    assert issubclass(ol.LinearWarmup, tl.LRScheduler)


# --- in front of ReduceLROnPlateau -----------------------------------------------------

METRICS = [9.0] * 6 + [3.0, 2.0, 2.0, 2.0, 2.0, 1.5, 1.5, 1.5, 1.5, 1.0] + [1.0] * 24


@pytest.mark.parametrize("lib", [ol, tl], ids=["plateau=ours", "plateau=torch"])
@pytest.mark.parametrize("warmup_steps", [1, 5])
def test_plateau_after_warmup(lib, warmup_steps):
    kwargs = {"patience": 2, "factor": 0.5, "cooldown": 1}
    # reference: LinearLR for the warm-up, then a plateau fed only later metrics
    opt_ref = make_optimizer("sgd")
    plateau_ref = tl.ReduceLROnPlateau(opt_ref, **kwargs)
    linear = tl.LinearLR(opt_ref, 1 / 3, 1.0, total_iters=warmup_steps)
    expected = [[g["lr"] for g in opt_ref.param_groups]]
    for i, m in enumerate(METRICS):
        opt_ref.step()
        if i < warmup_steps:
            linear.step()
        else:
            plateau_ref.step(m)
        expected.append([g["lr"] for g in opt_ref.param_groups])

    opt = make_optimizer("sgd")
    plateau = lib.ReduceLROnPlateau(opt, **kwargs)
    sched = ol.LinearWarmup(opt, warmup_steps, after=plateau)
    rows = trace(opt, sched, n=len(METRICS), metrics=METRICS)
    got = [row[:2] for row in rows]
    for got_lrs, want in zip(got, expected, strict=True):
        assert got_lrs == pytest.approx(want, rel=1e-13)
    assert (plateau.best, plateau.num_bad_epochs, plateau.last_epoch) == (
        plateau_ref.best, plateau_ref.num_bad_epochs, plateau_ref.last_epoch,
    )  # fmt: skip
    assert got[-1] != list(LRS)  # the plateau did cut
    assert sched.get_last_lr() == got[-1]


def test_plateau_metrics_during_warmup_are_ignored():
    opt = make_optimizer("sgd")
    plateau = ol.ReduceLROnPlateau(opt, patience=0)
    sched = ol.LinearWarmup(opt, 3, after=plateau)
    for m in (None, 5.0, float("nan")):
        opt.step()
        sched.step(m)
    assert plateau.last_epoch == 0
    assert plateau.best == float("inf")
    assert sched.get_last_lr() == list(LRS)


def test_missing_metric_after_warmup_is_a_clear_error():
    opt = make_optimizer("sgd")
    sched = ol.LinearWarmup(opt, 2, after=ol.ReduceLROnPlateau(opt))
    assert sched.reads_metrics
    for _ in range(2):  # warm-up steps need no metric
        opt.step()
        sched.step()
    opt.step()
    with pytest.raises(TypeError, match="needs the metric"):
        sched.step()


def test_metrics_refused_when_after_takes_none():
    opt = make_optimizer("sgd")
    sched = ol.LinearWarmup(opt, 3, after=ol.StepLR(opt, step_size=2))
    with pytest.raises(TypeError, match="metrics"):
        sched.step(1.0)


# --- state_dict -----------------------------------------------------------------------


def build(kind, name, kwargs):
    opt = make_optimizer(kind)
    after = None if name is None else getattr(ol, name)(opt, **kwargs)
    return opt, ol.LinearWarmup(opt, 6, 0.25, after=after)


@pytest.mark.parametrize(("name", "kwargs"), [*AFTERS, (None, {})])
@pytest.mark.parametrize("k", [3, 6, 25])
def test_resume_mid_schedule(name, kwargs, k):
    opt, sched = build("adam", name, kwargs)
    uninterrupted = trace(opt, sched)

    opt, sched = build("adam", name, kwargs)
    trace(opt, sched, n=k)
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    opt2, sched2 = build("adam", name, kwargs)
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    assert sched2.state_dict() == sched.state_dict()
    assert trace(opt2, sched2, n=N_STEPS - k) == uninterrupted[k:]


def test_resume_with_plateau():
    def make():
        opt = make_optimizer("sgd")
        return opt, ol.LinearWarmup(opt, 4, after=ol.ReduceLROnPlateau(opt, patience=1))

    opt, sched = make()
    uninterrupted = trace(opt, sched, n=len(METRICS), metrics=METRICS)
    opt, sched = make()
    trace(opt, sched, n=12, metrics=METRICS)
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    opt2, sched2 = make()
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    assert trace(opt2, sched2, n=len(METRICS) - 12, metrics=METRICS[12:]) == uninterrupted[12:]


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((0,), {}, ValueError, "warmup_steps"),
        ((5,), {"start_factor": 0.0}, ValueError, "start_factor"),
        ((5,), {"start_factor": 1.5}, ValueError, "start_factor"),
        ((5,), {"after": "cosine"}, TypeError, "after"),
    ],
)
def test_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        ol.LinearWarmup(make_optimizer("sgd"), *args, **kwargs)


def test_after_must_share_the_optimizer():
    other = ol.StepLR(make_optimizer("sgd"), step_size=3)
    with pytest.raises(ValueError, match="after"):
        ol.LinearWarmup(make_optimizer("sgd"), 5, after=other)


def test_start_factor_errors_like_linear_lr():
    for bad in (0.0, 1.5):
        with pytest.raises(ValueError, match="factor"):
            tl.LinearLR(make_optimizer("sgd"), start_factor=bad)


def test_hand_over_restores_the_lr_after_set_not_a_closed_form():
    def run(warmup):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.026)
        cosine = tl.CosineAnnealingLR(opt, T_max=10, eta_min=0.006)
        if warmup:
            sched = ol.LinearWarmup(opt, 3, after=cosine)
        else:
            warm = tl.LinearLR(opt, 1 / 3, 1.0, total_iters=3)
            sched = tl.SequentialLR(opt, [warm, cosine], milestones=[3])
        return trace(opt, sched, n=3)[3][0]

    assert run(warmup=True) == 0.026
    # SequentialLR restarts the cosine through its closed form at epoch 0,
    # eta_min + (base_lr - eta_min), which for these numbers is not base_lr
    assert run(warmup=False) == 0.006 + (0.026 - 0.006) != 0.026


def test_hand_over_to_the_lrs_after_started_from():
    # LambdaLR's step-0 learning rate is not initial_lr: the warm-up ramps to initial_lr,
    # then `after` starts from its own step-0 value, as in SequentialLR
    def run(warmup):
        opt = make_optimizer("sgd")
        after = tl.LambdaLR(opt, lambda t: 0.5 * 0.9**t)
        if warmup:
            return trace(opt, ol.LinearWarmup(opt, 5, after=after), n=20)
        warm = tl.LinearLR(opt, 1 / 3, 1.0, total_iters=5)
        return trace(opt, tl.SequentialLR(opt, [warm, after], milestones=[5]), n=20)

    rows, expected = run(warmup=True), run(warmup=False)
    assert rows[4][:2] == pytest.approx([lr * (1 / 3 + 2 / 3 * 4 / 5) for lr in LRS])
    assert rows[5][:2] == [lr * 0.5 for lr in LRS]
    assert rows[5:] == expected[5:]
