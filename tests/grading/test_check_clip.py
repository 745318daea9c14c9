import pytest
import torch

import optnotes.clip
from optnotes.grading import check_clip
from optnotes.grading.hints import ADVICE


@pytest.mark.parametrize("reference", ["clip_grad_norm_", "clip_grad_value_"])
@pytest.mark.parametrize("module", [torch.nn.utils, optnotes.clip], ids=["torch", "optnotes"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_correct_clipping_passes(module, reference, dtype):
    check_clip(getattr(module, reference), reference, dtype=dtype).assert_ok()


def clip_each_tensor(parameters, max_norm, norm_type=2.0):
    grads = [p.grad for p in parameters if p.grad is not None]
    for g in grads:
        g.mul_(min(1.0, max_norm / (float(torch.linalg.vector_norm(g, norm_type)) + 1e-6)))
    return torch.linalg.vector_norm(
        torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads]), norm_type
    )


def clip_by_the_sum_of_norms(parameters, max_norm, norm_type=2.0):
    grads = [p.grad for p in parameters if p.grad is not None]
    total = sum(torch.linalg.vector_norm(g, norm_type) for g in grads)
    for g in grads:
        g.mul_(torch.clamp(max_norm / (total + 1e-6), max=1.0))
    return total


@pytest.mark.parametrize(
    ("student", "key"),
    [(clip_each_tensor, "clip_per_tensor"), (clip_by_the_sum_of_norms, "clip_sum_of_norms")],
)
def test_clipping_by_the_wrong_norm_is_named(student, key):
    report = check_clip(student, "clip_grad_norm_")
    assert not report.passed
    assert ADVICE[key] in report.hints, str(report)


def test_clip_reference_is_required_and_found_in_any_case():
    with pytest.raises(TypeError):
        check_clip(optnotes.clip.clip_grad_norm_)
    check_clip(optnotes.clip.clip_grad_norm_, "CLIP_GRAD_NORM_").assert_ok()
    valid = "valid names: clip_grad_norm, clip_grad_norm_, clip_grad_value_"
    with pytest.raises(ValueError, match=valid):
        check_clip(optnotes.clip.clip_grad_norm_, "clip_norm")


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
    report = check_clip(student, "clip_grad_norm_")
    assert not report.passed
    assert report.hints == [ADVICE[key]]
    missing = [c for c in report.cases if "does not take the argument(s)" in (c.problem or "")]
    assert len(missing) == 2  # the norm_type settings


def test_clipping_with_the_wrong_norm_type():
    def always_two_norm(parameters, max_norm, norm_type=2.0):
        return torch.nn.utils.clip_grad_norm_(parameters, max_norm)

    report = check_clip(always_two_norm, "clip_grad_norm_")
    assert [case.passed for case in report.cases] == [True, False, False, True]
    assert ADVICE["clip_norm_type"] in report.hints
