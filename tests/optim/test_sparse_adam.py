"""SparseAdam against torch's: bit for bit on an embedding's sparse gradients.

The generic harness (``cases.py``) steps dense gradients, which SparseAdam refuses, so
SparseAdam has this file: parity every step (two param groups, a row never looked up,
a parameter without gradient, float32 and float64, every option), state layout,
checkpoints both ways mid-run, signature and errors.
"""

import copy
import inspect

import pytest
import torch

import optnotes.optim

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")

STEPS = 8
OPTIONS = [
    {},
    {"maximize": True},
    {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-3},
    {"lr": torch.tensor(0.01)},
    {"lr": torch.tensor([0.01])},
    {"betas": (0.0, 0.0)},
]


def option_id(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "defaults"


class Model(torch.nn.Module):
    """Two sparse embeddings (one in each param group) and an unused one."""

    def __init__(self, dtype, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.words = torch.nn.Embedding(20, 4, sparse=True, dtype=dtype)
        self.bag = torch.nn.EmbeddingBag(10, 4, mode="sum", sparse=True, dtype=dtype)
        self.unused = torch.nn.Embedding(3, 4, sparse=True, dtype=dtype)

    def loss(self, step):
        g = torch.Generator().manual_seed(100 + step)
        words = torch.randint(0, 19, (6, 3), generator=g)  # row 19 is never looked up
        words[:, 1] = words[:, 0]  # repeated rows: uncoalesced gradients
        bags = torch.randint(0, 10, (4, 3), generator=g)
        return (self.words(words).sin().sum() + self.bag(bags).pow(2).sum()) * (1 + step % 3)


def make(module, kwargs, dtype):
    model = Model(dtype)
    kwargs = copy.deepcopy(kwargs)
    groups = [
        {"params": [model.words.weight, model.unused.weight]},
        {"params": [model.bag.weight], "lr": 0.02},
    ]
    return model, module.SparseAdam(groups, **kwargs)


def step(model, optimizer, t):
    optimizer.zero_grad()
    model.loss(t).backward()
    optimizer.step()


def assert_same_state(ours, theirs):
    a, b = ours.state_dict(), theirs.state_dict()
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for idx, state in b["state"].items():
        assert a["state"][idx].keys() == state.keys()
        assert type(a["state"][idx]["step"]) is int
        assert a["state"][idx]["step"] == state["step"]
        for key in ("exp_avg", "exp_avg_sq"):
            assert a["state"][idx][key].dtype == state[key].dtype
            assert torch.equal(a["state"][idx][key], state[key]), f"{key} of param {idx}"


def assert_same_params(ours, theirs, t):
    for (name, a), b in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b), f"{name} at step {t}"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kwargs", OPTIONS, ids=option_id)
def test_matches_torch_every_step(kwargs, dtype):
    ours_model, ours = make(optnotes.optim, kwargs, dtype)
    theirs_model, theirs = make(torch.optim, kwargs, dtype)
    for t in range(STEPS):
        step(ours_model, ours, t)
        step(theirs_model, theirs, t)
        assert_same_params(ours_model, theirs_model, t)
    assert_same_state(ours, theirs)
    assert ours_model.unused.weight not in ours.state  # never a gradient, never a state
    # a row never looked up keeps its value
    assert torch.equal(ours_model.words.weight[19], Model(dtype).words.weight[19])


@pytest.mark.parametrize("direction", ["torch_to_ours", "ours_to_torch"])
@pytest.mark.parametrize("kwargs", OPTIONS[:3], ids=option_id)
def test_checkpoints_both_ways_mid_run(kwargs, direction):
    source = optnotes.optim if direction == "ours_to_torch" else torch.optim
    target = torch.optim if direction == "ours_to_torch" else optnotes.optim
    model, optimizer = make(source, kwargs, torch.float32)
    for t in range(3):
        step(model, optimizer, t)
    checkpoint = copy.deepcopy(optimizer.state_dict())
    params = copy.deepcopy(model.state_dict())

    resumed_model, resumed = make(target, kwargs, torch.float32)
    resumed_model.load_state_dict(params)
    resumed.load_state_dict(checkpoint)
    assert type(resumed.state[resumed_model.words.weight]["step"]) is int
    for t in range(3, STEPS):
        step(model, optimizer, t)
        step(resumed_model, resumed, t)
        assert_same_params(resumed_model, model, t)
    ours, theirs = (resumed, optimizer) if target is optnotes.optim else (optimizer, resumed)
    assert_same_state(ours, theirs)


def test_step_is_an_int_after_loading_an_int_step():
    model, optimizer = make(optnotes.optim, {}, torch.float32)
    step(model, optimizer, 0)
    checkpoint = optimizer.state_dict()
    optimizer.load_state_dict(checkpoint)
    assert optimizer.state_dict()["state"][0]["step"] == 1
    assert type(optimizer.state_dict()["state"][0]["step"]) is int


def test_same_signature_as_torch():
    ours = inspect.signature(optnotes.optim.SparseAdam)
    theirs = inspect.signature(torch.optim.SparseAdam)
    assert list(ours.parameters) == list(theirs.parameters)
    for param in theirs.parameters.values():
        mine = ours.parameters[param.name]
        assert (mine.kind, mine.default) == (param.kind, param.default), param.name


def test_is_exported_and_a_torch_optimizer():
    assert "SparseAdam" in optnotes.optim.__all__
    assert issubclass(optnotes.optim.SparseAdam, torch.optim.Optimizer)


def raised(build):
    try:
        build()
    except Exception as error:
        return type(error), str(error)
    return None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": 0.0},
        {"lr": -1e-3},
        {"lr": torch.tensor([1e-3, 1e-3])},
        {"eps": 0.0},
        {"betas": (1.0, 0.9)},
        {"betas": (0.9, -0.1)},
    ],
    ids=option_id,
)
def test_invalid_arguments_raise_like_torch(kwargs):
    params = [torch.zeros(3, requires_grad=True)]
    theirs = raised(lambda: torch.optim.SparseAdam(params, **kwargs))
    assert theirs is not None
    assert theirs[0] is ValueError
    assert raised(lambda: optnotes.optim.SparseAdam(params, **kwargs)) == theirs


@pytest.mark.parametrize(
    "params",
    [
        lambda: [torch.zeros(3, requires_grad=True), torch.zeros(2, dtype=torch.complex64)],
        lambda: [{"params": [torch.zeros(2)]}, {"params": [torch.zeros(3).to_sparse()]}],
    ],
    ids=["complex", "sparse"],
)
def test_complex_and_sparse_params_are_refused_like_torch(params):
    theirs = raised(lambda: torch.optim.SparseAdam(params()))
    assert theirs is not None
    assert theirs[0] is ValueError
    assert raised(lambda: optnotes.optim.SparseAdam(params())) == theirs


def test_dense_gradients_are_refused_like_torch():
    results = []
    for module in (torch.optim, optnotes.optim):
        model = torch.nn.Linear(3, 1)
        model(torch.ones(3)).sum().backward()
        optimizer = module.SparseAdam(model.parameters())
        results.append(raised(optimizer.step))
    assert results[0] is not None
    assert results[0][0] is RuntimeError
    assert results[1] == results[0]


def test_an_empty_sparse_gradient_moves_nothing():
    param = torch.ones(5, 1, requires_grad=True)
    optimizer = optnotes.optim.SparseAdam([param])
    param.grad = torch.sparse_coo_tensor(torch.empty((1, 0)), torch.empty((0, 1)), (5, 1))
    optimizer.step()
    assert torch.equal(param, torch.ones(5, 1))
