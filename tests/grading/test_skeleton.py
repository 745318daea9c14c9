import pytest
import torch

from optnotes.grading import SkeletonOptimizer


def test_skeleton_requires_an_update():
    class Empty(SkeletonOptimizer):
        def __init__(self, params):
            super().__init__(params, {})

    param = torch.zeros(2, requires_grad=True)
    param.grad = torch.ones(2)
    with pytest.raises(NotImplementedError, match="Empty must implement update"):
        Empty([param]).step()


def test_skeleton_returns_the_closure_loss():
    class Still(SkeletonOptimizer):
        def __init__(self, params):
            super().__init__(params, {})

        def update(self, param, grad, state, group):
            state["seen"] = grad.clone()

    param = torch.ones(2, requires_grad=True)
    optimizer = Still([param])
    loss = optimizer.step(lambda: (2 * param).sum().backward() or torch.tensor(4.0))
    assert loss.item() == 4.0
    assert torch.equal(optimizer.state[param]["seen"], torch.full((2,), 2.0))
