import math

import pytest
import torch

from optnotes.grading.compare import (
    accepts,
    first_mismatch,
    first_row_difference,
    label,
    missing_arguments,
    resolve,
    settings_to_run,
)


def test_first_mismatch_names_the_first_element_out_of_tolerance():
    expected = torch.zeros(2, 3, dtype=torch.float64)
    mine = expected.clone()
    assert first_mismatch(mine, expected, 1e-9, 1e-12) is None
    mine[1, 0], mine[1, 2] = 1e-13, 1.0  # the first is inside atol
    assert first_mismatch(mine, expected, 1e-9, 1e-12) == (1, 2)
    assert first_mismatch(torch.tensor(1.0), torch.tensor(2.0), 1e-9, 1e-12) == ()


def test_first_mismatch_counts_nan_as_agreement_only_when_asked():
    nan = torch.tensor([math.nan])
    assert first_mismatch(nan, nan, 1e-9, 1e-12) == (0,)
    assert first_mismatch(nan, nan, 1e-9, 1e-12, equal_nan=True) is None


def test_first_row_difference_compares_the_common_rows():
    expected = [(0.1, 0.01), (0.05, 0.005)]
    assert first_row_difference(expected[:1], expected, 1e-9, 1e-12) is None
    assert first_row_difference([(0.1, 0.01), (0.05, 0.006)], expected, 1e-9, 1e-12) == (1, 1)


def test_a_default_setting_the_student_cannot_take_is_a_failure():
    def student(params, lr=0.1):
        pass

    defaults = [{"lr": 0.1}, {"lr": 0.1, "momentum": 0.9}]
    runnable, failed = settings_to_run(None, defaults, student)
    assert runnable == [{"lr": 0.1}]
    assert [(case.setting, case.passed) for case in failed] == [("lr=0.1, momentum=0.9", False)]
    assert "does not take the argument(s) momentum" in failed[0].problem
    # settings the teacher lists are run as given
    assert settings_to_run({"momentum": 0.5}, defaults, student) == ([{"momentum": 0.5}], [])
    with pytest.raises(ValueError, match="pass kwargs"):
        settings_to_run(None, None, student)


def test_accepts_reads_the_signature():
    assert accepts(lambda params, **kwargs: None, {"anything": 1})
    assert not accepts(lambda params, lr: None, {"momentum": 0.9})
    assert missing_arguments(lambda params, lr: None, {"lr": 1, "betas": 2, "eps": 3}) == [
        "betas",
        "eps",
    ]
    assert accepts(max, {"key": None})  # a builtin without a signature: let the call decide


def test_references_are_found_by_name_in_any_case():
    def is_optimizer(obj):
        return isinstance(obj, type) and issubclass(obj, torch.optim.Optimizer)

    assert resolve("adamw", torch.optim, is_optimizer, "optimizer") is torch.optim.AdamW
    assert resolve("SGD", torch.optim, is_optimizer, "optimizer") is torch.optim.SGD
    assert resolve(torch.optim.Adam, torch.optim, is_optimizer, "optimizer") is torch.optim.Adam
    with pytest.raises(ValueError, match=r"no optimizer named 'Adma'; valid names: .*Adam, .*SGD"):
        resolve("Adma", torch.optim, is_optimizer, "optimizer")
    with pytest.raises(TypeError, match="reference must be"):
        resolve(3, torch.optim, is_optimizer, "optimizer")


def test_labels():
    assert label({}) == "defaults"
    assert label({"lr": 0.1, "nesterov": True}) == "lr=0.1, nesterov=True"
