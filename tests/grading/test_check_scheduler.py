import pytest
import torch

import optnotes.lr_scheduler
from optnotes.grading import check_scheduler
from optnotes.grading.hints import ADVICE
from optnotes.grading.schedulers import SCHEDULER_SETTINGS

OUR_SCHEDULERS = [name for name in SCHEDULER_SETTINGS if hasattr(optnotes.lr_scheduler, name)]


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


def test_scheduler_reference_is_required_found_in_any_case_and_typos_listed():
    with pytest.raises(TypeError):
        check_scheduler(torch.optim.lr_scheduler.StepLR)
    check_scheduler(torch.optim.lr_scheduler.StepLR, "steplr").assert_ok()
    with pytest.raises(ValueError, match=r"no scheduler named 'StepRL'; valid names: .*StepLR"):
        check_scheduler(torch.optim.lr_scheduler.StepLR, "StepRL")


def test_a_scheduler_missing_an_argument_fails():
    class HalvingLR(torch.optim.lr_scheduler.LRScheduler):
        def __init__(self, optimizer, T_max):  # no eta_min
            super().__init__(optimizer)

        def get_lr(self):
            return [lr * 0.5**self.last_epoch for lr in self.base_lrs]

    report = check_scheduler(HalvingLR, "CosineAnnealingLR")
    assert not report.passed
    assert "does not take the argument(s) eta_min" in report.cases[1].problem
