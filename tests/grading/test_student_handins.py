"""The checker on hand-ins written from descriptions of students' bugs, not from the mutants.

``student_handins.HANDINS`` holds correct implementations in the papers' order of
operations and implementations with one bug each. Every correct one must pass, in
float32 and float64 and over long runs; every buggy one must fail, with exactly the
advice below: a hint where the evidence singles out the cause, none where it does not.
"""

import pytest
import torch
from student_handins import HANDINS

from optnotes.grading import check_clip, check_optimizer, check_scheduler
from optnotes.grading.hints import ADVICE, ignored_argument_advice

CHECKS = {"optimizer": check_optimizer, "scheduler": check_scheduler, "clip": check_clip}


def ignored(name):
    return ignored_argument_advice(name)


# The advice each buggy hand-in must get (ADVICE keys, or the text for an ignored
# argument); an empty list: the report says what differs and where, without a guess.
EXPECTED_HINTS = {
    "sgd_lr_in_momentum_buffer": ["lr_changes"],
    "sgd_ignores_maximize": [ignored("maximize")],
    "sgd_maximize_flips_update": ["maximize"],
    "sgd_nesterov_steps_along_buf": [ignored("nesterov")],
    "sgd_nesterov_old_buffer": [],
    "sgd_weight_decay_after_momentum": [],
    "sgd_dampening_on_first_step": ["dampening"],
    "sgd_buffer_aliases_grad": ["grad_in_place", "grads_in_place"],
    "sgd_crashes_on_none_grad": ["none_grad"],
    "adam_wd_grad_in_place": ["grad_in_place"],
    "adam_state_float32": ["state_like_param"],
    "adam_state_on_cpu": ["state_like_param"],
    "adam_global_step_per_call": ["intermittent", "resume"],
    "adam_global_step_per_param": [],
    "adam_state_outside_optimizer": ["resume"],
    "adam_ignores_maximize": [ignored("maximize")],
    "adam_ignores_amsgrad": [ignored("amsgrad")],
    "adam_amsgrad_max_of_v_hat": ["amsgrad"],
    "adam_beta1_in_second_moment": ["v_uses_beta1"],
    "adamw_decay_after_step": ["decoupled_weight_decay"],
    "adamw_decay_not_scaled_by_lr": ["decoupled_weight_decay"],
    "adamw_decays_params_without_grad": ["no_grad_no_step"],
    "rmsprop_eps_inside_sqrt": ["eps_RMSprop"],
    "rmsprop_centered_without_mean": [ignored("centered")],
    "rmsprop_momentum_on_grad": ["momentum"],
    "rmsprop_lr_from_defaults": ["param_groups"],
    "rmsprop_state_len_param": ["state_like_param"],
    "adagrad_ignores_initial_accumulator": [ignored("initial_accumulator_value")],
    "adagrad_lr_decay_from_first_step": ["lr_decay"],
    "adagrad_lr_decay_per_step_call": ["intermittent", "resume"],
    "adagrad_eps_inside_sqrt": ["eps_Adagrad"],
    "adadelta_swapped_accumulators": ["adadelta_swapped"],
    "adadelta_delta_acc_from_grad": [],
    "adadelta_accumulates_scaled_update": [],
    "nadam_decoupled_as_l2": [ignored("decoupled_weight_decay")],
    "radam_decay_not_scaled_by_lr": ["decoupled_weight_decay"],
    "clip_norm_per_tensor": ["clip_per_tensor"],
    "clip_norm_sum_of_norms": ["clip_sum_of_norms"],
    "clip_norm_returns_clipped_norm": ["clip_returns_norm"],
    "clip_norm_scales_up": ["clip_no_op"],
    "clip_norm_ignores_norm_type": ["clip_norm_type"],
    "clip_norm_inf_by_power": ["clip_norm_type"],
    "clip_norm_without_eps": [],
    "clip_value_only_from_above": [],
    "exponentiallr_lags": ["scheduler_lags"],
    "cosine_leads": ["scheduler_leads"],
    "cosine_ignores_eta_min": [],
    "cosine_flat_after_t_max": [],
    "steplr_decays_at_step_zero": [],
    "steplr_smooth_decay": [],
    "exponentiallr_first_group_lr": ["scheduler_groups"],
    "steplr_no_last_epoch": [],
}

CORRECT = [key for key, hand_in in HANDINS.items() if hand_in.correct]
BUGGY = [key for key, hand_in in HANDINS.items() if not hand_in.correct]
CORRECT_OPTIMIZERS = [key for key in CORRECT if HANDINS[key].kind == "optimizer"]


def test_every_buggy_hand_in_has_its_expected_advice():
    assert set(EXPECTED_HINTS) == set(BUGGY)
    assert len(CORRECT) >= 10
    assert len(BUGGY) >= 40


@pytest.mark.parametrize("key", CORRECT)
def test_correct_hand_ins_pass_every_default_setting(key):
    hand_in = HANDINS[key]
    report = CHECKS[hand_in.kind](hand_in.obj, hand_in.reference, kwargs=hand_in.kwargs)
    report.assert_ok()
    assert not report.hints


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("key", CORRECT_OPTIMIZERS)
def test_correct_optimizers_pass_long_runs_in_both_precisions(key, dtype):
    hand_in = HANDINS[key]
    check_optimizer(hand_in.obj, hand_in.reference, steps=120, seeds=[7], dtype=dtype).assert_ok()


@pytest.mark.parametrize("key", BUGGY)
def test_buggy_hand_ins_fail_with_the_advice_the_evidence_supports(key):
    hand_in = HANDINS[key]
    report = CHECKS[hand_in.kind](hand_in.obj, hand_in.reference, kwargs=hand_in.kwargs)
    assert not report.passed
    expected = [ADVICE.get(hint, hint) for hint in EXPECTED_HINTS[key]]
    assert report.hints == expected, str(report)
