import pytest
import torch

from optnotes.lab.device import ENV_VAR, best_device, describe_device


@pytest.fixture
def hardware(monkeypatch):
    """Pretend which accelerators exist; by default none."""
    monkeypatch.delenv(ENV_VAR, raising=False)

    def fake(cuda=False, mps=False, cuda_count=1):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda_count if cuda else 0)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    fake()
    return fake


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_prefers_cuda_then_mps_then_cpu(hardware, cuda, mps, expected):
    hardware(cuda=cuda, mps=mps)
    assert best_device() == torch.device(expected)


def test_environment_variable_overrides_the_choice(hardware, monkeypatch):
    hardware(cuda=True, cuda_count=2)
    monkeypatch.setenv(ENV_VAR, "cpu")
    assert best_device() == torch.device("cpu")
    monkeypatch.setenv(ENV_VAR, " cuda:1 ")
    assert best_device() == torch.device("cuda", 1)


def test_blank_environment_variable_is_ignored(hardware, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "  ")
    assert best_device() == torch.device("cpu")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("gpu", "not a device name"),
        ("cuda", "not available"),
        ("mps", "not available"),
        ("xpu", "only cpu, cuda"),
    ],
)
def test_unusable_environment_variable_names_itself(hardware, monkeypatch, value, message):
    monkeypatch.setenv(ENV_VAR, value)
    with pytest.raises(ValueError, match=message) as error:
        best_device()
    assert ENV_VAR in str(error.value)


def test_cuda_index_beyond_the_devices_present_is_refused(hardware, monkeypatch):
    hardware(cuda=True, cuda_count=1)
    monkeypatch.setenv(ENV_VAR, "cuda:1")
    with pytest.raises(ValueError, match="not available"):
        best_device()


def test_describe_cpu_gives_the_thread_count():
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert describe_device("cpu") == "cpu (1 thread)"
        torch.set_num_threads(2)
        assert describe_device("cpu") == "cpu (2 threads)"
    finally:
        torch.set_num_threads(threads)


def test_describe_cuda_gives_index_and_name(monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index: f"Fake GPU {index}")
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    assert describe_device(torch.device("cuda", 1)) == "cuda:1 (Fake GPU 1)"
    assert describe_device("cuda") == "cuda:0 (Fake GPU 0)"


def test_describe_mps():
    assert describe_device("mps").startswith("mps")
