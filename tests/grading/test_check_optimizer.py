import pytest
import torch

import optnotes.optim
from optnotes.grading import MUTANTS, SkeletonOptimizer, check_optimizer
from optnotes.grading.hints import ADVICE
from optnotes.grading.optimizers import OPTIMIZER_SETTINGS

OPTIMIZERS = list(OPTIMIZER_SETTINGS)


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
