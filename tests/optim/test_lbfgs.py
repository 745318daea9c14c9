"""optnotes.optim.LBFGS against torch.optim.LBFGS: every evaluation, step and state equal.

L-BFGS does not fit the generic harness of cases.py (its step needs a closure and it
takes a single param group), so it has its own problems, grid and comparisons here.
"""

import copy
import inspect
import itertools

import pytest
import torch

import optnotes.optim
from optnotes.optim.lbfgs import lbfgs_direction

STEPS = 5


# Problems: each returns fresh parameters (the last one never gets a gradient where
# there is one) and a loss of them.


def rosenbrock_2d(dtype):
    params = [torch.tensor([-1.5, 2.0], dtype=dtype, requires_grad=True)]

    def loss(params):
        (x,) = params
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    return params, loss


def rosenbrock_nd(dtype):
    """Rosenbrock in 10 dimensions, spread over tensors of several shapes."""
    g = torch.Generator().manual_seed(1)
    shapes = [(4,), (2, 3), (3,)]
    params = [(torch.rand(s, generator=g, dtype=dtype) * 2 - 1).requires_grad_() for s in shapes]

    def loss(params):
        x = torch.cat([p.reshape(-1) for p in params[:-1]])
        return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()

    return params, loss


def logistic_regression(dtype):
    g = torch.Generator().manual_seed(2)
    features = torch.randn(64, 5, generator=g, dtype=dtype)
    labels = (features @ torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0], dtype=dtype) > 0.3).to(dtype)
    params = [
        torch.zeros(5, dtype=dtype, requires_grad=True),
        torch.zeros(1, dtype=dtype, requires_grad=True),
        torch.ones(2, dtype=dtype, requires_grad=True),
    ]

    def loss(params):
        w, b, _unused = params
        logits = features @ w + b
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        return bce + 1e-2 * w.square().sum()

    return params, loss


def quadratic(dtype):
    """An ill-conditioned quadratic: L-BFGS reaches the tolerances within a few steps."""
    scales = torch.tensor([1.0, 4.0, 10.0, 0.5], dtype=dtype)
    params = [torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=dtype, requires_grad=True)]

    def loss(params):
        return 0.5 * (scales * (params[0] - 0.25) ** 2).sum()

    return params, loss


def absolute(dtype):
    """|x − c|: piecewise linear, so gradient changes vanish (yᵀs = 0, no memory update)."""
    params = [torch.tensor([2.0, -1.5, 0.3], dtype=dtype, requires_grad=True)]

    def loss(params):
        return (params[0] - 0.7).abs().sum()

    return params, loss


PROBLEMS = {
    "rosenbrock_2d": rosenbrock_2d,
    "rosenbrock_nd": rosenbrock_nd,
    "logistic": logistic_regression,
    "quadratic": quadratic,
    "absolute": absolute,
}

#: The fixed step needs a small learning rate on Rosenbrock; the line search starts at 1.
FIXED_LR = {
    "rosenbrock_2d": 1e-3,
    "rosenbrock_nd": 1e-3,
    "logistic": 0.5,
    "quadratic": 0.1,
    "absolute": 0.1,
}

BUDGETS = [
    {},
    {"max_iter": 1},
    {"max_iter": 5},
    {"max_iter": 4, "max_eval": 4},
    {"max_iter": 6, "max_eval": 2},
    {"max_iter": 10, "max_eval": 30},
]


class Run:
    """An optimizer on its own copy of a problem, recording every closure evaluation."""

    def __init__(self, cls, problem, dtype, **kwargs):
        self.params, self.loss = PROBLEMS[problem](dtype)
        self.optimizer = cls(self.params, **kwargs)
        self.evaluations = []

    def closure(self):
        assert torch.is_grad_enabled()
        self.optimizer.zero_grad()
        loss = self.loss(self.params)
        loss.backward()
        self.evaluations.append((loss.detach().clone(), [p.detach().clone() for p in self.params]))
        return loss

    def step(self):
        return self.optimizer.step(self.closure)


def make_pair(problem, dtype, **kwargs):
    if kwargs.get("line_search_fn") is None:
        kwargs.setdefault("lr", FIXED_LR[problem])
    return (
        Run(optnotes.optim.LBFGS, problem, dtype, **kwargs),
        Run(torch.optim.LBFGS, problem, dtype, **kwargs),
    )


