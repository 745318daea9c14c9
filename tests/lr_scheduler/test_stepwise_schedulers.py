"""MultiStepLR, ConstantLR, LinearLR, PolynomialLR, LambdaLR and MultiplicativeLR against torch.

Every comparison of learning rates with torch is ``==`` on the floats: bit for bit.
"""

import io
import math
import pickle
import warnings

import pytest
import torch
from torch.optim import lr_scheduler as tl

import optnotes.optim
from optnotes import lr_scheduler as ol
from optnotes.grading import check_scheduler
from optnotes.lr_scheduler import schedules
from optnotes.lr_scheduler.schedules import constant, join, linear

N_STEPS = 60
LRS = (0.1, 0.03)  # two param groups with different learning rates
NAMES = ["MultiStepLR", "ConstantLR", "LinearLR", "PolynomialLR", "LambdaLR", "MultiplicativeLR"]


class Decay:
    """A callable ``lr_lambda`` with state: ``state_dict`` saves its ``__dict__``."""

    def __init__(self, gamma=0.9):
        self.gamma = gamma
        self.calls = 0

    def __call__(self, t):
        self.calls += 1
        return self.gamma**t

    def __eq__(self, other):
        return isinstance(other, Decay) and vars(self) == vars(other)


class Constant:
    """A callable factor for ``MultiplicativeLR`` with state."""

    def __init__(self, value=0.95):
        self.value = value

    def __call__(self, t):
        return self.value


def make_optimizer(kind, lrs=LRS):
    torch.manual_seed(0)
    groups = [{"params": [torch.nn.Parameter(torch.randn(3))], "lr": lr} for lr in lrs]
    if kind == "torch":
        return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)
    if kind == "optnotes":
        return optnotes.optim.SGD(groups, lr=lrs[0], momentum=0.9)
    raise AssertionError(kind)


def lrs_of(optimizer):
    return [g["lr"] for g in optimizer.param_groups]


def trace(optimizer, scheduler, n=N_STEPS, manual=None):
    """Learning rates and parameters after construction and after each of ``n`` steps.

    Each step is a real one (a gradient, an optimizer step with the scheduled learning
    rate, a scheduler step); ``manual`` is the step after which the learning rates are
    halved by hand.
    """
    params = [p for g in optimizer.param_groups for p in g["params"]]
    rows = [(lrs_of(optimizer), scheduler.get_last_lr())]
    assert rows[0][1] == rows[0][0]
    for i in range(n):
        optimizer.zero_grad()
        sum((p**2).sum() for p in params).backward()
        optimizer.step()
        if manual is not None and i == manual:
            for g in optimizer.param_groups:
                g["lr"] *= 0.5  # a change by hand, mid-schedule
        scheduler.step()
        rows.append((lrs_of(optimizer), scheduler.get_last_lr()))
        assert rows[-1][1] == rows[-1][0]  # get_last_lr() is what the groups hold
    return rows, [p.detach().clone().tolist() for p in params]


def build(lib, name, kind, kwargs):
    optimizer = make_optimizer(kind)
    return optimizer, getattr(lib, name)(optimizer, **kwargs)


def both(name, kind, kwargs):
    """The same scheduler from torch and from optnotes, on identical optimizers."""
    return build(tl, name, kind, kwargs), build(ol, name, kind, kwargs)


