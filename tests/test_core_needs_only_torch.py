"""The core (optim, lr_scheduler, clip, grading) imports and runs with torch alone."""

import subprocess
import sys
import textwrap

# Run in a fresh interpreter in which the lab's libraries cannot be imported.
SCRIPT = textwrap.dedent(
    """
    import sys

    # None in sys.modules: `import numpy` raises ModuleNotFoundError and
    # importlib.util.find_spec("numpy") answers None, as if it were not installed.
    BLOCKED = ["numpy", "matplotlib", "sklearn", "tqdm", "IPython", "pandas", "scipy"]
    for name in BLOCKED:
        sys.modules[name] = None

    import torch
    import optnotes.clip, optnotes.grading, optnotes.lr_scheduler, optnotes.optim

    param = torch.nn.Parameter(torch.ones(3))
    optimizer = optnotes.optim.Adam([param], lr=0.1)
    scheduler = optnotes.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    param.sum().backward()
    optnotes.clip.clip_grad_norm_([param], 1.0)
    optimizer.step()
    scheduler.step()
    assert param.detach().lt(1).all() and optimizer.param_groups[0]["lr"] == 0.05
    report = optnotes.grading.check_optimizer(optnotes.optim.SGD, "SGD", steps=3)
    assert report.passed, report
    loaded = sorted(n for n, m in sys.modules.items() if m and n.partition(".")[0] in BLOCKED)
    assert not loaded, loaded
    print("ok")
    """
)


def test_core_imports_and_steps_without_the_lab_libraries():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
