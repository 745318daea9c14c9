import pytest
import torch

from optnotes.grading.hints import ADVICE, FIRST_STEPS, family_of, switch_off_advice
from optnotes.grading.optimizers import OPTIMIZER_SETTINGS, REFERENCES


def _reference(name):
    return next(getattr(module, name) for module in REFERENCES if hasattr(module, name))


def _first_step(cls, setting, lr):
    torch.manual_seed(0)
    theta = torch.randn(7, dtype=torch.float64)
    grad = torch.randn(7, dtype=torch.float64)
    param = theta.clone().requires_grad_(True)
    optimizer = cls([param], **{**setting, "lr": lr})
    param.grad = grad.clone()
    optimizer.step()
    h = {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}
    return grad, theta, param.detach() - theta, h


@pytest.mark.parametrize(
    ("name", "setting"),
    [
        (name, setting)
        for name, settings in OPTIMIZER_SETTINGS.items()
        for setting in settings
        if family_of(_reference(name)) in FIRST_STEPS
    ],
)
def test_the_correct_first_step_is_torchs(name, setting):
    cls = _reference(name)
    grad, theta, update, h = _first_step(cls, setting, 0.1)
    correct, _ = FIRST_STEPS[family_of(cls)]
    torch.testing.assert_close(correct(grad, theta, 0.1, h), update, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("name", "key", "setting"),
    [
        ("SGD", "dampening", {"momentum": 0.9, "dampening": 0.5}),
        ("SGD", "nesterov", {"momentum": 0.9, "nesterov": True}),
        ("SGD", "sign", {}),
        ("Adam", "bias_correction", {}),
        ("Adam", "bias_correction_m", {}),
        ("Adam", "bias_correction_v", {}),
        ("Adam", "v_uses_beta1", {}),
        ("Adam", "eps_Adam", {"eps": 1e-3}),
        ("Adam", "l2_weight_decay", {"weight_decay": 0.1}),
        ("AdamW", "decoupled_weight_decay", {"weight_decay": 0.1}),
        ("RMSprop", "rmsprop_bias_correction", {}),
        ("RMSprop", "eps_RMSprop", {"eps": 1e-3}),
        ("RMSprop", "centered", {"centered": True}),
        ("Adagrad", "lr_decay", {"lr_decay": 0.1}),
        ("Adagrad", "eps_Adagrad", {"eps": 1e-3}),
        ("Adadelta", "adadelta_swapped", {}),
        ("Adadelta", "eps_Adadelta", {}),
    ],
)
def test_every_mistake_takes_another_first_step(name, key, setting):
    cls = getattr(torch.optim, name)
    grad, theta, update, h = _first_step(cls, setting, 0.1)
    mistake, applies = FIRST_STEPS[family_of(cls)][1][key]
    assert applies(h)
    assert (mistake(grad, theta, 0.1, h) - update).abs().max() > 1e-6 * update.abs().max()
    assert key in ADVICE


def test_switch_off_advice_names_the_place():
    adam = {"decoupled_weight_decay": False}
    assert switch_off_advice("weight_decay", "Adam", adam) == ADVICE["l2_weight_decay"]
    adamw = {"decoupled_weight_decay": True}
    assert switch_off_advice("weight_decay", "Adam", adamw) == ADVICE["decoupled_weight_decay"]
    assert switch_off_advice("weight_decay", "", adamw) == ADVICE["decoupled_weight_decay"]
    assert switch_off_advice("weight_decay", "", adam) == ADVICE["weight_decay"]
    assert switch_off_advice("eps", "Adadelta", {}) == ADVICE["eps_Adadelta"]
    assert switch_off_advice("eps", "", {}) == ADVICE["eps"]
    assert switch_off_advice("centered", "RMSprop", {}) == ADVICE["centered"]


def test_families_follow_the_class_hierarchy():
    assert family_of(torch.optim.AdamW) == "Adam"
    # Adam's relatives take other first steps: no hint from Adam's mistakes for them
    for name in ["Adamax", "NAdam", "RAdam"]:
        assert family_of(getattr(torch.optim, name)) == ""

    class MySGD(torch.optim.SGD):
        pass

    assert family_of(MySGD) == "SGD"
    assert family_of(torch.optim.LBFGS) == ""
