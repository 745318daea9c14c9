"""What the optimizer tests share: option grids, parameters, losses, runs and comparisons."""

import importlib
import itertools

import torch

import optnotes.optim

NAMES = [
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adamax",
    "NAdam",
    "RAdam",
    "ASGD",
    "Rprop",
    "Adafactor",
]

#: The module whose update functions each class calls (AdamW is Adam's).
ALGORITHM = {
    "SGD": "sgd",
    "Adam": "adam",
    "AdamW": "adam",
    "RMSprop": "rmsprop",
    "Adagrad": "adagrad",
    "Adadelta": "adadelta",
    "Adamax": "adamax",
    "NAdam": "nadam",
    "RAdam": "radam",
    "ASGD": "asgd",
    "Rprop": "rprop",
    "Adafactor": "adafactor",
}


def algorithm_module(name):
    """The module of optnotes.optim that holds the update functions of optimizer ``name``."""
    return importlib.import_module(f"optnotes.optim.{ALGORITHM[name]}")


def grid(**axes):
    """All combinations of the given option values, as kwargs dicts."""
    keys = list(axes)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*axes.values())]


def sgd_grid():
    return [
        kw
        for kw in grid(
            momentum=[0.0, 0.9],
            dampening=[0.0, 0.5],
            nesterov=[False, True],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        )
        if not kw["nesterov"] or (kw["momentum"] > 0 and kw["dampening"] == 0)
    ]


OPTION_GRID = {
    "SGD": sgd_grid(),
    "Adam": [
        *grid(
            amsgrad=[False, True],
            weight_decay=[0.0, 0.1],
            decoupled_weight_decay=[False, True],
            maximize=[False, True],
        ),
        {"betas": (0.5, 0.9), "eps": 0.001},
    ],
    "AdamW": grid(amsgrad=[False, True], weight_decay=[0.01, 0.3], maximize=[False, True]),
    "RMSprop": [
        *grid(
            centered=[False, True],
            momentum=[0.0, 0.9],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        ),
        {"alpha": 0.5, "eps": 0.001},
    ],
    "Adagrad": [
        *grid(
            lr_decay=[0.0, 0.05],
            initial_accumulator_value=[0.0, 0.1],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        ),
        {"eps": 0.001},
    ],
    "Adadelta": grid(
        rho=[0.9, 0.5, 0.0, 1.0], lr=[1.0, 0.5], weight_decay=[0.0, 0.1], maximize=[False, True]
    ),
    "Adamax": [
        *grid(weight_decay=[0.0, 0.1], maximize=[False, True], lr=[0.002, 0.05]),
        {"betas": (0.5, 0.9), "eps": 0.001},
        {"betas": (0.0, 0.0)},
    ],
    "NAdam": [
        *grid(
            weight_decay=[0.0, 0.1],
            decoupled_weight_decay=[False, True],
            momentum_decay=[4e-3, 0.0, 0.5],
            maximize=[False, True],
        ),
        {"betas": (0.5, 0.9), "eps": 0.001, "lr": 0.05},
    ],
    "RAdam": [
        *grid(
            weight_decay=[0.0, 0.1],
            decoupled_weight_decay=[False, True],
            maximize=[False, True],
        ),
        {"betas": (0.9, 0.5)},  # ρ∞ = 3: never rectified, always the momentum step
        {"betas": (0.5, 0.9), "eps": 0.001, "lr": 0.05},  # rectified from step 6 on
    ],
    "ASGD": [
        # t0=5: μ < 1 from step 8 on, so the 30 steps average; λ=0.5 makes η decay visibly
        *grid(
            lambd=[1e-4, 0.5],
            t0=[1e6, 5.0],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
        ),
        {"alpha": 0.5, "t0": 0.0, "lr": 0.05},
        {"alpha": 1.0, "t0": 2.5, "lambd": 0.1, "weight_decay": 0.2},
    ],
    "Rprop": [
        *grid(etas=[(0.5, 1.2), (0.3, 2.0)], maximize=[False, True]),
        {"step_sizes": (0.005, 0.02)},  # both bounds bind
        {"lr": 0.1, "step_sizes": (1e-3, 0.05)},  # Δ₀ above the maximum: clipped at step 1
        {"lr": 1e-4, "step_sizes": (1e-3, 50.0), "etas": (0.9, 1.1)},  # Δ₀ below the minimum
    ],
    "Adafactor": [
        # lr 0.5 (0.25 in the second group): ρ = min(lr, 1/√t) switches to 1/√t at t = 5 (17)
        *grid(weight_decay=[0.0, 0.1], maximize=[False, True], lr=[0.01, 0.5]),
        {"beta2_decay": 0.0},  # β̂₂ = 0: V̂ from the current gradient alone
        {"beta2_decay": -0.3, "d": 3.0},  # slower decay; looser clipping
        {"d": 1e6},  # update clipping never acts
        {"eps": (0.5, 1e-3), "lr": 0.5},  # ε₁ floors √V̂ and the mean row factor
        {"eps": (1e-30, 10.0)},  # the paper's ε₁; ε₂ above RMS(θ): α = ε₂ρ
        {"eps": (0.0, 0.0), "weight_decay": 0.1},
    ],
}
CASES = [(name, kw) for name in NAMES for kw in OPTION_GRID[name]]


