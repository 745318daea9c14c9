import math

import pytest
import torch

import optnotes.clip
import optnotes.lr_scheduler
import optnotes.optim
from optnotes.grading import (
    MUTANTS,
    Report,
    SkeletonOptimizer,
    check_clip,
    check_optimizer,
    check_scheduler,
)
from optnotes.grading.checker import OPTIMIZER_SETTINGS, SCHEDULER_SETTINGS
from optnotes.grading.hints import ADVICE, Evidence, optimizer_hints
from optnotes.grading.report import CaseResult

OPTIMIZERS = list(OPTIMIZER_SETTINGS)
OUR_SCHEDULERS = [name for name in SCHEDULER_SETTINGS if hasattr(optnotes.lr_scheduler, name)]

# the advice each planted bug should bring up
EXPECTED_ADVICE = {
    "adam_no_bias_correction": "bias_correction",
    "adam_eps_inside_sqrt": "eps_Adam",
    "adamw_with_l2": "decoupled_weight_decay",
    "sgd_dampened_first_step": "dampening",
    "nesterov_as_plain_momentum": "nesterov",
    "sgd_ignores_param_groups": "param_groups",
    "adagrad_lr_decay_off_by_one": "lr_decay",
    "rmsprop_with_bias_correction": "rmsprop_bias_correction",
}


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("module", [torch.optim, optnotes.optim], ids=["torch", "optnotes"])
def test_correct_optimizers_pass(module, name):
    report = check_optimizer(getattr(module, name), name)
    report.assert_ok()
    assert not report.skipped
    assert len(report.cases) == len(OPTIMIZER_SETTINGS[name])
    assert not report.hints


def test_correct_optimizer_passes_in_float32():
    check_optimizer(optnotes.optim.Adam, "Adam", dtype=torch.float32).assert_ok()


def test_every_mutant_has_a_documented_bug():
    assert set(MUTANTS) == set(EXPECTED_ADVICE)
    for mutant in MUTANTS.values():
        assert "Bug:" in mutant.cls.__doc__
        assert issubclass(mutant.cls, torch.optim.Optimizer)


@pytest.mark.parametrize("name", MUTANTS)
def test_every_mutant_is_caught_with_the_right_hint(name):
    mutant = MUTANTS[name]
    for kwargs in (mutant.kwargs, None):  # the bug's own setting, and the default battery
        report = check_optimizer(mutant.cls, mutant.reference, kwargs=kwargs)
        assert not report.passed
        assert ADVICE[EXPECTED_ADVICE[name]] in report.hints, str(report)


def test_mutant_passes_where_its_bug_does_not_show():
    mutant = MUTANTS["adagrad_lr_decay_off_by_one"]
    check_optimizer(mutant.cls, "Adagrad", kwargs={"lr_decay": 0.0}).assert_ok()


def test_report_names_the_first_difference():
    mutant = MUTANTS["sgd_dampened_first_step"]
    report = check_optimizer(mutant.cls, "SGD", kwargs=mutant.kwargs, seeds=[3])
    (case,) = report.cases
    assert case.setting == "lr=0.1, momentum=0.9, dampening=0.5"
    assert "first difference after step 1 (seed 3) in param 0[0] (shape (5,), param group 0)" in (
        case.problem
    )
    assert "your update is 0.5 × the reference's" in case.problem
    assert "the difference disappears with dampening=0.0" in case.problem
    text = str(report)
    assert text.startswith(
        "SGDDampenedFirstStep vs torch.optim.SGD: FAILED (0 of 1 settings agree)"
    )
    assert "Hints:" in text


def test_assert_ok_raises_with_the_report_text():
    report = check_optimizer(MUTANTS["adam_no_bias_correction"].cls, "Adam")
    with pytest.raises(AssertionError) as error:
        report.assert_ok()
    assert str(error.value) == str(report)


