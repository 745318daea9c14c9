import pytest
import torch

import optnotes.optim
import optnotes.optim.radam
from optnotes.grading import MUTANTS, SkeletonOptimizer, check_optimizer
from optnotes.grading.hints import ADVICE, ignored_argument_advice
from optnotes.grading.optimizers import OPTIMIZER_SETTINGS

OPTIMIZERS = list(OPTIMIZER_SETTINGS)
TORCH_OPTIMIZERS = [name for name in OPTIMIZERS if hasattr(torch.optim, name)]
BEYOND_TORCH = [name for name in OPTIMIZERS if not hasattr(torch.optim, name)]
SCHEDULE_FREE = ["AdamWScheduleFree", "SGDScheduleFree"]

# The answers to the "find the bug" exercises: what is wrong with each hand-in in
# optnotes.grading.mutants, the setting that shows it, and the advice the checker gives.
MUTANT_BUGS = {
    "adam_1": ("no bias correction", {}, ADVICE["bias_correction"]),
    "adam_2": ("ε inside the square root", {"lr": 0.01, "eps": 1e-3}, ADVICE["eps_Adam"]),
    "adamw_1": (
        "L2 penalty instead of decoupled decay",
        {"lr": 0.01, "weight_decay": 0.1},
        ADVICE["decoupled_weight_decay"],
    ),
    "sgd_1": (
        "first momentum step dampened",
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
        ADVICE["dampening"],
    ),
    "sgd_2": (
        "nesterov steps along the buffer",
        {"lr": 0.1, "momentum": 0.9, "nesterov": True},
        ignored_argument_advice("nesterov"),
    ),
    "sgd_3": ("learning rate from self.defaults", {"lr": 0.1}, ADVICE["param_groups"]),
    "adagrad_1": ("lr_decay one step early", {"lr_decay": 0.1}, ADVICE["lr_decay"]),
    "rmsprop_1": ("bias correction added", {}, ADVICE["rmsprop_bias_correction"]),
    # No hint fits these (the hints know no Adamax, NAdam or RAdam): the report locates.
    "adamax_1": ("u ← √(β2·u² + (1-β2)·(|g|+ε)²), a 2-norm, not max(β2·u, |g|+ε)", {}, None),
    "nadam_1": ("no momentum schedule: μ_t = β1 in every step, bias-corrected by β1^t", {}, None),
    "radam_1": ("the paper's threshold ρ_t > 4, not torch's ρ_t > 5", {}, None),
    # ax only: the parameters agree, the compared state["ax"] does not
    "asgd_1": ("averages with this step's μ_t, not μ_(t-1): from step t0+1", {"t0": 5}, None),
    "rprop_1": ("no zeroed gradient where its sign flips (steps back instead)", {}, None),
    "adafactor_1": ("V̂ = r cᵀ, not divided by the mean row factor", {}, None),
    "muon_1": ("s = √max(1, B/A), not √max(1, A/B): wide matrices take long steps", {}, None),
    "lbfgs_1": ("two-loop recursion without the initial scaling γ = sᵀy/yᵀy: H⁰ = I", {}, None),
    "lion_1": (
        "momentum updated before the step: sign(β1·m_t + ...), not of β1·m_(t-1)",
        {"lr": 0.1},
        None,
    ),
    "adamwschedulefree_1": ("y = (1-β)x + βz: the weights of x and z swapped", {}, None),
    "sgdschedulefree_1": (
        "weights of the average w_t = t^r, without η_max^p: warm-up steps weigh in full",
        {"lr": 0.3, "warmup_steps": 5, "r": 1.0},
        None,
    ),
}

