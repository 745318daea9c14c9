import json

from benchmarks import head_to_head


def test_quick_sweep_in_two_parts_writes_the_stored_files(tmp_path):
    first, second = head_to_head.QUICK_OPTIMIZERS
    head_to_head.main(["--quick", "--optimizers", second, "--out", str(tmp_path)])
    stored = head_to_head.main(
        ["--quick", "--optimizers", first, "--merge", "--out", str(tmp_path)]
    )
    assert {p.name for p in tmp_path.iterdir()} == {
        "head_to_head.json",
        "head_to_head.md",
        "head_to_head.png",
    }
    on_disk = json.loads((tmp_path / "head_to_head.json").read_text())
    # the command that regenerates everything, and the two invocations that made it
    assert on_disk["command"].endswith("benchmarks/head_to_head.py --quick")
    assert [part["optimizers"] for part in on_disk["parts"]] == [[second], [first]]
    assert on_disk["parts"][1]["command"].endswith(f"--optimizers '{first}' --merge")
    assert on_disk["machine"]["torch"]
    assert on_disk["machine"]["cores"] >= 1
    rows = on_disk["results"]
    assert len(rows) == 4 == len(stored["results"])
    assert [row["optimizer"] for row in rows] == [first, second] * 2  # the registry's order
    for row in rows:
        assert len(row["trials"]) == 2
        assert len(row["test_excess"]) == 2
        assert row["rank"] in (1, 2)
        assert row["lr"] in [t["lr"] for t in row["trials"]]
        assert len(row["curve_steps"]) == len(row["val_excess"][0])
    assert on_disk["workloads"]["markov"]["floor"] > 0
    table = (tmp_path / "head_to_head.md").read_text()
    assert "| rank | optimizer |" in table
    assert "--merge` ran on" in table
