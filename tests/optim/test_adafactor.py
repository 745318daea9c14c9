"""Adafactor's particulars that the generic tests do not reach: a tensor lr, eps1=None."""

import pytest
import torch

import optnotes.optim

from .cases import assert_same_params, assert_same_state, make_pair, run


@pytest.mark.parametrize("foreach", [False, True], ids=["single-tensor", "foreach"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(), (1,)], ids=["0-dim", "1-element"])
def test_tensor_learning_rate_matches_torch_bit_for_bit(shape, dtype, foreach):
    """Torch keeps a tensor lr a tensor (squeezed to 0-dim): ρ, α and the decay factor
    become float32 tensors. Ours passes it on unchanged and so rounds the same way."""
    kwargs = {"weight_decay": 0.1, "foreach": foreach, "lr": 0.5}
    (ours, ours_p), (theirs, theirs_p) = make_pair("Adafactor", kwargs, dtype)
    for opt in (ours, theirs):
        for group in opt.param_groups:
            group["lr"] = torch.full(shape, group["lr"])
    for step in range(12):  # lr 0.5 > 1/√t from t = 5 on: min(lr, 1/√t) takes both sides
        run(ours, ours_p, 1, start=step)
        run(theirs, theirs_p, 1, start=step)
        assert_same_params(ours_p, theirs_p, step)
    assert_same_state(ours, theirs)


def tiny_gradient_run(module, params, foreach):
    """|g| = 1e-10: float32's epsilon floors √V̂ (ε₁² ≈ 1.4e-14 > g²), float64's does not."""
    optimizer = module.Adafactor(params, foreach=foreach)
    for _ in range(5):
        optimizer.zero_grad()
        sum(1e-10 * p.sum() for p in params).backward()
        optimizer.step()


@pytest.mark.parametrize("foreach", [False, True], ids=["single-tensor", "foreach"])
def test_eps1_none_is_the_first_parameters_epsilon_for_the_whole_group(foreach):
    """``eps=(None, ...)``: torch reads the epsilon off the first parameter (per-tensor path)
    or the first dtype group (multi-tensor path) and keeps it for the rest of the group."""

    def make():
        g = torch.Generator().manual_seed(0)
        return [
            torch.randn(3, 2, generator=g).requires_grad_(),
            torch.randn(4, generator=g, dtype=torch.float64).requires_grad_(),
            torch.randn(2, 2, generator=g, dtype=torch.float64).requires_grad_(),
            torch.randn(5, generator=g).requires_grad_(),
        ]

    ours, theirs = make(), make()
    tiny_gradient_run(optnotes.optim, ours, foreach)
    tiny_gradient_run(torch.optim, theirs, foreach)
    assert_same_params(ours, theirs)
    # Each param alone gets its own dtype's epsilon; in the group some took the other's
    # and moved otherwise (the case is live, not vacuous).
    alone = [[p] for p in make()]
    for single in alone:
        tiny_gradient_run(torch.optim, single, foreach)
    assert any(not torch.equal(p, a) for p, (a,) in zip(ours, alone, strict=True))