# Where the report of a mutant without a hint places the bug: the first failing case of
# the default battery (all of them fail) says this.
MUTANT_WHERE = {
    # the first step is 1/√(1 - β2) times too long, as if v lacked its bias correction
    "adamax_1": (
        "first difference after step 1 (seed 0) in param 0[0] (shape (5,), param group 0)",
        "in that step your update is 31.62 × the reference's",
    ),
    # 1 + β1(1-β1)/(1-β1²) over 1 + μ2(1-β1)/(1-μ1·μ2), μ_t ≈ β1/2 in the first steps
    "nadam_1": (
        "first difference after step 1 (seed 0) in param 0[0] (shape (5,), param group 0)",
        "in that step your update is 1.395 × the reference's",
    ),
    # ρ_5 = 4.996 with β2 = 0.999: the adaptive step starts in step 5, torch's in step 6
    "radam_1": (
        "first difference after step 5 (seed 0) in param 0[0] (shape (5,), param group 0)",
    ),
    # μ = 1/2 where torch's is still 1 (t0 = 5): the average moves half as far
    "asgd_1": (
        "first difference after step 7 (seed 0) in state['ax'] of param 0[0] (shape (5,)",
        "in that step your update is 0.5 × the reference's",
    ),
    # param 1 skipped step 2: its gradient flips sign between steps 1 and 3
    "rprop_1": ("first difference after step 3 (seed 0) in param 1[2, 1] (shape (3, 4)",),
    "adafactor_1": (
        "first difference after step 1 (seed 0) in param 1[0, 0] (shape (3, 4)",
        "in that step your update is 0.7767 × the reference's",
    ),
    # Muon's problem has 2-D parameters only; (2, 5) is wide
    "muon_1": ("first difference after step 1 (seed 0) in param 0[0, 1] (shape (2, 5)",),
    # the first iteration is steepest descent in both; the second one's step is too long
    "lbfgs_1": (
        "first difference after step 1 (seed 0) in param 0[0] (shape (5,), param group 0)",
    ),
    # the first step is the same (m_0 = 0); they part where a gradient changes sign
    "lion_1": ("first difference after step 7 (seed 0) in param 0[1] (shape (5,), param group 0)",),
    # after step 1 x = y = z in both (c = 1); from step 2 on y leans towards z, not x
    "adamwschedulefree_1": (
        "first difference after step 2 (seed 0) in param 0[0] (shape (5,), param group 0)",
        "in that step your update is 1.727 × the reference's",
    ),
    # c_2 = 2/3 (w = t with r = 1) where the reference's is 2·(2η/5)²/(1·(η/5)² + 2·(2η/5)²) = 8/9
    "sgdschedulefree_1": (
        "first difference after step 2 (seed 0) in param 0[0] (shape (5,), param group 0)",
    ),
}

# Default settings the mutant passes: ASGD's defaults never average (t0 = 10⁶), Rprop's
# ascent never flips a sign, Muon1's "match_rms_adamw" is right.
MUTANT_PASSES = {
    "asgd_1": ["defaults"],
    "rprop_1": ["maximize=True"],
    "muon_1": ["lr=0.02, adjust_lr_fn='match_rms_adamw'"],
    # without a warm-up η_max is constant, and with p = 0 it is not in the weights
    "sgdschedulefree_1": [
        "lr=0.3",
        "lr=0.3, momentum=0.5",
        "lr=0.3, weight_decay=0.1",
        "lr=0.3, warmup_steps=5, weight_lr_power=0.0",
    ],
}


@pytest.mark.parametrize("name", TORCH_OPTIMIZERS)
@pytest.mark.parametrize("module", [torch.optim, optnotes.optim], ids=["torch", "optnotes"])
def test_correct_optimizers_pass(module, name):
    report = check_optimizer(getattr(module, name), name)
    report.assert_ok()
    assert len(report.cases) == len(OPTIMIZER_SETTINGS[name])
    assert not report.hints
    assert report.score == 1.0