CONFIGS = [
    ("MultiStepLR", {"milestones": [10, 25], "gamma": 0.3}),
    ("MultiStepLR", {"milestones": [30, 5, 5, 12]}),  # unordered, one listed twice
    ("MultiStepLR", {"milestones": range(7, 60, 7), "gamma": 0.7}),
    ("MultiStepLR", {"milestones": [0, 3], "gamma": 0.5}),  # 0: applied at construction
    ("MultiStepLR", {"milestones": []}),
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 12}),
    ("ConstantLR", {"factor": 0.3, "total_iters": 17}),  # 1/0.3 rounds
    ("ConstantLR", {"factor": 1.0}),
    ("ConstantLR", {"factor": 0.0, "total_iters": 100}),  # never reaches 1/0
    ("ConstantLR", {"factor": 0.1, "total_iters": 0}),  # applied, never undone
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "total_iters": 10}),
    ("LinearLR", {"start_factor": 0.07, "end_factor": 0.9, "total_iters": 23}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 40}),  # a decay
    ("LinearLR", {"start_factor": 0.25, "end_factor": 0.6, "total_iters": 4}),
    ("LinearLR", {"start_factor": 0.05, "total_iters": 0}),  # stays at start_factor
    ("PolynomialLR", {}),
    ("PolynomialLR", {"total_iters": 50, "power": 0.9}),
    ("PolynomialLR", {"total_iters": 20, "power": 2.0}),
    ("PolynomialLR", {"total_iters": 45, "power": 0.5}),
    ("PolynomialLR", {"total_iters": 0}),  # never changes
    ("LambdaLR", {"lr_lambda": lambda t: 0.95**t}),
    ("LambdaLR", {"lr_lambda": [lambda t: t // 10, lambda t: 1 / (1 + t)]}),
    ("LambdaLR", {"lr_lambda": (schedules.warmup(schedules.cosine(40), 5), abs)}),
    ("MultiplicativeLR", {"lr_lambda": lambda t: 0.95}),
    ("MultiplicativeLR", {"lr_lambda": [lambda t: 0.5 if t % 10 == 0 else 1.0,
                                        lambda t: 1 - 1 / (t + 10)]}),
]  # fmt: skip


@pytest.mark.parametrize("kind", ["torch", "optnotes"])
@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_same_lrs_as_torch(name, kwargs, kind):
    (opt_t, sch_t), (opt_o, sch_o) = both(name, kind, kwargs)
    assert isinstance(sch_o, tl.LRScheduler)
    assert trace(opt_o, sch_o) == trace(opt_t, sch_t)  # lrs and parameters, bit for bit


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_the_settings_change_the_learning_rates(name, kwargs):
    # all but the three no-op settings move the learning rates away from LRS
    (opt, sch), _ = both(name, "torch", kwargs)
    rows, _ = trace(opt, sch)
    values = {LRS} | {tuple(lrs) for lrs, _ in rows}
    assert len(values) > 1 or kwargs in ({"milestones": []}, {"factor": 1.0}, {"total_iters": 0})


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_manual_lr_change_like_torch(name, kwargs):
    (opt_t, sch_t), (opt_o, sch_o) = both(name, "torch", kwargs)
    assert trace(opt_o, sch_o, manual=8) == trace(opt_t, sch_t, manual=8)


@pytest.mark.parametrize(
    ("name", "kwargs", "kept"),
    [
        ("MultiStepLR", {"milestones": [20]}, 0.5),
        ("PolynomialLR", {"total_iters": 50, "power": 0.9}, 0.5),
        ("MultiplicativeLR", {"lr_lambda": lambda t: 0.9}, 0.5),
        ("LambdaLR", {"lr_lambda": lambda t: 0.9**t}, 1.0),  # overwritten at the next step
    ],
)
def test_manual_lr_change_is_rescaled_or_overwritten(name, kwargs, kept):
    (rows, _), (free, _) = (
        trace(*build(ol, name, "torch", kwargs), n=30, manual=8),
        trace(*build(ol, name, "torch", kwargs), n=30),
    )
    assert rows[30][0] == pytest.approx([kept * lr for lr in free[30][0]], rel=1e-12)


def _step_epoch(sched, epoch):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            sched.step(epoch)
        except ZeroDivisionError as error:
            return type(error)
    assert [str(w.message) for w in caught] == [tl.EPOCH_DEPRECATION_WARNING]
    return sched.get_last_lr()


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_step_with_epoch_like_torch(name, kwargs):
    # with an epoch, torch uses _get_closed_form_lr where the class has one
    (opt_t, sch_t), (opt_o, sch_o) = both(name, "torch", kwargs)
    assert hasattr(sch_o, "_get_closed_form_lr") == hasattr(sch_t, "_get_closed_form_lr")
    for epoch in (0, 3, 13, 40, 5, 100):
        opt_t.step()
        opt_o.step()
        assert _step_epoch(sch_o, epoch) == _step_epoch(sch_t, epoch)


@pytest.mark.parametrize(
    ("name", "kwargs", "closed_form"),
    [
        ("MultiStepLR", {"milestones": [12, 3, 30, 30], "gamma": 0.3},
         lambda t: 0.3 ** sum(m <= t for m in (3, 12, 30, 30))),
        ("ConstantLR", {"factor": 0.3, "total_iters": 17}, lambda t: 0.3 if t < 17 else 1.0),
        ("LinearLR", {"start_factor": 0.07, "end_factor": 0.9, "total_iters": 23},
         lambda t: 0.07 + (0.9 - 0.07) * min(t, 23) / 23),
        ("PolynomialLR", {"total_iters": 37, "power": 0.9}, lambda t: (1 - min(t, 37) / 37) ** 0.9),
        ("MultiplicativeLR", {"lr_lambda": lambda t: 1 - 1 / (t + 10)},
         lambda t: math.prod(1 - 1 / (s + 10) for s in range(1, t + 1))),
    ],
)  # fmt: skip
def test_recursive_class_follows_the_formula(name, kwargs, closed_form):
    (_, _), (opt, sch) = both(name, "torch", kwargs)
    rows, _ = trace(opt, sch)
    for t, (lrs, _) in enumerate(rows):
        assert lrs == pytest.approx([lr * closed_form(t) for lr in LRS], rel=1e-12, abs=1e-17)


def test_lambda_lr_is_its_function_exactly():
    schedule = schedules.warmup(schedules.polynomial(50, 2.0), 6, 0.1)
    (_, _), (opt, sch) = both("LambdaLR", "optnotes", {"lr_lambda": schedule})
    rows, _ = trace(opt, sch)
    for t, (lrs, _) in enumerate(rows):
        assert lrs == [lr * schedule(t) for lr in LRS]


def test_multiplicative_lr_is_exponential_lr():
    (opt_m, sch_m), (opt_e, sch_e) = (
        build(ol, "MultiplicativeLR", "torch", {"lr_lambda": lambda t: 0.93}),
        build(ol, "ExponentialLR", "torch", {"gamma": 0.93}),
    )
    assert trace(opt_m, sch_m) == trace(opt_e, sch_e)


def test_multiplicative_lr_does_not_call_the_function_at_construction():
    for lib in (tl, ol):
        lib.MultiplicativeLR(make_optimizer("torch"), lr_lambda=lambda: 0.95)  # no argument


def test_tensor_learning_rates():
    def run(lib, name, kwargs):
        groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": torch.tensor(lr)}
                  for lr in LRS]  # fmt: skip
        opt = torch.optim.SGD(groups, lr=torch.tensor(LRS[0]))
        sched = getattr(lib, name)(opt, **kwargs)
        values = []
        for _ in range(30):
            opt.step()
            sched.step()
            for group, last in zip(opt.param_groups, sched.get_last_lr(), strict=True):
                assert isinstance(group["lr"], torch.Tensor)
                assert last is not group["lr"]  # a copy, never the group's tensor
            values.append([group["lr"].item() for group in opt.param_groups])
        return values, [lr.item() for lr in sched.base_lrs]

    for name, kwargs in CONFIGS:
        assert run(ol, name, kwargs) == run(tl, name, kwargs), (name, kwargs)


def test_get_lr_called_directly_warns_like_torch():
    for name, kwargs in CONFIGS[::4]:
        (_, _), (_, sched) = both(name, "torch", kwargs)
        with pytest.warns(UserWarning, match="get_last_lr"):
            sched.get_lr()


# --- state_dict: resume mid-schedule ----------------------------------------------------

RESUME_CONFIGS = [
    ("MultiStepLR", lambda: {"milestones": [10, 25, 25, 40], "gamma": 0.5},
     lambda: {"milestones": [1], "gamma": 0.9}),
    ("ConstantLR", lambda: {"factor": 0.25, "total_iters": 30},
     lambda: {"factor": 0.9, "total_iters": 2}),
    ("LinearLR", lambda: {"start_factor": 0.1, "end_factor": 0.8, "total_iters": 35},
     lambda: {}),
    ("PolynomialLR", lambda: {"total_iters": 50, "power": 0.9}, lambda: {"total_iters": 3}),
    ("LambdaLR", lambda: {"lr_lambda": [Decay(0.97), lambda t: 1 / (1 + t)]},
     lambda: {"lr_lambda": [Decay(0.5), lambda t: 1 / (1 + t)]}),
    ("MultiplicativeLR", lambda: {"lr_lambda": Constant(0.95)},
     lambda: {"lr_lambda": Constant(0.5)}),
]  # fmt: skip
RESUME_IDS = [name for name, *_ in RESUME_CONFIGS]


def resume(lib_from, lib_to, name, kwargs, other_kwargs, kind, k=23):
    """Run ``k`` steps, save, rebuild from the saved states (pickled), and trace the rest.

    The new scheduler is built with other hyper-parameters: the state restores them.
    """
    opt, sched = build(lib_from, name, kind, kwargs())
    trace(opt, sched, n=k)
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    opt2, sched2 = build(lib_to, name, kind, other_kwargs())  # the scheduler, then load
    with torch.no_grad():
        for p, q in zip(opt2.param_groups, opt.param_groups, strict=True):
            p["params"][0].copy_(q["params"][0])
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    return trace(opt2, sched2, n=N_STEPS - k)


@pytest.mark.parametrize("kind", ["torch", "optnotes"])
@pytest.mark.parametrize(("name", "kwargs", "other_kwargs"), RESUME_CONFIGS, ids=RESUME_IDS)
@pytest.mark.parametrize(("lib_from", "lib_to"), [(ol, ol), (tl, ol), (ol, tl)])
def test_resume_from_state_dict_continues_identically(
    name, kwargs, other_kwargs, lib_from, lib_to, kind
):
    rows, params = trace(*build(tl, name, kind, kwargs()))  # uninterrupted, all torch
    resumed_rows, resumed_params = resume(lib_from, lib_to, name, kwargs, other_kwargs, kind)
    assert resumed_rows == rows[23:]
    assert resumed_params == params


@pytest.mark.parametrize(("name", "kwargs", "_"), RESUME_CONFIGS, ids=RESUME_IDS)
def test_state_dict_is_torchs(name, kwargs, _):
    (opt_t, sch_t), (opt_o, sch_o) = both(name, "torch", kwargs())
    for _step in range(7):
        opt_t.step()
        opt_o.step()
        sch_t.step()
        sch_o.step()
    state = sch_o.state_dict()
    assert state == sch_t.state_dict()
    assert list(state) == list(sch_t.state_dict())  # same keys, in the same order
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    assert torch.load(buffer, weights_only=True) == state  # only plain values, as torch's


def test_multistep_state_keeps_the_milestones_as_a_counter_like_torch():
    (_, sch_t), (_, sch_o) = both("MultiStepLR", "torch", {"milestones": [30, 5, 5]})
    assert sch_o.state_dict()["milestones"] == sch_t.state_dict()["milestones"]
    assert sch_o.milestones == {5: 2, 30: 1}


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR"])
def test_lambdas_are_saved_only_when_callable_objects(name):
    def function(t):
        return 0.9

    kwargs = {"lr_lambda": [lambda t: 0.9, Constant(0.8)]}
    (_, sch_t), (_, sch_o) = both(name, "torch", kwargs)
    state = sch_o.state_dict()
    assert state["lr_lambdas"] == [None, {"value": 0.8}] == sch_t.state_dict()["lr_lambdas"]
    assert state["lr_lambdas"][1] is not vars(sch_o.lr_lambdas[1])  # a copy
    pickle.dumps(state)  # the lambda is not in it
    # a plain function is not saved either; a partial (a schedule) is an object
    (_, sch_o) = build(ol, name, "torch", {"lr_lambda": [function, schedules.step(3)]})
    assert sch_o.state_dict()["lr_lambdas"] == [None, {}]


@pytest.mark.parametrize("lib", [tl, ol])
def test_loading_updates_the_callable_objects_and_leaves_the_dict_alone(lib):
    (_, source) = build(ol, "LambdaLR", "torch", {"lr_lambda": [Decay(0.3), lambda t: 1.0]})
    state = source.state_dict()
    keep = dict(state)
    target_fn = Decay(0.7)
    (_, target) = build(lib, "LambdaLR", "torch", {"lr_lambda": [target_fn, lambda t: 2.0]})
    target.load_state_dict(state)
    assert target.lr_lambdas[0] is target_fn  # the object is kept, its state replaced
    assert vars(target_fn) == vars(source.lr_lambdas[0]) == {"gamma": 0.3, "calls": 1}
    assert target.lr_lambdas[1](0) == 2.0  # a function saved as None is left alone
    assert state == keep  # "lr_lambdas" is popped and put back


# --- errors -----------------------------------------------------------------------------

NOT_AN_OPTIMIZER = object()
SAME_ERRORS = [
    ("MultiStepLR", (NOT_AN_OPTIMIZER,), {"milestones": [3]}, TypeError),
    ("ConstantLR", (NOT_AN_OPTIMIZER,), {}, TypeError),
    ("LinearLR", (NOT_AN_OPTIMIZER,), {}, TypeError),
    ("PolynomialLR", (NOT_AN_OPTIMIZER,), {}, TypeError),
    ("LambdaLR", (NOT_AN_OPTIMIZER,), {"lr_lambda": abs}, AttributeError),  # as torch
    ("MultiplicativeLR", (NOT_AN_OPTIMIZER,), {"lr_lambda": abs}, AttributeError),
    ("MultiStepLR", (), {"milestones": [3], "last_epoch": 4}, KeyError),  # no initial_lr
    ("ConstantLR", (), {"factor": 1.5}, ValueError),
    ("ConstantLR", (), {"factor": -0.1}, ValueError),
    ("LinearLR", (), {"start_factor": 0.0}, ValueError),
    ("LinearLR", (), {"start_factor": 1.1}, ValueError),
    ("LinearLR", (), {"end_factor": -0.5}, ValueError),
    ("LinearLR", (), {"end_factor": 2.0}, ValueError),
    ("LambdaLR", (), {"lr_lambda": [abs]}, ValueError),
    ("LambdaLR", (), {"lr_lambda": (abs, abs, abs)}, ValueError),
    ("MultiplicativeLR", (), {"lr_lambda": [abs]}, ValueError),
    ("LambdaLR", (), {"lr_lambda": 0.95}, TypeError),  # torch: at the constructor's step
    ("MultiplicativeLR", (), {"lr_lambda": 0.95}, TypeError),
    ("MultiplicativeLR", (), {"lr_lambda": [abs, 0.95]}, TypeError),
]


@pytest.mark.parametrize(("name", "args", "kwargs", "error"), SAME_ERRORS)
def test_same_errors_as_torch(name, args, kwargs, error):
    for lib in (tl, ol):
        with pytest.raises(error):
            getattr(lib, name)(*(args or (make_optimizer("torch"),)), **kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "argument"),
    [
        ("ConstantLR", {"factor": 1.5}, ValueError, "factor=1.5"),
        ("LinearLR", {"start_factor": 0.0}, ValueError, "start_factor=0.0"),
        ("LinearLR", {"end_factor": 2.0}, ValueError, "end_factor=2.0"),
        ("LambdaLR", {"lr_lambda": [abs]}, ValueError, "lr_lambda"),
        ("MultiplicativeLR", {"lr_lambda": [abs, abs, abs]}, ValueError, "lr_lambda"),
        ("LambdaLR", {"lr_lambda": 0.95}, TypeError, "lr_lambda should be a function"),
        ("MultiplicativeLR", {"lr_lambda": [abs, 1]}, TypeError, "lr_lambda should be a function"),
    ],
)
def test_errors_name_the_argument(name, kwargs, error, argument):
    with pytest.raises(error, match=argument):
        getattr(ol, name)(make_optimizer("torch"), **kwargs)