def assert_same_value(a, b, where):
    """Equal bit for bit, with the same types: tensors, lists (of None), numbers."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype, where
        torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True, msg=where)
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_value(x, y, f"{where}[{i}]")
    else:
        assert a == b or (a != a and b != b), f"{where}: {a} vs {b}"


def assert_same_state(ours, theirs):
    a, b = ours.state_dict(), theirs.state_dict()
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for idx in a["state"]:
        assert list(a["state"][idx]) == list(b["state"][idx]), f"state keys of param {idx}"
        for key in a["state"][idx]:
            assert_same_value(a["state"][idx][key], b["state"][idx][key], f"{key} of {idx}")


def assert_same_runs(ours, theirs, step):
    """The same closure evaluations (loss and parameters) and the same parameters now."""
    assert len(ours.evaluations) == len(theirs.evaluations), f"step {step}: evaluations"
    for i, ((la, pa), (lb, pb)) in enumerate(
        zip(ours.evaluations, theirs.evaluations, strict=True)
    ):
        assert_same_value(la, lb, f"step {step}, evaluation {i}: loss")
        for j, (x, y) in enumerate(zip(pa, pb, strict=True)):
            assert_same_value(x, y, f"step {step}, evaluation {i}: param {j}")
    for j, (x, y) in enumerate(zip(ours.params, theirs.params, strict=True)):
        assert_same_value(x.detach(), y.detach(), f"step {step}: param {j}")


def run_both(ours, theirs, steps=STEPS, start=0):
    for step in range(start, start + steps):
        loss_ours, loss_theirs = ours.step(), theirs.step()
        assert_same_value(loss_ours.detach(), loss_theirs.detach(), f"step {step}: returned loss")
        assert_same_runs(ours, theirs, step)
        assert_same_state(ours.optimizer, theirs.optimizer)


GRID = [
    (problem, line_search_fn, history_size, budget)
    for problem, line_search_fn, history_size, budget in itertools.product(
        PROBLEMS, [None, "strong_wolfe"], [1, 3, 100], BUDGETS
    )
]


def grid_id(case):
    problem, line_search_fn, history_size, budget = case
    budget = ",".join(f"{k}={v}" for k, v in budget.items()) or "default-budget"
    return f"{problem}-{line_search_fn}-history={history_size}-{budget}"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("case", GRID, ids=grid_id)
def test_matches_torch_every_evaluation_and_step(case, dtype):
    problem, line_search_fn, history_size, budget = case
    ours, theirs = make_pair(
        problem, dtype, line_search_fn=line_search_fn, history_size=history_size, **budget
    )
    run_both(ours, theirs)
    if problem in ("rosenbrock_nd", "logistic"):
        unused = PROBLEMS[problem](dtype)[0][-1]
        assert ours.params[-1].grad is None
        assert torch.equal(ours.params[-1], unused), "a param without grad moved"


def test_the_grid_exercises_the_memory_and_the_line_search():
    """The problems above fill the memory, shift it, and make the line search zoom."""
    ours, _ = make_pair("rosenbrock_nd", torch.float64, line_search_fn="strong_wolfe")
    for _ in range(STEPS):
        ours.step()
    state = ours.optimizer.state[ours.params[0]]
    assert len(state["old_dirs"]) > 3
    assert state["func_evals"] > state["n_iter"]  # more evaluations than iterations: zooms
    small, _ = make_pair("rosenbrock_nd", torch.float64, history_size=3)
    for _ in range(STEPS):
        small.step()
    assert len(small.optimizer.state[small.params[0]]["old_dirs"]) == 3
    flat, _ = make_pair("absolute", torch.float64, max_iter=3)
    flat.step()
    assert flat.optimizer.state[flat.params[0]]["H_diag"] == 1  # yᵀs = 0: never updated


TOLERANCES = [
    {"tolerance_grad": 1e-3},
    {"tolerance_change": 1e-4},
    {"tolerance_change": 1e-3},
    {"tolerance_change": 0.5},
    {"tolerance_grad": 0.0, "tolerance_change": 0.0},  # only the budget stops
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("problem", ["quadratic", "rosenbrock_2d", "logistic"])
@pytest.mark.parametrize(
    "tolerances", TOLERANCES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items())
)
def test_tolerances_stop_early_as_in_torch(tolerances, problem, line_search_fn, dtype):
    """The group's tolerances end the steps (and never reach the line search: torch's code)."""
    ours, theirs = make_pair(
        problem, dtype, line_search_fn=line_search_fn, max_iter=50, **tolerances
    )
    run_both(ours, theirs)
    if problem == "quadratic" and any(tolerances.values()):
        # the tolerances, not the budget, ended the steps
        assert theirs.optimizer.state[theirs.params[0]]["n_iter"] < 50 * STEPS


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_a_step_at_an_optimum_evaluates_once_and_returns(line_search_fn):
    ours, theirs = make_pair("quadratic", torch.float64, line_search_fn=line_search_fn)
    for run in (ours, theirs):
        with torch.no_grad():
            run.params[0].fill_(0.25)
    run_both(ours, theirs, steps=2)
    assert ours.optimizer.state[ours.params[0]] == {"func_evals": 2, "n_iter": 0}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("lr", [0.5, "tensor", "1-element tensor"])
def test_tensor_learning_rate(lr, dtype):
    if lr == "tensor":
        lr = torch.tensor(0.5, dtype=dtype)
    elif lr == "1-element tensor":
        lr = torch.tensor([0.5], dtype=dtype)
    ours, theirs = make_pair("logistic", dtype, lr=lr)
    run_both(ours, theirs)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_sparse_gradients_are_densified_as_in_torch(line_search_fn):
    runs = []
    for cls in (optnotes.optim.LBFGS, torch.optim.LBFGS):
        torch.manual_seed(0)
        embedding = torch.nn.Embedding(10, 3, sparse=True)
        optimizer = cls(embedding.parameters(), line_search_fn=line_search_fn, lr=0.1)

        def closure(embedding=embedding, optimizer=optimizer):
            optimizer.zero_grad()
            loss = (embedding(torch.tensor([1, 2, 2])) - 1).square().sum()
            loss.backward()
            return loss

        for _ in range(3):
            optimizer.step(closure)
        runs.append((embedding.weight.detach(), optimizer))
    (w_ours, ours), (w_theirs, theirs) = runs
    assert torch.equal(w_ours, w_theirs)
    assert_same_state(ours, theirs)


# Checkpoints.


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("direction", ["ours->ours", "torch->ours", "ours->torch"])
def test_resume_from_state_dict(direction, line_search_fn, dtype):
    """Stop after 3 steps, save, load into a fresh optimizer, go on: same as never stopping."""
    kwargs = {"line_search_fn": line_search_fn, "history_size": 4, "max_iter": 5}
    writer_cls = torch.optim.LBFGS if direction == "torch->ours" else optnotes.optim.LBFGS
    reader_cls = torch.optim.LBFGS if direction == "ours->torch" else optnotes.optim.LBFGS
    if line_search_fn is None:
        kwargs["lr"] = FIXED_LR["rosenbrock_nd"]
    writer = Run(writer_cls, "rosenbrock_nd", dtype, **kwargs)
    reference = Run(torch.optim.LBFGS, "rosenbrock_nd", dtype, **kwargs)
    for _ in range(3):
        writer.step()
        reference.step()
    checkpoint = copy.deepcopy(writer.optimizer.state_dict())
    reader = Run(reader_cls, "rosenbrock_nd", dtype, **{**kwargs, "lr": 7.0, "max_iter": 1})
    with torch.no_grad():
        for p, q in zip(reader.params, writer.params, strict=True):
            p.copy_(q)
    reader.optimizer.load_state_dict(checkpoint)  # restores lr and max_iter too
    reference.evaluations = []
    run_both(reader, reference, steps=3, start=3)


def test_state_layout_is_torchs():
    ours, theirs = make_pair("rosenbrock_nd", torch.float32, line_search_fn="strong_wolfe")
    run_both(ours, theirs, steps=2)
    keys = ["func_evals", "n_iter", "al", "d", "t", "old_dirs", "old_stps", "ro", "H_diag"]
    keys += ["prev_flat_grad", "prev_loss"]
    state = ours.optimizer.state_dict()["state"]
    assert list(state) == [0]  # all of it under the first parameter
    assert list(state[0]) == keys


# The two-loop recursion on its own.


def test_two_loop_recursion_is_the_inverse_hessian_product():
    """With pairs from a quadratic, -H g from the two loops equals the BFGS matrix's."""
    g = torch.Generator().manual_seed(3)
    n, m = 6, 4
    a = torch.randn(n, n, generator=g, dtype=torch.float64)
    hessian = a @ a.T + n * torch.eye(n, dtype=torch.float64)
    steps = [torch.randn(n, generator=g, dtype=torch.float64) for _ in range(m)]
    changes = [hessian @ s for s in steps]
    ro = [1.0 / y.dot(s) for y, s in zip(changes, steps, strict=True)]
    gamma = steps[-1].dot(changes[-1]) / changes[-1].dot(changes[-1])
    # H built by the BFGS update (Nocedal & Wright, eq. 6.17) from H⁰ = γI
    inverse = gamma * torch.eye(n, dtype=torch.float64)
    eye = torch.eye(n, dtype=torch.float64)
    for s, y, r in zip(steps, changes, ro, strict=True):
        inverse = (eye - r * torch.outer(s, y)) @ inverse @ (eye - r * torch.outer(y, s))
        inverse = inverse + r * torch.outer(s, s)
    grad = torch.randn(n, generator=g, dtype=torch.float64)
    direction = lbfgs_direction(grad, changes, steps, ro, gamma, [None] * m)
    torch.testing.assert_close(direction, -inverse @ grad)
    assert torch.allclose(inverse @ changes[-1], steps[-1])  # the secant equation


