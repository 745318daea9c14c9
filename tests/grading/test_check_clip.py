import pytest
import torch

import optnotes.clip
from optnotes.grading import check_clip
from optnotes.grading.hints import ADVICE


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
