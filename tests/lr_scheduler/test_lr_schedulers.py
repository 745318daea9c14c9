"""optnotes.lr_scheduler against torch.optim.lr_scheduler, step for step."""

import pickle

import pytest
import torch
from torch.optim import lr_scheduler as tl

from optnotes import lr_scheduler as ol
from optnotes.lr_scheduler import schedules

N_STEPS = 60
LRS = (0.1, 0.03)  # two param groups with different learning rates


class Plain(torch.optim.Optimizer):
    """A minimal third-party optimizer: no momentum, no betas."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        pass


def make_optimizer(kind: str) -> torch.optim.Optimizer:
    torch.manual_seed(0)
    groups = [{"params": [torch.nn.Parameter(torch.randn(3))], "lr": lr} for lr in LRS]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=LRS[0], momentum=0.9)
    if kind == "sgd0":
        return torch.optim.SGD(groups, lr=LRS[0])
    if kind == "adam":
        return torch.optim.Adam(groups, lr=LRS[0])
    if kind == "plain":
        return Plain(groups)
    raise AssertionError(kind)


def momenta(optimizer):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in optimizer.param_groups]


def trace(optimizer, scheduler, n=N_STEPS, manual=None):
    """Learning rates (and momenta) after construction and after each of ``n`` steps."""
    rows = [([g["lr"] for g in optimizer.param_groups], momenta(optimizer))]
    for i in range(n):
        optimizer.step()
        if manual is not None and i == manual:
            for g in optimizer.param_groups:
                g["lr"] *= 0.5  # a change by hand, mid-schedule
        scheduler.step()
        rows.append(([g["lr"] for g in optimizer.param_groups], momenta(optimizer)))
        assert scheduler.get_last_lr() == rows[-1][0]
    return rows


def both(name, kind, **kwargs):
    """The same scheduler from torch and from optnotes, on identical optimizers."""
    opt_t, opt_o = make_optimizer(kind), make_optimizer(kind)
    return (opt_t, getattr(tl, name)(opt_t, **kwargs)), (opt_o, getattr(ol, name)(opt_o, **kwargs))


CONFIGS = [
    ("StepLR", {"step_size": 7}),
    ("StepLR", {"step_size": 1, "gamma": 0.5}),
    ("StepLR", {"step_size": 10, "gamma": 0.9}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("ExponentialLR", {"gamma": 0.99}),
    ("CosineAnnealingLR", {"T_max": 17}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),  # trough increment ≠ f(T+1) bitwise
    ("CosineAnnealingLR", {"T_max": 1, "eta_min": 0.01}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5}),
    ("CyclicLR", {"base_lr": [0.01, 0.002], "max_lr": [0.1, 0.05], "step_size_up": 4,
                  "step_size_down": 9, "mode": "triangular2"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 6, "mode": "exp_range",
                  "gamma": 0.97, "base_momentum": [0.7, 0.85], "max_momentum": 0.95}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "step_size_down": 0}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4,
                  "scale_fn": lambda x: 1 / (1 + x), "scale_mode": "iterations"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4,
                  "scale_fn": lambda k: 0.5 ** k, "scale_mode": "cycle"}),
]  # fmt: skip


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_same_lrs_and_momenta_as_torch(name, kwargs, kind):
    (opt_t, sch_t), (opt_o, sch_o) = both(name, kind, **kwargs)
    assert isinstance(sch_o, tl.LRScheduler)
    assert trace(opt_o, sch_o) == trace(opt_t, sch_t)  # bit for bit


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS[:8])
def test_manual_lr_change_rescales_recursive_schedules_like_torch(name, kwargs):
    (opt_t, sch_t), (opt_o, sch_o) = both(name, "plain", **kwargs)
    assert trace(opt_o, sch_o, manual=20) == trace(opt_t, sch_t, manual=20)


def test_cyclic_switches_momentum_on_and_overwrites_lr_at_construction():
    (opt_t, sch_t), (opt_o, sch_o) = both("CyclicLR", "sgd0", base_lr=0.005, max_lr=0.05)
    assert [g["lr"] for g in opt_o.param_groups] == [0.005, 0.005]
    assert momenta(opt_o) == [0.9, 0.9]
    assert trace(opt_o, sch_o, n=10) == trace(opt_t, sch_t, n=10)


def test_cyclic_without_momentum_cycling_leaves_momentum_alone():
    (opt_t, sch_t), (opt_o, sch_o) = both(
        "CyclicLR", "sgd", base_lr=0.01, max_lr=0.1, step_size_up=4, cycle_momentum=False
    )
    rows = trace(opt_o, sch_o)
    assert rows == trace(opt_t, sch_t)
    assert {tuple(m) for _, m in rows} == {(0.9, 0.9)}


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS[:8])
@pytest.mark.parametrize("epoch", [0, 13, 40])
def test_step_with_epoch_uses_the_closed_form_like_torch(name, kwargs, epoch):
    (opt_t, sch_t), (opt_o, sch_o) = both(name, "sgd", **kwargs)
    for opt, sch in ((opt_t, sch_t), (opt_o, sch_o)):
        opt.step()
        with pytest.warns(UserWarning, match="epoch parameter"):
            sch.step(epoch)
    assert sch_o.get_last_lr() == sch_t.get_last_lr()


@pytest.mark.parametrize(
    ("name", "kwargs", "closed_form"),
    [
        ("StepLR", {"step_size": 7, "gamma": 0.3},
         lambda t, lr: lr * schedules.step_factor(t, 7, 0.3)),
        ("ExponentialLR", {"gamma": 0.93},
         lambda t, lr: lr * schedules.exponential_factor(t, 0.93)),
        ("CosineAnnealingLR", {"T_max": 13, "eta_min": 0.002},
         lambda t, lr: schedules.cosine_annealing_lr(t, lr, 0.002, 13)),
    ],
)  # fmt: skip
def test_recursive_class_agrees_with_its_pure_function(name, kwargs, closed_form):
    opt = make_optimizer("plain")
    rows = trace(opt, getattr(ol, name)(opt, **kwargs))
    for t, (lrs, _) in enumerate(rows):
        expected = [closed_form(t, lr) for lr in LRS]
        assert lrs == pytest.approx(expected, rel=1e-12, abs=1e-17)


def test_cyclic_class_is_its_pure_function_exactly():
    kwargs = {"step_size_up": 4, "step_size_down": 7, "mode": "exp_range", "gamma": 0.98}
    opt = make_optimizer("adam")
    rows = trace(opt, ol.CyclicLR(opt, base_lr=[0.01, 0.001], max_lr=0.1, **kwargs))
    for t, (lrs, betas1) in enumerate(rows):
        assert lrs == [schedules.cyclic_lr(t, b, 0.1, **kwargs) for b in (0.01, 0.001)]
        # the momentum runs the same wave from max_momentum down to base_momentum
        assert betas1 == [schedules.cyclic_lr(t, 0.9, 0.8, **kwargs)] * 2


def test_cosine_is_not_clamped_at_t_max():
    opt = make_optimizer("plain")
    rows = trace(opt, ol.CosineAnnealingLR(opt, T_max=10), n=20)
    assert rows[10][0] == [0.0, 0.0]
    assert rows[20][0] == pytest.approx(list(LRS), rel=1e-12)


def test_scheduler_on_a_third_party_optimizer():
    (opt_t, sch_t), (opt_o, sch_o) = both("CosineAnnealingLR", "plain", T_max=9)
    assert trace(opt_o, sch_o) == trace(opt_t, sch_t)


def test_torch_sequential_and_chained_accept_ours():
    def build(lib):
        opt = make_optimizer("sgd")
        warm = lib.StepLR(opt, step_size=3, gamma=0.5)
        cos = lib.CosineAnnealingLR(opt, T_max=20, eta_min=0.001)
        return opt, tl.SequentialLR(opt, [warm, cos], milestones=[10])

    assert trace(*build(ol)) == trace(*build(tl))

    def chain(lib):
        opt = make_optimizer("sgd")
        scheds = [lib.ExponentialLR(opt, 0.95), lib.StepLR(opt, step_size=4, gamma=0.7)]
        return opt, tl.ChainedScheduler(scheds, optimizer=opt)

    assert trace(*chain(ol)) == trace(*chain(tl))


def test_tensor_learning_rates():
    def build(lib):
        torch.manual_seed(0)
        opt = torch.optim.SGD([torch.nn.Parameter(torch.randn(2))], lr=torch.tensor(0.1))
        return opt, lib.CosineAnnealingLR(opt, T_max=7, eta_min=0.01)

    (opt_t, sch_t), (opt_o, sch_o) = build(tl), build(ol)
    for _ in range(20):
        opt_t.step()
        opt_o.step()
        sch_t.step()
        sch_o.step()
        assert isinstance(opt_o.param_groups[0]["lr"], torch.Tensor)
        assert torch.equal(opt_o.param_groups[0]["lr"], opt_t.param_groups[0]["lr"])


def test_get_lr_called_directly_warns_like_torch():
    opt = make_optimizer("sgd")
    with pytest.warns(UserWarning, match="get_last_lr"):
        ol.StepLR(opt, step_size=2).get_lr()


# --- state_dict: resume mid-schedule --------------------------------------------------


class Halving:
    """A callable scale_fn with state: CyclicLR saves its ``__dict__``."""

    def __init__(self, base=0.5):
        self.base = base

    def __call__(self, cycle):
        return self.base ** (cycle - 1)


RESUME_CONFIGS = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.95}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "mode": "exp_range",
                  "gamma": 0.97}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "scale_fn": Halving(0.7)}),
]  # fmt: skip


def resume(lib_from, lib_to, name, kwargs, kind="adam", k=23):
    """Run ``k`` steps, save, rebuild from the saved states, and trace the rest."""
    opt = make_optimizer(kind)
    sched = getattr(lib_from, name)(opt, **kwargs)
    trace(opt, sched, n=k)
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    if "scale_fn" in kwargs:
        kwargs = {**kwargs, "scale_fn": Halving()}  # restored from the state_dict
    opt2 = make_optimizer(kind)
    sched2 = getattr(lib_to, name)(opt2, **kwargs)  # build the scheduler, then load
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    return trace(opt2, sched2, n=N_STEPS - k)


@pytest.mark.parametrize(("name", "kwargs"), RESUME_CONFIGS)
@pytest.mark.parametrize(("lib_from", "lib_to"), [(ol, ol), (tl, ol), (ol, tl)])
def test_resume_from_state_dict_continues_identically(name, kwargs, lib_from, lib_to):
    opt = make_optimizer("adam")
    uninterrupted = trace(opt, getattr(tl, name)(opt, **kwargs))
    assert resume(lib_from, lib_to, name, kwargs) == uninterrupted[23:]


@pytest.mark.parametrize(("name", "kwargs"), RESUME_CONFIGS)
def test_state_dict_layout_is_torchs(name, kwargs):
    (_, sch_t), (_, sch_o) = both(name, "sgd", **kwargs)
    assert sch_o.state_dict().keys() == sch_t.state_dict().keys()


def test_resume_with_last_epoch_like_torch():
    def build(lib):
        opt = make_optimizer("sgd")
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"]
        return opt, lib.CosineAnnealingLR(opt, T_max=12, last_epoch=5)

    assert trace(*build(ol)) == trace(*build(tl))


# --- ReduceLROnPlateau --------------------------------------------------------------


def plateau_trace(optimizer, scheduler, metrics):
    rows = []
    for m in metrics:
        scheduler.step(m)
        rows.append((
            [g["lr"] for g in optimizer.param_groups],
            scheduler.best, scheduler.num_bad_epochs, scheduler.cooldown_counter,
            scheduler.last_epoch,
        ))  # fmt: skip
    return rows


# improvements, long plateaus, tiny improvements below the threshold, and a relapse
SCRIPT = [5.0, 4.0, 3.0, 3.0, 3.0, 2.9999, 3.1, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.99, 1.0,
          1.0, 1.2, 1.1, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
          0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4,
          0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]  # fmt: skip

PLATEAU_CONFIGS = [
    ({"patience": 2}, SCRIPT),
    ({"patience": 0, "factor": 0.5}, SCRIPT),
    ({"patience": 1, "cooldown": 3, "factor": 0.5, "min_lr": 0.01}, SCRIPT),
    ({"patience": 1, "factor": 0.5, "min_lr": [0.02, 0.001]}, SCRIPT),
    ({"patience": 1, "factor": 0.5, "eps": 0.004}, SCRIPT),  # later cuts are skipped
    ({"patience": 0, "factor": 0.5, "eps": 0.0125}, SCRIPT),  # a cut of exactly eps, too
    ({"patience": 2, "threshold": 0.5, "threshold_mode": "abs"}, SCRIPT),
    ({"mode": "max", "patience": 2, "cooldown": 1}, [10 - m for m in SCRIPT]),
    ({"mode": "max", "patience": 1, "threshold": 0.2, "threshold_mode": "abs"},
     [10 - m for m in SCRIPT]),
    ({"patience": 1, "threshold": 0.1}, [-m for m in SCRIPT]),  # negative metrics, 'rel'
    ({"patience": 1}, [torch.tensor(m) for m in SCRIPT]),  # 0-dim tensors
]  # fmt: skip


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize(("kwargs", "metrics"), PLATEAU_CONFIGS)
def test_plateau_same_as_torch(kwargs, metrics, kind):
    (opt_t, sch_t), (opt_o, sch_o) = both("ReduceLROnPlateau", kind, **kwargs)
    rows = plateau_trace(opt_o, sch_o, metrics)
    assert rows == plateau_trace(opt_t, sch_t, metrics)
    assert sch_o.state_dict() == sch_t.state_dict()
    assert rows[-1][0] != list(LRS)  # the script does cut the learning rates


def test_plateau_branches_are_exercised():
    # cooldown: a cut, then bad steps are not counted for `cooldown` steps
    (_, _), (opt, sch) = both("ReduceLROnPlateau", "sgd", patience=1, cooldown=3, factor=0.5)
    rows = plateau_trace(opt, sch, SCRIPT)
    assert any(cooldown == 3 for *_, cooldown, _ in rows)
    # min_lr per group: each group stops at its own floor
    (_, _), (opt, sch) = both("ReduceLROnPlateau", "sgd", patience=0, factor=0.1,
                              min_lr=[0.02, 0.001])  # fmt: skip
    assert plateau_trace(opt, sch, SCRIPT)[-1][0] == [0.02, 0.001]
    # eps: a cut of at most eps is skipped, so the lr stops above min_lr = 0
    (_, _), (opt, sch) = both("ReduceLROnPlateau", "sgd", patience=0, factor=0.5, eps=0.004)
    assert plateau_trace(opt, sch, SCRIPT)[-1][0] == [0.00625, 0.0075]
    (_, _), (opt, sch) = both("ReduceLROnPlateau", "sgd", patience=0, factor=0.5, eps=0.0125)
    assert plateau_trace(opt, sch, SCRIPT)[-1][0] == [0.025, 0.015]  # 0.025 − 0.0125 = eps
    # negative metric, 'rel' mode: a slightly worse value still counts as better
    (_, _), (opt, sch) = both("ReduceLROnPlateau", "sgd", threshold=0.1)
    sch.step(-1.0)
    sch.step(-0.95)
    assert sch.best == -0.95


def test_plateau_new_param_group():
    def build(lib, min_lr):
        opt = make_optimizer("sgd")
        sched = lib.ReduceLROnPlateau(opt, patience=0, min_lr=min_lr)
        opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5})
        return opt, sched

    assert plateau_trace(*build(ol, 0.001), SCRIPT) == plateau_trace(*build(tl, 0.001), SCRIPT)
    for lib in (ol, tl):
        with pytest.raises(RuntimeError, match="param groups"):
            plateau_trace(*build(lib, [0.0, 0.0]), SCRIPT)


def test_plateau_step_with_epoch_warns_like_torch():
    (_, sch_t), (_, sch_o) = both("ReduceLROnPlateau", "sgd")
    for sched in (sch_t, sch_o):
        with pytest.warns(UserWarning, match="epoch parameter"):
            sched.step(1.0, epoch=7)
    assert sch_o.last_epoch == sch_t.last_epoch == 7


@pytest.mark.parametrize(("lib_from", "lib_to"), [(ol, ol), (tl, ol), (ol, tl)])
def test_plateau_resume(lib_from, lib_to):
    kwargs = {"patience": 1, "cooldown": 2, "factor": 0.5, "min_lr": [0.01, 0.0]}
    opt = make_optimizer("sgd")
    sched = tl.ReduceLROnPlateau(opt, **kwargs)
    uninterrupted = plateau_trace(opt, sched, SCRIPT)

    opt = make_optimizer("sgd")
    sched = lib_from.ReduceLROnPlateau(opt, **kwargs)
    plateau_trace(opt, sched, SCRIPT[:21])
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    opt2 = make_optimizer("sgd")
    sched2 = lib_to.ReduceLROnPlateau(opt2, mode="max")  # the state_dict restores the mode
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    assert plateau_trace(opt2, sched2, SCRIPT[21:]) == uninterrupted[21:]


# --- errors -----------------------------------------------------------------------

NOT_AN_OPTIMIZER = object()
SAME_ERRORS = [
    ("StepLR", (NOT_AN_OPTIMIZER,), {"step_size": 3}, TypeError),
    ("ExponentialLR", (NOT_AN_OPTIMIZER,), {"gamma": 0.9}, TypeError),
    ("CosineAnnealingLR", (NOT_AN_OPTIMIZER,), {"T_max": 3}, TypeError),
    ("StepLR", (), {"step_size": 3, "last_epoch": 4}, KeyError),  # resuming without initial_lr
    ("ReduceLROnPlateau", (NOT_AN_OPTIMIZER,), {}, TypeError),
    ("ReduceLROnPlateau", (), {"factor": 1.0}, ValueError),
    ("ReduceLROnPlateau", (), {"mode": "maximum"}, ValueError),
    ("ReduceLROnPlateau", (), {"threshold_mode": "relative"}, ValueError),
    ("ReduceLROnPlateau", (), {"min_lr": [0.1]}, ValueError),
    ("ReduceLROnPlateau", (), {"verbose": True}, TypeError),  # removed from torch
    ("CyclicLR", (NOT_AN_OPTIMIZER,), {"base_lr": 0.1, "max_lr": 1.0}, TypeError),
    ("CyclicLR", (), {"base_lr": [0.1], "max_lr": 1.0}, ValueError),
    ("CyclicLR", (), {"base_lr": 0.1, "max_lr": [1.0, 2.0, 3.0]}, ValueError),
    ("CyclicLR", (), {"base_lr": 0.1, "max_lr": 1.0, "base_momentum": [0.8]}, ValueError),
    ("CyclicLR", (), {"base_lr": 0.1, "max_lr": 1.0, "mode": "sine"}, ValueError),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "error"), SAME_ERRORS)
def test_same_errors_as_torch(name, args, kwargs, error):
    for lib in (tl, ol):
        with pytest.raises(error):
            getattr(lib, name)(*(args or (make_optimizer("sgd"),)), **kwargs)


def test_cycle_momentum_needs_momentum_or_betas():
    for lib in (tl, ol):
        with pytest.raises(ValueError, match="momentum"):
            lib.CyclicLR(make_optimizer("plain"), base_lr=0.01, max_lr=0.1)
    ol.CyclicLR(make_optimizer("plain"), base_lr=0.01, max_lr=0.1, cycle_momentum=False)


@pytest.mark.parametrize(
    ("name", "kwargs", "argument"),
    [
        ("StepLR", {"step_size": 0}, "step_size"),
        ("CosineAnnealingLR", {"T_max": 0}, "T_max"),
        ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 0}, "step_size_up"),
        ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_down": -1}, "step_size_down"),
        ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "scale_fn": abs, "scale_mode": "epoch"},
         "scale_mode"),
    ],
)  # fmt: skip
def test_arguments_torch_accepts_but_cannot_use_are_refused_early(name, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        getattr(ol, name)(make_optimizer("sgd"), **kwargs)


def test_torch_fails_late_on_those_arguments():
    # why we refuse them: torch accepts them and divides by zero later
    opt = make_optimizer("sgd")
    sched = tl.StepLR(opt, step_size=0)
    opt.step()
    with pytest.raises(ZeroDivisionError):
        sched.step()
    with pytest.raises(ZeroDivisionError):
        tl.CyclicLR(make_optimizer("sgd"), base_lr=0.01, max_lr=0.1, step_size_up=0)


def test_public_names():
    assert set(ol.__all__) >= {
        "StepLR", "ExponentialLR", "CosineAnnealingLR", "ReduceLROnPlateau", "CyclicLR",
        "LinearWarmup",
    }  # fmt: skip
    for name in ("StepLR", "ExponentialLR", "CosineAnnealingLR", "CyclicLR"):
        assert issubclass(getattr(ol, name), tl.LRScheduler)
        assert not issubclass(getattr(ol, name), getattr(tl, name))  # re-implemented
    # ReduceLROnPlateau subclasses torch's, for isinstance checks, but runs none of its code.
    assert issubclass(ol.ReduceLROnPlateau, tl.ReduceLROnPlateau)
    for attr in vars(tl.ReduceLROnPlateau):
        if callable(getattr(tl.ReduceLROnPlateau, attr)) or attr == "in_cooldown":
            assert attr in vars(ol.ReduceLROnPlateau) or attr.startswith("__"), attr
