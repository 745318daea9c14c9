"""state_dict: a run saved and resumed equals a run never stopped, across classes and paths."""

import copy

import pytest
import torch

import optnotes.optim

from .cases import (
    NAMES,
    assert_same_params,
    assert_same_state,
    build,
    checkpoint_cases,
    make_mixed_params,
    make_pair,
    make_params,
    mixed_step,
    param_groups,
    run,
)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("direction", ["ours->ours", "torch->ours", "ours->torch"])
def test_resume_from_state_dict(name, direction):
    """Stop after 10 steps, save, load into a fresh optimizer, go on: same as never stopping."""
    kwargs = checkpoint_cases()[name]
    (ours, ours_p), (reference, ref_p) = make_pair(name, kwargs, torch.float32)
    # The uninterrupted reference is torch's optimizer; parity makes it ours too.
    writer_is_torch = direction == "torch->ours"
    writer, writer_p = (reference, ref_p) if writer_is_torch else (ours, ours_p)
    run(writer, writer_p, 10)
    checkpoint = copy.deepcopy(writer.state_dict())
    resumed_p = [p.detach().clone().requires_grad_() for p in writer_p]
    reader_module = torch.optim if direction == "ours->torch" else optnotes.optim
    reader = getattr(reader_module, name)(param_groups(resumed_p, (1.0, 1.0)), **kwargs)
    reader.load_state_dict(checkpoint)  # also restores the two groups' learning rates

    if not writer_is_torch:
        run(reference, ref_p, 10)
    run(reference, ref_p, 10, start=10)
    run(reader, resumed_p, 10, start=10)
    assert_same_params(resumed_p, ref_p)
    assert_same_state(reader, reference)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("first", "then"), [(True, False), (False, True)])
def test_checkpoint_moves_between_paths(name, first, then):
    """A checkpoint written on one path resumes on the other, as torch's does.

    Torch's own run goes through the same save and load: loading casts floating-point
    state other than ``step`` to the parameter's dtype (NAdam's float32 ``mu_product``
    becomes float64 beside a float64 parameter), so a resumed run may differ from an
    uninterrupted one in the last bits, in torch as in ours.
    """
    kwargs = checkpoint_cases()[name]
    resumed = {}
    for module in (optnotes.optim, torch.optim):
        writer_p = make_mixed_params()
        writer = build(module, name, writer_p, {**kwargs, "foreach": first})
        for t in range(10):
            mixed_step(writer, writer_p, t)
        checkpoint = copy.deepcopy(writer.state_dict())
        reader_p = [p.detach().clone().requires_grad_() for p in writer_p]
        reader = build(module, name, reader_p, kwargs)
        reader.load_state_dict(checkpoint)
        for group in reader.param_groups:
            assert group["foreach"] is first  # loading restored the writer's choice
            group["foreach"] = then
        for t in range(10, 20):
            mixed_step(reader, reader_p, t)
        resumed[module] = reader, reader_p
    (reader, reader_p), (reference, reference_p) = resumed.values()
    for a, b in zip(reader_p, reference_p, strict=True):
        assert torch.equal(a, b)
    assert_same_state(reader, reference)


def test_adamw_keeps_decoupled_decay_when_loading_an_adam_checkpoint():
    params = make_params(torch.float32)
    adam = torch.optim.Adam(params, weight_decay=0.1)
    adamw = optnotes.optim.AdamW(params)
    adamw.load_state_dict(adam.state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True


def test_adagrad_creates_state_in_constructor():
    params = make_params(torch.float32)
    optimizer = optnotes.optim.Adagrad(params, initial_accumulator_value=0.5)
    for p in params:
        assert torch.equal(optimizer.state[p]["sum"], torch.full_like(p, 0.5))
        assert optimizer.state[p]["step"].item() == 0


@pytest.mark.parametrize("name", ["ASGD", "Rprop"])
def test_numeric_scalar_state_of_old_checkpoints_becomes_tensors_like_torch(name):
    """Old pickles hold ``step`` (ASGD: also ``eta`` and ``mu``) as numbers."""
    (ours, ours_p), (theirs, theirs_p) = make_pair(name, checkpoint_cases()[name], torch.float64)
    run(ours, ours_p, 3)
    run(theirs, theirs_p, 3)
    for optimizer in (ours, theirs):
        pickled = optimizer.__getstate__()
        for param_state in pickled["state"].values():
            for key in ("step", "eta", "mu"):
                if key in param_state:
                    param_state[key] = param_state[key].item()
        optimizer.__setstate__(pickled)
    for p, q in zip(ours_p[:-1], theirs_p[:-1], strict=True):
        for key, value in theirs.state[q].items():
            mine = ours.state[p][key]
            assert (mine.dtype, mine.device) == (value.dtype, value.device), key
            assert torch.equal(mine, value), key
    run(ours, ours_p, 3, start=3)
    run(theirs, theirs_p, 3, start=3)
    assert_same_params(ours_p, theirs_p)