# Interface: signature, defaults, validation, closure protocol.


def test_same_signature_as_torch():
    ours = inspect.signature(optnotes.optim.LBFGS)
    theirs = inspect.signature(torch.optim.LBFGS)
    assert list(ours.parameters) == list(theirs.parameters)
    for param in theirs.parameters.values():
        mine = ours.parameters[param.name]
        assert mine.kind == param.kind, param.name
        assert mine.default == param.default, param.name
    assert issubclass(optnotes.optim.LBFGS, torch.optim.Optimizer)
    assert "LBFGS" in optnotes.optim.__all__


@pytest.mark.parametrize("max_iter", [1, 3, 4, 7, 20, 21])
def test_max_eval_default_is_max_iter_times_5_floordiv_4(max_iter):
    params = rosenbrock_2d(torch.float32)[0]
    ours = optnotes.optim.LBFGS(params, max_iter=max_iter)
    theirs = torch.optim.LBFGS(params, max_iter=max_iter)
    assert ours.defaults == theirs.defaults
    assert ours.defaults["max_eval"] == max_iter * 5 // 4


def two_groups(params):
    return [{"params": params[:1]}, {"params": params[1:]}]


INVALID = [
    ({"lr": -0.1}, None),
    ({"lr": torch.tensor([0.1, 0.2])}, None),
    ({}, two_groups),
    ({}, lambda params: []),
]


