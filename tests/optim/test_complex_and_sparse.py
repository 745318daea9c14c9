"""Complex parameters and sparse gradients: ours against torch's, bit for bit, both paths.

Torch steps a complex parameter as its ``view_as_real`` twin (every optimizer here), and
SGD and Adagrad accept sparse COO gradients (uncoalesced ones too, as an embedding with
repeated indices makes). Unlike PyTorch's own suite (``test_torch_optim_suite.py``),
these always run.
"""

import pytest
import torch

import optnotes.optim

from .cases import CASES, DEFAULT_LRS, NAMES, OPTION_GRID, assert_same_params, case_id

STEPS = 7  # RAdam's rectified branch starts at step 6
#: Torch refuses complex parameters in Adafactor (at the step): so do we, tested below.
COMPLEX = [name for name in NAMES if name != "Adafactor"]
COMPLEX_CASES = [(name, kw) for name, kw in CASES if name in COMPLEX]


def complex_params(seed=0):
    """complex64 and complex128 tensors beside a real one; the last never gets a gradient."""
    g = torch.Generator().manual_seed(seed)
    specs = [((5, 4), torch.complex64), ((4,), torch.float32), ((3, 2), torch.complex64)]
    specs += [((2,), torch.complex128), ((2, 2), torch.complex64)]
    return [torch.randn(s, generator=g, dtype=d).requires_grad_() for s, d in specs]


def complex_grads(params, step):
    """Gradients drawn from a generator seeded by the step (the same for every run)."""
    g = torch.Generator().manual_seed(1000 + step)
    return [torch.randn(p.shape, generator=g, dtype=p.dtype) for p in params[:-1]]


def build(module, name, params, kwargs):
    kwargs = dict(kwargs)
    base = kwargs.pop("lr", DEFAULT_LRS.get(name, 1.0))
    groups = [{"params": params[:2], "lr": base}, {"params": params[2:], "lr": base / 2}]
    return getattr(module, name)(groups, **kwargs)


def step_with(optimizer, params, grads):
    for param, grad in zip(params, grads, strict=False):
        param.grad = grad.clone()
    optimizer.step()


