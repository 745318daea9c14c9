import pytest
import torch

from optnotes import lr_scheduler as ol
from optnotes.lr_scheduler import iter_lr_sequence, lr_sequence


def test_lr_sequence_reads_every_group_after_each_step():
    rows = lr_sequence(torch.optim.lr_scheduler.StepLR, 4, step_size=2, gamma=0.5)
    assert rows == [(0.1, 0.01), (0.1, 0.01), (0.05, 0.005), (0.05, 0.005), (0.025, 0.0025)]
    ours = lr_sequence(ol.StepLR, 4, lrs=(1.0,), step_size=1, gamma=0.5)
    assert ours == [(1.0,), (0.5,), (0.25,), (0.125,), (0.0625,)]


def test_lr_sequence_feeds_metrics_to_plateau_schedulers():
    flat = [1.0] * 6
    rows = lr_sequence(ol.ReduceLROnPlateau, 6, metrics=flat, patience=1)
    assert rows == lr_sequence(
        torch.optim.lr_scheduler.ReduceLROnPlateau, 6, metrics=flat, patience=1
    )
    assert rows[-1][0] < 0.1
    with pytest.raises(ValueError, match="metrics"):
        lr_sequence(torch.optim.lr_scheduler.ReduceLROnPlateau, 6)


def test_iter_lr_sequence_yields_values_before_an_error():
    class FailsAtStep2(torch.optim.lr_scheduler.StepLR):
        def get_lr(self):
            if self.last_epoch == 2:
                raise RuntimeError("boom")
            return super().get_lr()

    seen = []
    with pytest.raises(RuntimeError, match="boom"):
        seen.extend(iter_lr_sequence(FailsAtStep2, 5, step_size=1))
    assert len(seen) == 2
