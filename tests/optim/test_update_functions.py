"""The update functions on their own: exported, twins of one another, called by keyword."""

import inspect

import pytest
import torch

import optnotes.optim

from .cases import ALGORITHM, algorithm_module, make_params

STEMS = sorted(set(ALGORITHM.values()))


def keyword_only(function):
    return [p for p in inspect.signature(function).parameters.values() if p.kind == p.KEYWORD_ONLY]


@pytest.mark.parametrize("stem", STEMS)
def test_both_forms_are_exported(stem):
    module = algorithm_module(next(n for n, s in ALGORITHM.items() if s == stem))
    for form in ("step_", "foreach_"):
        assert getattr(optnotes.optim, f"{stem}_{form}") is getattr(module, f"{stem}_{form}")
        assert f"{stem}_{form}" in optnotes.optim.__all__


@pytest.mark.parametrize("stem", STEMS)
def test_foreach_twin_takes_the_lists_of_the_step_arguments(stem):
    """``adam_foreach_(params, grads, exp_avgs, ...)`` is ``adam_step_(param, grad, exp_avg, ...)``
    over lists, with the same hyper-parameters: so its docstring may refer to its twin's."""
    module = algorithm_module(next(n for n, s in ALGORITHM.items() if s == stem))
    single = inspect.signature(getattr(module, f"{stem}_step_")).parameters.values()
    multi = inspect.signature(getattr(module, f"{stem}_foreach_")).parameters.values()
    positional = [p.name for p in single if p.kind != p.KEYWORD_ONLY]
    assert [p.name for p in multi if p.kind != p.KEYWORD_ONLY] == [f"{n}s" for n in positional]
    hyperparameters = keyword_only(getattr(module, f"{stem}_step_"))
    assert keyword_only(getattr(module, f"{stem}_foreach_")) == hyperparameters
    # The class's call names every hyper-parameter: none has a default to fall back on.
    assert all(p.default is p.empty for p in hyperparameters)


@pytest.mark.parametrize("stem", STEMS)
def test_functional_form_needs_every_hyperparameter_by_name(stem):
    """A forgotten or misspelt keyword is an error, not a silently different update."""
    module = algorithm_module(next(n for n, s in ALGORITHM.items() if s == stem))
    functional = getattr(module, stem)
    hyperparameters = [p.name for p in keyword_only(getattr(module, f"{stem}_step_"))]
    n_lists = len(inspect.signature(functional).parameters) - 2  # less foreach, **hyperparameters
    for foreach in (False, True):
        params = make_params(torch.float32)[:2]
        lists = [params, [torch.ones_like(p) for p in params]]
        lists += [[torch.zeros_like(p) for p in params] for _ in range(n_lists - 2)]
        kwargs = dict.fromkeys(hyperparameters, 0.0)
        kwargs.pop(hyperparameters[-1])
        with pytest.raises(TypeError, match=hyperparameters[-1]):
            functional(*lists, foreach=foreach, **kwargs)