@pytest.mark.parametrize("lib", [tl, ol])
def test_constant_lr_with_factor_zero_fails_at_total_iters_like_torch(lib):
    opt = make_optimizer("torch")
    sched = lib.ConstantLR(opt, factor=0.0, total_iters=3)
    assert lrs_of(opt) == [0.0, 0.0]
    for _ in range(2):
        opt.step()
        sched.step()
    opt.step()
    with pytest.raises(ZeroDivisionError):
        sched.step()  # step 3: 1 / factor


# --- inside torch's composites ----------------------------------------------------------


def sequential(lib):
    opt = make_optimizer("torch")
    parts = [
        lib.LinearLR(opt, start_factor=0.1, total_iters=5),
        lib.MultiStepLR(opt, milestones=[10, 20], gamma=0.5),
        lib.PolynomialLR(opt, total_iters=20, power=1.5),
    ]
    return opt, tl.SequentialLR(opt, parts, milestones=[5, 35])


def sequential_constant(lib):
    opt = make_optimizer("optnotes")
    parts = [
        lib.ConstantLR(opt, factor=0.2, total_iters=8),
        lib.LambdaLR(opt, lr_lambda=lambda t: 0.97**t),
        lib.MultiplicativeLR(opt, lr_lambda=lambda t: 0.9),
    ]
    return opt, tl.SequentialLR(opt, parts, milestones=[4, 30])