@pytest.mark.parametrize("case", INVALID, ids=["lr", "lr-tensor", "groups", "empty"])
def test_invalid_arguments_raise_like_torch(case):
    kwargs, make_groups = case
    params = rosenbrock_nd(torch.float32)[0]
    params = make_groups(params) if make_groups else params
    message = r"Invalid learning rate|1-element|parameter groups|empty parameter list"
    with pytest.raises(ValueError, match=message) as theirs:
        torch.optim.LBFGS(params, **kwargs)
    with pytest.raises(ValueError, match=message) as ours:
        optnotes.optim.LBFGS(params, **kwargs)
    assert str(ours.value) == str(theirs.value)


def test_unknown_line_search_fails_at_the_step_as_in_torch():
    ours, theirs = make_pair("quadratic", torch.float32, line_search_fn="backtracking")
    with pytest.raises(RuntimeError) as their_error:
        theirs.step()
    with pytest.raises(RuntimeError) as our_error:
        ours.step()
    assert str(our_error.value) == str(their_error.value)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_complex_parameters_step_as_their_real_views_as_in_torch(line_search_fn):
    # |z - c|² over complex z: torch's L-BFGS works on the real view of the vector
    target = torch.tensor([1 + 2j, -0.5 + 0.25j, 3 - 1j], dtype=torch.complex64)
    runs = []
    for module in (torch.optim, optnotes.optim):
        z = torch.zeros(3, dtype=torch.complex64, requires_grad=True)
        optimizer = module.LBFGS([z], line_search_fn=line_search_fn, max_iter=5)

        def closure(z=z, optimizer=optimizer):
            optimizer.zero_grad()
            loss = (z - target).abs().pow(2).sum()
            loss.backward()
            return loss

        losses = [optimizer.step(closure) for _ in range(3)]
        runs.append((z.detach().clone(), torch.stack(losses)))
    (z_torch, losses_torch), (z_ours, losses_ours) = runs
    assert torch.equal(z_ours, z_torch)
    assert torch.equal(losses_ours, losses_torch)
    assert not torch.equal(z_ours, torch.zeros_like(z_ours))  # it moved


def test_step_returns_the_first_loss_and_runs_the_closure_with_grad():
    ours = Run(optnotes.optim.LBFGS, "logistic", torch.float32)
    first = []

    def closure():
        loss = ours.closure()
        first.append(loss)
        return loss

    with torch.no_grad():
        returned = ours.optimizer.step(closure)
    assert returned is first[0]
    assert returned.requires_grad
    assert len(first) == ours.optimizer.state[ours.params[0]]["func_evals"] > 1