def case_id(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def checkpoint_cases():
    """One option set per optimizer that creates every kind of state it has."""
    return {
        "SGD": {"momentum": 0.9, "nesterov": True},
        "Adam": {"amsgrad": True, "weight_decay": 0.1},
        "AdamW": {"amsgrad": True},
        "RMSprop": {"centered": True, "momentum": 0.5},
        "Adagrad": {"lr_decay": 0.1, "initial_accumulator_value": 0.2},
        "Adadelta": {"weight_decay": 0.1},
        "Adamax": {"weight_decay": 0.1},
        "NAdam": {"weight_decay": 0.1, "momentum_decay": 0.01},
        "RAdam": {"weight_decay": 0.1, "betas": (0.9, 0.9)},
        "ASGD": {"lambd": 0.1, "t0": 3.0, "weight_decay": 0.1},  # averaging before the save
        "Rprop": {"etas": (0.4, 1.5), "step_sizes": (1e-4, 1.0)},
        "Adafactor": {"weight_decay": 0.1, "lr": 0.5},  # row_var, col_var (2-D, 3-D), variance
    }


DEFAULT_LRS = {
    "SGD": 0.01,
    "Adam": 0.01,
    "AdamW": 0.01,
    "RMSprop": 0.01,
    "Adagrad": 0.1,
    "Adamax": 0.01,
    "NAdam": 0.01,
    "RAdam": 0.01,
    "ASGD": 0.05,
    "Rprop": 0.01,
    "Adafactor": 0.01,
}


# One dtype: two groups with different learning rates.


def make_params(dtype, seed=0):
    """Tensors of several shapes; the last one never receives a gradient."""
    g = torch.Generator().manual_seed(seed)
    shapes = [(5, 4), (4,), (3, 2, 2), (1,), (2, 3)]
    return [torch.randn(s, generator=g, dtype=dtype).requires_grad_() for s in shapes]


def loss_fn(params, step):
    """A smooth, non-quadratic loss whose gradients change from step to step."""
    *trained, _unused = params
    total = 0.0
    for i, p in enumerate(trained):
        total = total + (p - 0.1 * (i + 1)).pow(2).sum() + torch.sin(p * (1 + step % 3)).sum()
    return total


def param_groups(params, lrs):
    """Two groups with different learning rates (the unused param goes in the second)."""
    return [{"params": params[:2], "lr": lrs[0]}, {"params": params[2:], "lr": lrs[1]}]


def make_pair(name, kwargs, dtype, seed=0):
    """A torch optimizer and ours, on identical copies of the same parameters."""
    ours_p, theirs_p = make_params(dtype, seed), make_params(dtype, seed)
    kwargs = dict(kwargs)
    base = kwargs.pop("lr", DEFAULT_LRS.get(name, 1.0))
    lrs = (base, base / 2)
    ours = getattr(optnotes.optim, name)(param_groups(ours_p, lrs), **kwargs)
    theirs = getattr(torch.optim, name)(param_groups(theirs_p, lrs), **kwargs)
    return (ours, ours_p), (theirs, theirs_p)


def run(optimizer, params, steps, start=0):
    for step in range(start, start + steps):
        optimizer.zero_grad()
        loss_fn(params, step).backward()
        optimizer.step()


# Both dtypes in each group: the multi-tensor path splits them.


def make_mixed_params(seed=0):
    """float32 and float64 params side by side; the last one never receives a gradient."""
    g = torch.Generator().manual_seed(seed)
    specs = [((5, 4), torch.float32), ((4,), torch.float64), ((3, 2, 2), torch.float64)]
    specs += [((2, 3), torch.float32), ((1,), torch.float32)]
    return [torch.randn(s, generator=g, dtype=d).requires_grad_() for s, d in specs]


def mixed_loss(params, step, late=()):
    """A smooth loss; params listed in ``late`` only take part from step 5 on."""
    *trained, _unused = params
    total = 0.0
    for i, p in enumerate(trained):
        if i in late and step < 5:
            continue
        total = total + ((p - 0.1 * (i + 1)).pow(2) + torch.sin(p * (1 + step % 3))).sum()
    return total


def build(module, name, params, kwargs):
    """Two param groups with different learning rates; each holds both dtypes."""
    kwargs = dict(kwargs)
    base = kwargs.pop("lr", DEFAULT_LRS.get(name, 1.0))
    groups = [{"params": params[:2], "lr": base}, {"params": params[2:], "lr": base / 2}]
    return getattr(module, name)(groups, **kwargs)


def mixed_step(optimizer, params, t, late=()):
    optimizer.zero_grad()
    mixed_loss(params, t, late).backward()
    optimizer.step()


# Comparisons.


def assert_same_params(ours, theirs, step=None):
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        # The updates use torch's operations in torch's order: equal bit for bit
        # (NaN where torch has NaN, e.g. a diverging random hyper-parameter draw).
        torch.testing.assert_close(
            a, b, rtol=0, atol=0, equal_nan=True, msg=lambda m, i=i: f"param {i}, step {step}: {m}"
        )


def assert_same_state(ours, theirs):
    a, b = ours.state_dict(), theirs.state_dict()
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for idx in a["state"]:
        sa, sb = a["state"][idx], b["state"][idx]
        assert sa.keys() == sb.keys(), f"state of param {idx}"
        for key in sa:
            assert sa[key].dtype == sb[key].dtype, f"{key} of param {idx}"
            assert torch.equal(sa[key], sb[key]), f"{key} of param {idx}"