def chained(lib):
    opt = make_optimizer("torch")
    parts = [
        lib.LinearLR(opt, start_factor=0.25, total_iters=6),
        lib.MultiStepLR(opt, milestones=[15, 30, 45], gamma=0.5),
        lib.ConstantLR(opt, factor=0.5, total_iters=10),
    ]
    return opt, tl.ChainedScheduler(parts, optimizer=opt)


def chained_decays(lib):
    opt = make_optimizer("optnotes")
    parts = [
        lib.PolynomialLR(opt, total_iters=40, power=0.9),
        lib.MultiplicativeLR(opt, lr_lambda=lambda t: 0.99),
        lib.ExponentialLR(opt, gamma=0.98),
    ]
    return opt, tl.ChainedScheduler(parts, optimizer=opt)


class Mixed:
    """Ours and torch's in one composite, alternately: the first is ours."""

    def __init__(self):
        self.count = 0

    def __getattr__(self, name):
        self.count += 1
        return getattr(ol if self.count % 2 else tl, name)


COMPOSITES = [sequential, sequential_constant, chained, chained_decays]


@pytest.mark.parametrize("composite", COMPOSITES)
def test_torch_composites_accept_ours(composite):
    expected = trace(*composite(tl))
    assert trace(*composite(ol)) == expected
    assert trace(*composite(Mixed())) == expected