def test_report_is_shown_as_text_in_a_notebook():
    report = Report("A vs B", [CaseResult("defaults"), CaseResult("lr=1", "boom")], ["look"])

    class Printer:
        def text(self, value):
            self.value = value

    printer = Printer()
    report._repr_pretty_(printer, cycle=False)
    assert printer.value == str(report)
    assert str(report).splitlines() == [
        "A vs B: FAILED (1 of 2 settings agree)",
        "  ✓ defaults",
        "  ✗ lr=1",
        "      boom",
        "Hints:",
        "  - look",
    ]


def test_empty_report_does_not_pass():
    assert not Report("nothing", []).passed


def test_settings_a_student_cannot_take_are_skipped():
    class PlainSGD(SkeletonOptimizer):
        def __init__(self, params, lr=1e-3):
            super().__init__(params, {"lr": lr})

        def update(self, param, grad, state, group):
            param.add_(grad, alpha=-group["lr"])

    report = check_optimizer(PlainSGD, "SGD")
    report.assert_ok()
    assert [case.setting for case in report.cases] == ["lr=0.1"]
    assert "lr=0.1, momentum=0.9" in report.skipped
    assert "Not checked" in str(report)


def test_explicit_settings_are_run_as_given():
    report = check_optimizer(torch.optim.SGD, "SGD", kwargs=[{"lr": 0.1}, {"lr": 0.2}])
    assert [case.setting for case in report.cases] == ["lr=0.1", "lr=0.2"]
    assert check_optimizer(torch.optim.SGD, torch.optim.SGD, kwargs={"lr": 0.3}).passed


def test_student_that_trips_over_a_missing_gradient():
    class CarelessSGD(torch.optim.SGD):
        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for param in group["params"]:
                    param.add_(param.grad, alpha=-group["lr"])

    report = check_optimizer(CarelessSGD, "SGD", kwargs={"lr": 0.1})
    assert not report.passed
    assert "raised TypeError in step 1" in report.cases[0].problem
    assert report.hints == [ADVICE["none_grad"]]


def test_student_that_cannot_be_constructed():
    class Broken(torch.optim.SGD):
        def __init__(self, params, lr=0.1):
            raise RuntimeError("not written yet")

    report = check_optimizer(Broken, "SGD", kwargs={"lr": 0.1})
    assert "raised RuntimeError in the constructor: not written yet" in report.cases[0].problem


def test_skeleton_requires_an_update():
    class Empty(SkeletonOptimizer):
        def __init__(self, params):
            super().__init__(params, {})

    param = torch.zeros(2, requires_grad=True)
    param.grad = torch.ones(2)
    with pytest.raises(NotImplementedError, match="Empty must implement update"):
        Empty([param]).step()


def test_skeleton_returns_the_closure_loss():
    class Still(SkeletonOptimizer):
        def __init__(self, params):
            super().__init__(params, {})

        def update(self, param, grad, state, group):
            state["seen"] = grad.clone()

    param = torch.ones(2, requires_grad=True)
    optimizer = Still([param])
    loss = optimizer.step(lambda: (2 * param).sum().backward() or torch.tensor(4.0))
    assert loss.item() == 4.0
    assert torch.equal(optimizer.state[param]["seen"], torch.full((2,), 2.0))


@pytest.mark.parametrize(
    ("evidence", "key"),
    [
        (Evidence("SGD", {"momentum": 0.0}, step=1, factor=-1.0), "sign"),
        (Evidence("Adam", {"betas": (0.9, 0.999)}, step=1, factor=0.1), "bias_correction_m"),
        (
            Evidence("Adam", {"betas": (0.9, 0.999)}, step=1, factor=1 / math.sqrt(1e-3)),
            "bias_correction_v",
        ),
        (
            Evidence("Adam", {"decoupled_weight_decay": False}, switched_off="weight_decay"),
            "l2_weight_decay",
        ),
        (Evidence("RMSprop", {}, switched_off="weight_decay"), "weight_decay"),
        (Evidence("Adadelta", {}, switched_off="eps"), "eps_Adadelta"),
        (Evidence("", {}, switched_off="eps"), "eps"),
        (Evidence("RMSprop", {}, switched_off="centered"), "centered"),
    ],
)
def test_hints_read_the_pattern(evidence, key):
    assert optimizer_hints(evidence) == [ADVICE[key]]


