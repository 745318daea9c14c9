"""The scheduler hand-ins: each caught, at the step its bug first shows."""

import pytest
from torch.optim.lr_scheduler import LRScheduler

from optnotes.grading import check_scheduler
from optnotes.grading.hints import ADVICE
from optnotes.grading.scheduler_mutants import SCHEDULER_MUTANTS

# The answers: what is wrong with each hand-in, a setting that shows it, where the report
# places the first difference, and the hint the checker gives (None: it locates only).
SCHEDULER_MUTANT_BUGS = {
    "multisteplr_1": (
        "a milestone takes effect one step late (> instead of >=)",
        {"milestones": [3, 8], "gamma": 0.5},
        "first difference at step 3, param group 0:",
        ADVICE["scheduler_lags"],
    ),
    "polynomiallr_1": (
        "the step is not clamped at total_iters, so an even power climbs back",
        {"total_iters": 10, "power": 2.0},
        "first difference at step 11, param group 0:",
        None,
    ),
    "cosineannealingwarmrestarts_1": (
        "restarts every T_0 steps although the cycles grow by T_mult",
        {"T_0": 4, "T_mult": 2},
        "first difference at step 8, param group 0:",  # where the second cycle is half over
        None,
    ),
    "onecyclelr_1": (
        "the momentum rises and falls with the learning rate instead of against it",
        {"max_lr": 1.0, "total_steps": 61},
        "first difference at step 0, param group 0 (momentum): yours 0.85, reference 0.95",
        None,
    ),
}


def test_every_scheduler_hand_in_has_its_answer_here():
    assert set(SCHEDULER_MUTANTS) == set(SCHEDULER_MUTANT_BUGS)
    for key, mutant in SCHEDULER_MUTANTS.items():
        assert issubclass(mutant.cls, LRScheduler)
        assert key.split("_")[0] == mutant.reference.lower()


@pytest.mark.parametrize("name", SCHEDULER_MUTANTS)
def test_every_scheduler_mutant_is_caught_where_its_bug_shows(name):
    mutant = SCHEDULER_MUTANTS[name]
    _, setting, where, advice = SCHEDULER_MUTANT_BUGS[name]
    report = check_scheduler(mutant.cls, mutant.reference, kwargs=setting)
    assert not report.passed
    assert where in report.cases[0].problem, str(report)
    assert report.hints == ([] if advice is None else [advice])
    assert not check_scheduler(mutant.cls, mutant.reference).passed  # the default battery


def test_the_momentum_is_checked_apart_from_the_learning_rate():
    """OneCycleLR1's learning rates are torch's: without cycle_momentum it passes."""
    mutant = SCHEDULER_MUTANTS["onecyclelr_1"]
    settings = [
        {"max_lr": 0.5, "total_steps": 61, "cycle_momentum": False},
        {"max_lr": 0.5, "total_steps": 61, "cycle_momentum": False, "three_phase": True},
        {"max_lr": 0.3, "epochs": 5, "steps_per_epoch": 12, "anneal_strategy": "linear",
         "cycle_momentum": False},
    ]  # fmt: skip
    check_scheduler(mutant.cls, "OneCycleLR", kwargs=settings).assert_ok()