@pytest.mark.parametrize("composite", COMPOSITES)
def test_torch_composites_of_ours_resume(composite):
    expected, _ = trace(*composite(tl))
    opt, sched = composite(ol)
    trace(opt, sched, n=17)
    saved = pickle.loads(pickle.dumps((opt.state_dict(), sched.state_dict())))
    opt2, sched2 = composite(ol)
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    rows, _ = trace(opt2, sched2, n=N_STEPS - 17)
    assert [lrs for lrs, _ in rows] == [lrs for lrs, _ in expected[17:]]


# --- the assignment checker, and names ---------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS[::2])
def test_check_scheduler_passes(name, kwargs):
    report = check_scheduler(getattr(ol, name), name, kwargs=kwargs)
    assert report.passed, str(report)


def test_check_scheduler_default_settings():
    check_scheduler(ol.MultiStepLR, "MultiStepLR").assert_ok()
    check_scheduler(ol.LinearLR, "linearlr").assert_ok()


def test_check_scheduler_catches_a_wrong_schedule():
    report = check_scheduler(ol.LinearLR, "ConstantLR", kwargs={})
    assert not report.passed


def test_public_names():
    assert set(ol.__all__) >= set(NAMES)
    for name in NAMES:
        cls = getattr(ol, name)
        assert issubclass(cls, tl.LRScheduler)
        assert not issubclass(cls, getattr(tl, name))  # re-implemented
        assert cls.__module__.startswith("optnotes.lr_scheduler.")
    for fn in ("multistep_factor", "polynomial_factor", "linear_factor", "constant_factor"):
        assert getattr(ol, fn) is getattr(schedules, fn)