def assert_same_states(ours, theirs):
    a, b = ours.state_dict(), theirs.state_dict()
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for idx in a["state"]:
        assert a["state"][idx].keys() == b["state"][idx].keys()
        for key, mine in a["state"][idx].items():
            other = b["state"][idx][key]
            assert mine.dtype == other.dtype, f"{key} of param {idx}"
            torch.testing.assert_close(mine, other, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("case", COMPLEX_CASES, ids=case_id)
def test_complex_parameters_match_torch(case, foreach):
    name, kwargs = case
    ours_p, theirs_p = complex_params(), complex_params()
    ours = build(optnotes.optim, name, ours_p, {**kwargs, "foreach": foreach})
    theirs = build(torch.optim, name, theirs_p, {**kwargs, "foreach": foreach})
    for step in range(STEPS):
        grads = complex_grads(ours_p, step)
        step_with(ours, ours_p, grads)
        step_with(theirs, theirs_p, grads)
        assert_same_params(ours_p, theirs_p, step)
    assert_same_states(ours, theirs)
    for param in ours_p[:-1]:  # the state keeps the parameter's dtype (the views write through)
        for value in ours.state[param].values():
            if value.dim() > 0:
                assert value.dtype == param.dtype


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name", COMPLEX)
def test_a_complex_parameter_steps_as_its_real_view(name, foreach):
    options = OPTION_GRID[name][-1]  # a case with non-default options
    g = torch.Generator().manual_seed(3)
    z = torch.randn(4, 3, generator=g, dtype=torch.complex64).requires_grad_()
    x = torch.view_as_real(z).detach().clone().requires_grad_()
    cls = getattr(optnotes.optim, name)
    kw = {"lr": DEFAULT_LRS.get(name, 1.0), **options, "foreach": foreach}
    on_complex, on_real = cls([z], **kw), cls([x], **kw)
    for _ in range(STEPS):
        grad = torch.randn(z.shape, generator=g, dtype=z.dtype)
        z.grad, x.grad = grad, torch.view_as_real(grad).clone()
        on_complex.step()
        on_real.step()
        # Equal up to round-off (torch's own claim, tested with tolerances): SGD steps the
        # complex tensor as it is, and the L2 term is added in complex arithmetic.
        torch.testing.assert_close(torch.view_as_real(z), x)


def test_adafactor_refuses_complex_parameters_at_the_step_as_torch():
    errors = []
    for module in (torch.optim, optnotes.optim):
        z = torch.zeros(2, 2, dtype=torch.complex64, requires_grad=True)
        optimizer = module.Adafactor([z])  # accepted here ...
        z.grad = torch.ones_like(z)
        with pytest.raises(RuntimeError) as error:  # ... refused here
            optimizer.step()
        errors.append(str(error.value))
    assert errors[0] == errors[1] == "Adafactor does not support complex parameters"


def test_optimizers_without_complex_support_still_refuse_them():
    class Plain(optnotes.optim._base.Optimizer):
        pass

    with pytest.raises(TypeError, match="complex parameters"):
        Plain([torch.zeros(2, dtype=torch.complex64, requires_grad=True)], {"foreach": None})


# --- sparse gradients ---------------------------------------------------------------------

SPARSE = ["SGD", "Adagrad"]
SPARSE_CASES = [(name, kw) for name in SPARSE for kw in OPTION_GRID[name]]


def sparse_model(seed=0):
    """An embedding with sparse gradients and a dense layer, in one param group or two."""
    torch.manual_seed(seed)
    embedding = torch.nn.Embedding(12, 4, sparse=True)
    linear = torch.nn.Linear(4, 1)
    return embedding, linear


def sparse_loss(embedding, linear, step):
    # Repeated indices: the embedding's gradient is an uncoalesced sparse COO tensor.
    g = torch.Generator().manual_seed(2000 + step)
    indices = torch.randint(0, 12, (3, 5), generator=g)
    indices[:, 0] = indices[:, 1]
    return linear(embedding(indices)).sin().sum()


def run_sparse(module, name, kwargs, foreach, steps=STEPS):
    embedding, linear = sparse_model()
    kwargs = dict(kwargs)
    lr = kwargs.pop("lr", DEFAULT_LRS.get(name, 1.0))
    groups = [
        {"params": [embedding.weight, linear.weight]},
        {"params": [linear.bias], "lr": lr / 2},
    ]
    optimizer = getattr(module, name)(groups, lr=lr, foreach=foreach, **kwargs)
    trajectory = []
    for step in range(steps):
        optimizer.zero_grad()
        sparse_loss(embedding, linear, step).backward()
        assert embedding.weight.grad.is_sparse
        optimizer.step()
        trajectory.append([p.detach().clone() for p in (embedding.weight, *linear.parameters())])
    return optimizer, trajectory


@pytest.mark.filterwarnings("ignore:Sparse invariant checks")
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("case", SPARSE_CASES, ids=case_id)
def test_sparse_gradients_match_torch(case, foreach):
    name, kwargs = case
    try:
        theirs, their_steps = run_sparse(torch.optim, name, kwargs, foreach)
        refusal = None
    except RuntimeError as error:  # weight decay with a sparse gradient
        refusal = str(error)
    if refusal is not None:  # refused alike, with the same message
        assert kwargs.get("weight_decay", 0) != 0
        with pytest.raises(RuntimeError) as ours:
            run_sparse(optnotes.optim, name, kwargs, foreach)
        assert str(ours.value) == refusal
        return
    ours, our_steps = run_sparse(optnotes.optim, name, kwargs, foreach)
    for step, (a, b) in enumerate(zip(our_steps, their_steps, strict=True)):
        assert_same_params(a, b, step)
    a, b = ours.state_dict(), theirs.state_dict()
    assert a["param_groups"] == b["param_groups"]
    for idx in b["state"]:
        for key, value in b["state"][idx].items():
            mine = a["state"][idx][key]
            assert mine.layout == value.layout
            assert mine.dtype == value.dtype
            assert torch.equal(mine.to_dense(), value.to_dense()), f"{key} of param {idx}"


@pytest.mark.filterwarnings("ignore:Sparse invariant checks")
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name", SPARSE)
def test_sparse_gradient_steps_like_its_dense_twin(name, foreach):
    """Where the update is coordinate-wise, a sparse gradient moves only its rows."""
    embedding = torch.nn.Embedding(6, 3, sparse=True)
    before = embedding.weight.detach().clone()
    optimizer = getattr(optnotes.optim, name)(embedding.parameters(), lr=0.1, foreach=foreach)
    embedding(torch.tensor([1, 4, 1])).sum().backward()
    optimizer.step()
    moved = (embedding.weight != before).any(dim=1)
    assert moved.tolist() == [False, True, False, False, True, False]