def test_ratio_after_the_first_step_is_no_evidence_of_a_first_step_bug():
    evidence = Evidence("Adam", {"betas": (0.9, 0.999)}, step=2, factor=0.1)
    assert optimizer_hints(evidence) == []


@pytest.mark.parametrize("name", SCHEDULER_SETTINGS)
def test_torch_schedulers_pass(name):
    check_scheduler(getattr(torch.optim.lr_scheduler, name), name).assert_ok()


@pytest.mark.parametrize("name", OUR_SCHEDULERS)
def test_our_schedulers_pass(name):
    check_scheduler(getattr(optnotes.lr_scheduler, name), name).assert_ok()


class LaggingStepLR(torch.optim.lr_scheduler.LRScheduler):
    """StepLR that counts the construction as no step."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def get_lr(self):
        return [
            lr * self.gamma ** (max(self.last_epoch - 1, 0) // self.step_size)
            for lr in self.base_lrs
        ]


class SharedStepLR(LaggingStepLR):
    """StepLR that gives every group the first group's learning rate."""

    def get_lr(self):
        return [self.base_lrs[0] * self.gamma ** (self.last_epoch // self.step_size)] * 2


@pytest.mark.parametrize(
    ("student", "step", "key"),
    [(LaggingStepLR, 7, "scheduler_lags"), (SharedStepLR, 0, "scheduler_groups")],
)
def test_scheduler_differences_are_located_and_explained(student, step, key):
    report = check_scheduler(student, "StepLR")
    assert not report.passed
    assert f"first difference at step {step}" in report.cases[0].problem
    assert report.hints == [ADVICE[key]]


def test_scheduler_without_default_settings_needs_kwargs():
    with pytest.raises(ValueError, match="pass kwargs"):
        check_scheduler(torch.optim.lr_scheduler.LambdaLR, "LambdaLR")
    report = check_scheduler(
        torch.optim.lr_scheduler.LambdaLR, "LambdaLR", kwargs={"lr_lambda": lambda t: 0.9**t}
    )
    report.assert_ok()


@pytest.mark.parametrize("reference", ["clip_grad_norm_", "clip_grad_value_"])
@pytest.mark.parametrize("module", [torch.nn.utils, optnotes.clip], ids=["torch", "optnotes"])
def test_correct_clipping_passes(module, reference):
    check_clip(getattr(module, reference), reference).assert_ok()


def _global_norm(parameters):
    return torch.linalg.vector_norm(
        torch.cat([p.grad.flatten() for p in parameters if p.grad is not None])
    )


def clip_without_clamp(parameters, max_norm):
    parameters = list(parameters)
    total = _global_norm(parameters)
    for p in parameters:
        if p.grad is not None:
            p.grad.mul_(max_norm / (total + 1e-6))
    return total


def clip_returning_the_new_norm(parameters, max_norm):
    parameters = list(parameters)
    optnotes.clip.clip_grad_norm_(parameters, max_norm)
    return _global_norm(parameters)


def clip_ignoring_missing_grads(parameters, max_norm):
    return torch.nn.utils.clip_grad_norm_(
        [p for p in parameters if p.grad.abs().sum() > 0], max_norm
    )


@pytest.mark.parametrize(
    ("student", "key"),
    [
        (clip_without_clamp, "clip_no_op"),
        (clip_returning_the_new_norm, "clip_returns_norm"),
        (clip_ignoring_missing_grads, "none_grad"),
    ],
)
def test_clipping_bugs_are_caught_and_explained(student, key):
    report = check_clip(student)
    assert not report.passed
    assert report.hints == [ADVICE[key]]
    assert len(report.skipped) == 2  # the norm_type settings


def test_clipping_with_the_wrong_norm_type():
    def always_two_norm(parameters, max_norm, norm_type=2.0):
        return torch.nn.utils.clip_grad_norm_(parameters, max_norm)

    report = check_clip(always_two_norm)
    assert [case.passed for case in report.cases] == [True, False, False, True]
    assert ADVICE["clip_norm_type"] in report.hints
