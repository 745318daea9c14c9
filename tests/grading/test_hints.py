import math

import pytest

from optnotes.grading.hints import ADVICE, Evidence, optimizer_hints


@pytest.mark.parametrize(
    ("evidence", "key"),
    [
        (Evidence("SGD", {"momentum": 0.0}, step=1, factor=-1.0), "sign"),
        (Evidence("Adam", {"betas": (0.9, 0.999)}, step=1, factor=0.1), "bias_correction_m"),
        (
            Evidence("Adam", {"betas": (0.9, 0.999)}, step=1, factor=1 / math.sqrt(1e-3)),
            "bias_correction_v",
        ),
        (
            Evidence("Adam", {"decoupled_weight_decay": False}, switched_off="weight_decay"),
            "l2_weight_decay",
        ),
        (Evidence("RMSprop", {}, switched_off="weight_decay"), "weight_decay"),
        (Evidence("Adadelta", {}, switched_off="eps"), "eps_Adadelta"),
        (Evidence("", {}, switched_off="eps"), "eps"),
        (Evidence("RMSprop", {}, switched_off="centered"), "centered"),
    ],
)
def test_hints_read_the_pattern(evidence, key):
    assert optimizer_hints(evidence) == [ADVICE[key]]


def test_ratio_after_the_first_step_is_no_evidence_of_a_first_step_bug():
    evidence = Evidence("Adam", {"betas": (0.9, 0.999)}, step=2, factor=0.1)
    assert optimizer_hints(evidence) == []