# The package each optimizer beyond torch.optim re-implements, by name of the class.
REFERENCE_PACKAGES = {
    "Lion": "lion_pytorch",
    "AdamWScheduleFree": "schedulefree",
    "SGDScheduleFree": "schedulefree",
}
# schedulefree's step divides .grad in place (and adds the decay to it), which the check
# does not allow: those settings fail on that alone, the parameters agree
WRITES_INTO_GRAD = {"AdamWScheduleFree", "SGDScheduleFree"}


@pytest.mark.parametrize("name", BEYOND_TORCH)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_optimizers_beyond_torch_pass_and_so_do_their_reference_packages(name, dtype):
    reference_package = pytest.importorskip(REFERENCE_PACKAGES[name])
    theirs = getattr(reference_package, name)
    for cls in (getattr(optnotes.optim, name), theirs):
        report = check_optimizer(cls, name, dtype=dtype)
        assert len(report.cases) == len(OPTIMIZER_SETTINGS[name])
        if cls is theirs and name in WRITES_INTO_GRAD:
            for case in report.cases:  # SGD writes into .grad only with weight decay
                assert case.passed or case.problem.startswith(
                    "step 1 changed the .grad of param 0"
                ), str(report)
            assert report.hints == [ADVICE["grad_in_place"]]
            continue
        report.assert_ok()
        assert not report.hints
        assert str(report).startswith(f"{name} vs optnotes.optim.{name}: PASSED")


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adadelta", "NAdam", "RAdam"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_correct_optimizers_pass_long_runs_in_any_precision(name, dtype):
    cls = getattr(optnotes.optim, name)
    check_optimizer(cls, name, steps=120, seeds=[3, 11], dtype=dtype).assert_ok()