# --- the pure schedules -------------------------------------------------------------------

STEPS = range(80)


@pytest.mark.parametrize(
    ("milestones", "gamma"), [([10, 25], 0.3), ((30, 5, 5, 12), 0.1), ([], 0.5), ([0], 0.7)]
)
def test_multistep_factor_formula(milestones, gamma):
    schedule = schedules.multistep(milestones, gamma)
    for t in STEPS:
        passed = sum(1 for m in milestones if m <= t)  # a repeated milestone counts twice
        assert schedules.multistep_factor(t, milestones, gamma) == gamma**passed
        assert schedule(t) == gamma**passed
    assert schedules.multistep_factor(12, iter([30, 5, 5, 12]), 0.5) == 0.125  # any iterable


@pytest.mark.parametrize(("total_iters", "power"), [(5, 1.0), (50, 0.9), (20, 2.0), (1, 3.0)])
def test_polynomial_factor_formula(total_iters, power):
    schedule = schedules.polynomial(total_iters, power)
    for t in STEPS:
        expected = (1.0 - min(t, total_iters) / total_iters) ** power
        assert schedules.polynomial_factor(t, total_iters, power) == expected == schedule(t)
    assert schedule(0) == 1.0
    assert schedule(total_iters) == schedule(total_iters + 7) == 0.0
    if power == 1.0:  # a straight line
        assert [schedule(t) for t in range(6)] == pytest.approx([1.0, 0.8, 0.6, 0.4, 0.2, 0.0])


