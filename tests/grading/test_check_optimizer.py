import pytest
import torch

import optnotes.optim
from optnotes.grading import MUTANTS, SkeletonOptimizer, check_optimizer
from optnotes.grading.hints import ADVICE, ignored_argument_advice
from optnotes.grading.optimizers import OPTIMIZER_SETTINGS

OPTIMIZERS = list(OPTIMIZER_SETTINGS)

# The answers to the "find the bug" exercises: what is wrong with each hand-in in
# optnotes.grading.mutants, the setting that shows it, and the advice the checker gives.
MUTANT_BUGS = {
    "adam_1": ("no bias correction", {}, ADVICE["bias_correction"]),
    "adam_2": ("ε inside the square root", {"lr": 0.01, "eps": 1e-3}, ADVICE["eps_Adam"]),
    "adamw_1": (
        "L2 penalty instead of decoupled decay",
        {"lr": 0.01, "weight_decay": 0.1},
        ADVICE["decoupled_weight_decay"],
    ),
    "sgd_1": (
        "first momentum step dampened",
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
        ADVICE["dampening"],
    ),
    "sgd_2": (
        "nesterov steps along the buffer",
        {"lr": 0.1, "momentum": 0.9, "nesterov": True},
        ignored_argument_advice("nesterov"),
    ),
    "sgd_3": ("learning rate from self.defaults", {"lr": 0.1}, ADVICE["param_groups"]),
    "adagrad_1": ("lr_decay one step early", {"lr_decay": 0.1}, ADVICE["lr_decay"]),
    "rmsprop_1": ("bias correction added", {}, ADVICE["rmsprop_bias_correction"]),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("module", [torch.optim, optnotes.optim], ids=["torch", "optnotes"])
def test_correct_optimizers_pass(module, name):
    report = check_optimizer(getattr(module, name), name)
    report.assert_ok()
    assert len(report.cases) == len(OPTIMIZER_SETTINGS[name])
    assert not report.hints
    assert report.score == 1.0


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adadelta"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_correct_optimizers_pass_long_runs_in_any_precision(name, dtype):
    cls = getattr(optnotes.optim, name)
    check_optimizer(cls, name, steps=120, seeds=[3, 11], dtype=dtype).assert_ok()


def test_every_hand_in_for_the_exercises_has_its_answer_here():
    assert set(MUTANTS) == set(MUTANT_BUGS)
    for key, mutant in MUTANTS.items():
        assert issubclass(mutant.cls, torch.optim.Optimizer)
        assert key.split("_")[0] == mutant.reference.lower()
        assert "Bug" not in mutant.cls.__doc__


@pytest.mark.parametrize("name", MUTANTS)
def test_every_mutant_is_caught_with_the_right_hint(name):
    mutant = MUTANTS[name]
    _, setting, advice = MUTANT_BUGS[name]
    for kwargs in (setting, None):  # the bug's own setting, and the default battery
        report = check_optimizer(mutant.cls, mutant.reference, kwargs=kwargs)
        assert not report.passed
        assert advice in report.hints, str(report)


def test_report_names_the_first_difference():
    mutant = MUTANTS["sgd_1"]
    report = check_optimizer(mutant.cls, "SGD", kwargs=MUTANT_BUGS["sgd_1"][1], seeds=[3])
    (case,) = report.cases
    assert case.setting == "lr=0.1, momentum=0.9, dampening=0.5"
    assert "first difference after step 1 (seed 3) in param 0[0] (shape (5,), param group 0)" in (
        case.problem
    )
    assert "round-off in float64 explains up to" in case.problem
    assert "your update is 0.5 × the reference's" in case.problem
    assert "the difference disappears with dampening=0.0" in case.problem
    assert str(report).startswith("SGD1 vs torch.optim.SGD: FAILED (0 of 1 settings agree)")


class PlainSGD(SkeletonOptimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, {"lr": lr})

    def update(self, param, grad, state, group):
        param.add_(grad, alpha=-group["lr"])


def test_a_missing_argument_fails_unless_the_teacher_lists_the_settings():
    report = check_optimizer(PlainSGD, "SGD")
    assert not report.passed
    assert [case.passed for case in report.cases] == [True] + [False] * 5
    assert "does not take the argument(s) momentum" in report.cases[1].problem
    with pytest.raises(AssertionError):
        report.assert_ok()
    check_optimizer(PlainSGD, "SGD", kwargs=[{"lr": 0.1}, {"lr": 0.3}]).assert_ok()


def test_the_reference_is_required_and_found_in_any_case():
    with pytest.raises(TypeError):
        check_optimizer(PlainSGD)
    assert check_optimizer(PlainSGD, "sgd", kwargs={"lr": 0.1}).passed
    assert check_optimizer(PlainSGD, torch.optim.SGD, kwargs={"lr": 0.1}).passed
    with pytest.raises(ValueError, match=r"no optimizer named 'Sgdd'; valid names: .*Adam"):
        check_optimizer(PlainSGD, "Sgdd")


def test_explicit_settings_are_run_as_given():
    report = check_optimizer(torch.optim.SGD, "SGD", kwargs=[{"lr": 0.1}, {"lr": 0.2}])
    assert [case.setting for case in report.cases] == ["lr=0.1", "lr=0.2"]


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
    assert "raised RuntimeError in the constructor (seed 0): not written yet" in (
        report.cases[0].problem
    )