@pytest.mark.parametrize("name", ["Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "Adafactor", "Muon"])
@pytest.mark.parametrize("module", [torch.optim, optnotes.optim], ids=["torch", "optnotes"])
def test_adams_relatives_and_others_pass_in_float32(module, name):
    report = check_optimizer(getattr(module, name), name, dtype=torch.float32)
    report.assert_ok()
    assert not report.hints


def test_every_hand_in_for_the_exercises_has_its_answer_here():
    assert set(MUTANTS) == set(MUTANT_BUGS)
    for key, mutant in MUTANTS.items():
        assert issubclass(mutant.cls, torch.optim.Optimizer)
        assert key.split("_")[0] == mutant.reference.lower()
        assert "Bug" not in mutant.cls.__doc__


@pytest.mark.parametrize("name", MUTANTS)
def test_every_mutant_is_caught_with_the_right_hint(name):
    mutant = MUTANTS[name]
    _, setting, advice = MUTANT_BUGS[name]
    for kwargs in (setting, None):  # the bug's own setting, and the default battery
        report = check_optimizer(mutant.cls, mutant.reference, kwargs=kwargs)
        assert not report.passed
        if advice is None:
            assert report.hints == [], str(report)
        else:
            assert advice in report.hints, str(report)


@pytest.mark.parametrize("name", MUTANT_WHERE)
def test_a_mutant_without_a_hint_is_located(name):
    mutant = MUTANTS[name]
    report = check_optimizer(mutant.cls, mutant.reference)
    passed = [case.setting for case in report.cases if case.passed]
    assert passed == MUTANT_PASSES.get(name, []), str(report)
    first = next(case for case in report.cases if not case.passed)
    for line in MUTANT_WHERE[name]:
        assert line in first.problem, str(report)


def test_the_radam_threshold_shows_where_the_two_rules_part():
    """ρ_t > 4 and ρ_t > 5 part in step 5 (β2 = 0.999), and in step 8 with β2 = 0.65,
    where torch's rectification never switches on (ρ_∞ = 4.71) and the paper's does
    once ρ_8 = 4.19; with β2 = 0.6 (ρ_∞ = 4) neither does, and the mutant passes."""
    student = MUTANTS["radam_1"].cls
    settings = [{"lr": 0.01, "betas": (0.9, 0.65)}, {"lr": 0.01, "betas": (0.9, 0.6)}]
    never, neither = check_optimizer(student, "RAdam", kwargs=settings).cases
    assert "first difference after step 8 (seed 0)" in never.problem
    assert neither.passed


def test_the_radam_settings_switch_the_rectification_on_and_never():
    rho = optnotes.optim.radam.radam_rho
    rectified = [
        any(rho(t, setting.get("betas", (0.9, 0.999))[1])[0] > 5 for t in range(1, 21))
        for setting in OPTIMIZER_SETTINGS["RAdam"]
    ]
    assert any(rectified)
    assert not all(rectified)


def test_report_names_the_first_difference():
    mutant = MUTANTS["sgd_1"]
    report = check_optimizer(mutant.cls, "SGD", kwargs=MUTANT_BUGS["sgd_1"][1], seeds=[3])
    (case,) = report.cases
    assert case.setting == "lr=0.1, momentum=0.9, dampening=0.5"
    assert "first difference after step 1 (seed 3) in param 0[0] (shape (5,), param group 0)" in (
        case.problem
    )
    assert "round-off in float64 explains up to" in case.problem
    assert "your update is 0.5 × the reference's" in case.problem
    assert "the difference disappears with dampening=0.0" in case.problem
    assert str(report).startswith("SGD1 vs torch.optim.SGD: FAILED (0 of 1 settings agree)")


class PlainSGD(SkeletonOptimizer):
    def __init__(self, params, lr=1e-3):
        super().__init__(params, {"lr": lr})

    def update(self, param, grad, state, group):
        param.add_(grad, alpha=-group["lr"])


def test_a_missing_argument_fails_unless_the_teacher_lists_the_settings():
    report = check_optimizer(PlainSGD, "SGD")
    assert not report.passed
    assert [case.passed for case in report.cases] == [True] + [False] * 5
    assert "does not take the argument(s) momentum" in report.cases[1].problem
    with pytest.raises(AssertionError):
        report.assert_ok()
    check_optimizer(PlainSGD, "SGD", kwargs=[{"lr": 0.1}, {"lr": 0.3}]).assert_ok()


def test_the_reference_is_required_and_found_in_any_case():
    with pytest.raises(TypeError):
        check_optimizer(PlainSGD)
    assert check_optimizer(PlainSGD, "sgd", kwargs={"lr": 0.1}).passed
    assert check_optimizer(PlainSGD, torch.optim.SGD, kwargs={"lr": 0.1}).passed
    with pytest.raises(ValueError, match=r"no optimizer named 'Sgdd'; valid names: .*Adam"):
        check_optimizer(PlainSGD, "Sgdd")


def test_explicit_settings_are_run_as_given():
    report = check_optimizer(torch.optim.SGD, "SGD", kwargs=[{"lr": 0.1}, {"lr": 0.2}])
    assert [case.setting for case in report.cases] == ["lr=0.1", "lr=0.2"]


def test_student_that_trips_over_a_missing_gradient():
    class CarelessSGD(torch.optim.SGD):
        @torch.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for param in group["params"]:
                    param.add_(param.grad, alpha=-group["lr"])

    report = check_optimizer(CarelessSGD, "SGD", kwargs={"lr": 0.1})
    assert not report.passed
    assert "raised TypeError in step 1" in report.cases[0].problem
    assert report.hints == [ADVICE["none_grad"]]


def test_student_that_cannot_be_constructed():
    class Broken(torch.optim.SGD):
        def __init__(self, params, lr=0.1):
            raise RuntimeError("not written yet")

    report = check_optimizer(Broken, "SGD", kwargs={"lr": 0.1})
    assert "raised RuntimeError in the constructor (seed 0): not written yet" in (
        report.cases[0].problem
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("module", [torch.optim, optnotes.optim], ids=["torch", "optnotes"])
def test_lbfgs_passes_in_any_precision(module, dtype):
    report = check_optimizer(module.LBFGS, "LBFGS", dtype=dtype)
    report.assert_ok()
    assert len(report.cases) == len(OPTIMIZER_SETTINGS["LBFGS"])
    assert not report.hints


class ReorderedLBFGS(MUTANTS["lbfgs_1"].cls):
    """The mutant with γ = sᵀy/yᵀy put back: torch's L-BFGS in another order of operations
    (dividing by yᵀs where torch multiplies by ρ = 1/yᵀs)."""

    def direction(self, g, s_list, y_list):
        q, alphas = -g, []
        for s, y in zip(reversed(s_list), reversed(y_list), strict=True):
            alpha = s.dot(q) / y.dot(s)
            q = q - alpha * y
            alphas.append(alpha)
        r = q * (s_list[-1].dot(y_list[-1]) / y_list[-1].dot(y_list[-1]) if s_list else 1)
        for s, y, alpha in zip(s_list, y_list, reversed(alphas), strict=True):
            r = r + (alpha - y.dot(r) / y.dot(s)) * s
        return r


def test_lbfgs_in_another_order_of_operations_passes_and_subclasses_are_checked():
    check_optimizer(ReorderedLBFGS, "LBFGS").assert_ok()

    class Mine(torch.optim.LBFGS):
        pass

    check_optimizer(Mine, Mine, kwargs={"max_iter": 5}).assert_ok()
    report = check_optimizer(MUTANTS["lbfgs_1"].cls, Mine, kwargs={"max_iter": 5})
    assert not report.passed


def test_lbfgs_runs_on_one_param_group_with_a_closure():
    from optnotes.grading.problem import Quadratics
    from optnotes.grading.runs import FULL, closure_protocol, needs_closure, run_optimizer

    assert needs_closure(torch.optim.LBFGS)
    assert needs_closure(optnotes.optim.LBFGS)
    assert not needs_closure(torch.optim.SGD)
    protocol = closure_protocol(FULL)
    assert protocol.closure
    assert not protocol.intermittent
    assert protocol.group_lr_ratio == 1
    problem = Quadratics.draw(0, torch.float64)
    run = run_optimizer(torch.optim.LBFGS, {}, problem, 4, 1.0, protocol)
    assert run.error is None
    assert not torch.equal(run.snapshots[0][0], run.snapshots[-1][0])
    # without the closure protocol torch's LBFGS cannot even be stepped
    assert run_optimizer(torch.optim.LBFGS, {}, problem, 4, 1.0).error is not None


@pytest.mark.parametrize("name", ["SparseAdam"])
def test_references_the_check_cannot_run_are_refused(name):
    with pytest.raises(ValueError, match=rf"cannot check against {name}: it "):
        check_optimizer(getattr(optnotes.optim, name), name)

    class Mine(getattr(torch.optim, name)):
        pass

    with pytest.raises(ValueError, match=rf"cannot check against {name}"):
        check_optimizer(Mine, Mine)


def test_muon_runs_on_matrices_only_and_asgd_compares_its_average():
    from optnotes.grading.problem import Quadratics, problem_shapes
    from optnotes.grading.runs import observed_state

    shapes = problem_shapes(torch.optim.Muon)
    problem = Quadratics.draw(0, torch.float64, *shapes)
    assert all(p.dim() == 2 for p in problem.parameters())
    assert problem_shapes(torch.optim.Adam) == problem_shapes(optnotes.optim.SGD)
    assert shapes == problem_shapes(optnotes.optim.Muon)
    assert observed_state(optnotes.optim.ASGD) == ("ax",) == observed_state(torch.optim.ASGD)
    assert observed_state(torch.optim.SGD) == ()


def test_an_asgd_without_its_average_fails():
    class RenamedAverage(torch.optim.ASGD):
        """torch's ASGD, with its average kept as state["average"] between steps."""

        def step(self, closure=None):
            for state in self.state.values():
                state["ax"] = state.pop("average")
            loss = super().step(closure)
            for state in self.state.values():
                state["average"] = state.pop("ax")
            return loss

    report = check_optimizer(RenamedAverage, "ASGD", kwargs={})
    assert "first difference after step 1 (seed 0) in state['ax'] of param 0[0]" in (
        report.cases[0].problem
    ), str(report)
    assert "your optimizer keeps no state['ax'] of the parameter's shape" in (
        report.cases[0].problem
    ), str(report)


# --- Schedule-Free: train() before stepping, the average compared after eval() -----------------


class ThreeSequencesAdamW(MUTANTS["adamwschedulefree_1"].cls):
    """The mutant with y = (1-β)z + βx put right: the paper's three sequences kept apart,
    another order of operations than the reference's (which keeps y and z only)."""

    @torch.no_grad()
    def train(self):
        for group in self.param_groups:
            beta1 = group["betas"][0]
            for p in group["params"]:
                if not group["train_mode"] and self.state[p]:
                    p.copy_((1 - beta1) * self.state[p]["z"] + beta1 * self.state[p]["x"])
            group["train_mode"] = True

    @torch.no_grad()
    def step(self, closure=None):
        super().step(closure)
        for group in self.param_groups:
            beta1 = group["betas"][0]
            for p in group["params"]:
                if self.state[p]:
                    p.copy_((1 - beta1) * self.state[p]["z"] + beta1 * self.state[p]["x"])


class EvalLeavesY(optnotes.optim.SGDScheduleFree):
    """Right steps; eval() switches the mode and leaves the parameters at y."""

    @torch.no_grad()
    def eval(self):
        for group in self.param_groups:
            group["train_mode"] = False

    @torch.no_grad()
    def train(self):
        for group in self.param_groups:
            group["train_mode"] = True


@pytest.mark.parametrize("name", SCHEDULE_FREE)
def test_the_schedulefree_package_can_be_the_reference(name):
    import schedulefree

    setting = OPTIMIZER_SETTINGS[name][-2]  # warm-up and r: every scalar of the average
    theirs = getattr(schedulefree, name)
    report = check_optimizer(getattr(optnotes.optim, name), theirs, kwargs=setting)
    report.assert_ok()
    assert str(report).startswith(f"{name} vs {name}: PASSED")


def test_a_schedule_free_student_in_another_order_of_operations_passes_in_float32():
    check_optimizer(ThreeSequencesAdamW, "AdamWScheduleFree").assert_ok()
    check_optimizer(
        ThreeSequencesAdamW, "AdamWScheduleFree", seeds=[3], dtype=torch.float32
    ).assert_ok()


def test_the_average_is_compared_after_eval():
    report = check_optimizer(EvalLeavesY, "SGDScheduleFree", kwargs={"lr": 0.3})
    (case,) = report.cases
    # after step 1, x = y = z (c_2 = 1): the averages part from step 2 on
    assert (
        "first difference after step 2 (seed 0) in param 0[0] (shape (5,), param group 0) "
        "after eval() (the average):" in case.problem
    ), str(report)


def test_a_student_without_train_and_eval_gets_a_report_that_says_so():
    report = check_optimizer(torch.optim.SGD, "SGDScheduleFree")
    assert not report.passed
    by_setting = {case.setting: case.problem for case in report.cases}
    assert by_setting["lr=0.3"].startswith(
        "your optimizer has no train() and eval(): a Schedule-Free optimizer needs"
    )
    assert (
        "does not take the argument(s) warmup_steps" in by_setting["lr=0.3, warmup_steps=5, r=1.0"]
    )
    assert report.hints == []


def test_names_beyond_torch_are_listed_with_torchs():
    with pytest.raises(ValueError, match=r"valid names: .*AdamWScheduleFree.*SGDScheduleFree"):
        check_optimizer(PlainSGD, "ScheduleFree")