@pytest.mark.parametrize(
    ("start", "end", "total_iters"), [(1 / 3, 1.0, 5), (0.07, 0.9, 23), (1.0, 0.0, 40)]
)
def test_linear_factor_formula_and_schedule(start, end, total_iters):
    ramp = linear(start, end, total_iters)
    for t in STEPS:
        expected = start + (end - start) * min(t, total_iters) / total_iters
        assert schedules.linear_factor(t, start, end, total_iters) == expected
        assert ramp(t) == pytest.approx(expected, rel=1e-15, abs=1e-16)  # to round-off
        if t < total_iters:
            assert ramp(t) == expected  # the same expression before the end
    assert schedules.linear_factor(0, start, end, total_iters) == start


@pytest.mark.parametrize(("factor", "total_iters"), [(1 / 3, 5), (0.3, 17), (0.0, 4), (0.5, 0)])
def test_constant_factor_formula_and_schedule(factor, total_iters):
    held = join([constant(factor), constant(1.0)], [total_iters])
    for t in STEPS:
        expected = factor if t < total_iters else 1.0
        assert schedules.constant_factor(t, factor, total_iters) == pytest.approx(expected)
        assert held(t) == expected
        if t < total_iters:
            assert schedules.constant_factor(t, factor, total_iters) == factor  # exactly


def test_factories_refuse_bad_arguments_at_once():
    with pytest.raises(ValueError, match="total_iters"):
        schedules.polynomial(0)


def test_schedules_pickle_and_show_their_arguments():
    for schedule in (schedules.multistep([9, 3], 0.5), schedules.polynomial(20, 0.9)):
        copy = pickle.loads(pickle.dumps(schedule))
        assert [copy(t) for t in STEPS] == [schedule(t) for t in STEPS]
    assert "milestones=(3, 9)" in repr(schedules.multistep([9, 3], 0.5))
    assert "power=0.9" in repr(schedules.polynomial(20, 0.9))


@pytest.mark.parametrize(
    ("schedule", "name", "kwargs"),
    [
        (schedules.multistep([10, 25], 0.3), "MultiStepLR", {"milestones": [10, 25], "gamma": 0.3}),
        (schedules.polynomial(37, 0.9), "PolynomialLR", {"total_iters": 37, "power": 0.9}),
        (linear(0.1, 0.8, 20), "LinearLR",
         {"start_factor": 0.1, "end_factor": 0.8, "total_iters": 20}),
        (join([constant(0.3), constant(1.0)], [17]), "ConstantLR",
         {"factor": 0.3, "total_iters": 17}),
    ],
)  # fmt: skip
def test_a_schedule_in_lambda_lr_gives_the_schedulers_lrs(schedule, name, kwargs):
    rows, _ = trace(*build(ol, "LambdaLR", "torch", {"lr_lambda": schedule}))
    expected, _ = trace(*build(ol, name, "torch", kwargs))
    for (lrs, _), (expected_lrs, _) in zip(rows, expected, strict=True):
        assert lrs == pytest.approx(expected_lrs, rel=1e-12, abs=1e-17)
