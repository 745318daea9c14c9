"""optnotes.clip against torch.nn.utils."""

import pytest
import torch

from optnotes.clip import clip_grad_norm_, clip_grad_value_, grad_norm

NORM_TYPES = [1, 2, 2.0, 3.5, 0.5, float("inf"), "inf"]


def make_params(dtype=torch.float32, scale=1.0, seed=0):
    """Several parameters of different shapes, one of them without a gradient."""
    gen = torch.Generator().manual_seed(seed)
    shapes = [(5, 3), (7,), (2, 2, 2), (4,), ()]
    params = [torch.nn.Parameter(torch.randn(s, generator=gen, dtype=dtype)) for s in shapes]
    for p in params:
        p.grad = scale * torch.randn(p.shape, generator=gen, dtype=dtype)
    params[3].grad = None
    return params


def grads(params):
    return [None if p.grad is None else p.grad.clone() for p in params]


def assert_same_grads(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert (x is None) == (y is None)
        if x is not None:
            torch.testing.assert_close(x, y, rtol=0, atol=0, equal_nan=True)  # bit for bit


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e3])  # below and above the total norm
def test_clip_grad_norm_same_as_torch(max_norm, norm_type, dtype):
    ours, theirs = make_params(dtype), make_params(dtype)
    before = grad_norm(ours, norm_type)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total.dtype == expected.dtype
    assert torch.equal(total, expected)
    assert torch.equal(before, total)  # the norm before clipping
    assert_same_grads(grads(ours), grads(theirs))
    after = grad_norm(ours, norm_type)
    if max_norm < before:
        assert after == pytest.approx(max_norm, rel=1e-5)
    else:
        assert torch.equal(after, before)


@pytest.mark.parametrize("norm_type", NORM_TYPES)
def test_grad_norm_changes_nothing_and_matches_torch(norm_type):
    params = make_params(torch.float64)
    saved = grads(params)
    norm = grad_norm(params, norm_type)
    assert_same_grads(grads(params), saved)
    present = [g for g in saved if g is not None]
    assert torch.equal(norm, torch.nn.utils.get_total_norm(present, norm_type))
    flat = torch.cat([g.flatten() for g in present])  # the norm of all gradients in one vector
    assert norm.item() == pytest.approx(torch.linalg.vector_norm(flat, float(norm_type)).item())


def test_single_tensor_and_generator_and_foreach():
    ours, theirs = make_params(), make_params()
    assert torch.equal(
        clip_grad_norm_(ours[0], 0.5), torch.nn.utils.clip_grad_norm_(theirs[0], 0.5)
    )
    assert torch.equal(ours[0].grad, theirs[0].grad)
    for foreach in (None, False, True):
        ours, theirs = make_params(), make_params()
        total = clip_grad_norm_((p for p in ours), 0.5, foreach=foreach)
        assert torch.equal(total, torch.nn.utils.clip_grad_norm_(theirs, 0.5, foreach=foreach))
        assert_same_grads(grads(ours), grads(theirs))


def test_no_gradients():
    assert torch.equal(clip_grad_norm_([], 1.0), torch.tensor(0.0))
    assert torch.equal(grad_norm([torch.nn.Parameter(torch.ones(2))]), torch.tensor(0.0))
    for clip in (clip_grad_norm_, torch.nn.utils.clip_grad_norm_):
        with pytest.warns(UserWarning, match="empty generator"):
            clip((p for p in []), 1.0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("norm_type", [2.0, float("inf")])
def test_nonfinite_gradients(bad, norm_type):
    ours, theirs = make_params(), make_params()
    for params in (ours, theirs):
        params[1].grad[2] = bad
    for clip, params in ((clip_grad_norm_, ours), (torch.nn.utils.clip_grad_norm_, theirs)):
        with pytest.raises(RuntimeError, match="non-finite"):
            clip(params, 1.0, norm_type, error_if_nonfinite=True)
    # without the check the non-finite norm spreads into the gradients, as in torch
    total = clip_grad_norm_(ours, 1.0, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    assert torch.allclose(total, expected, equal_nan=True)
    assert_same_grads(grads(ours), grads(theirs))


@pytest.mark.parametrize("clip_value", [0.0, 0.3, 1.0, 10.0])
def test_clip_grad_value_same_as_torch(clip_value):
    ours, theirs = make_params(scale=2.0), make_params(scale=2.0)
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    assert_same_grads(grads(ours), grads(theirs))
    assert max(p.grad.abs().max() for p in ours if p.grad is not None) <= clip_value
    clip_grad_value_(ours[0], clip_value / 2)  # a single tensor
    torch.nn.utils.clip_grad_value_(theirs[0], clip_value / 2)
    assert torch.equal(ours[0].grad, theirs[0].grad)
