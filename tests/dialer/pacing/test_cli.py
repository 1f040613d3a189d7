import argparse
import json
from pathlib import Path

from engine.dialer.simulate import cli


def test_simulate_writes_one_json_object_per_scenario_policy_and_seed(
    tmp_path: Path, capsys: object
) -> None:
    out = tmp_path / "runs.json"
    argv = ["S1", "S2", "--seeds", "2", "--hours", "0.1", "--policy", "progressive",
            "--policy", "predictive", "--policy", "foresight", "--json", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    rows = json.loads(out.read_text())
    assert len(rows) == 2 * 3 * 2
    keys = {(r["scenario"], r["policy"], r["seed"]) for r in rows}
    assert len(keys) == 12
    for row in rows:
        for field in ("occupancy", "abandon_day", "abandon_worst_hour", "abandon_first_hour",
                      "connects_per_agent_hour", "idle_per_connect", "peak_lines"):  # fmt: skip
            assert isinstance(row[field], int | float)
        assert isinstance(row["meets_limits"], bool)
    printed = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "predictive" in printed and "S2" in printed


def test_add_parser_registers_simulate() -> None:
    parser = argparse.ArgumentParser(prog="dialspool")
    subparsers = parser.add_subparsers(dest="command")
    cli.add_parser(subparsers)
    args = parser.parse_args(["simulate", "S3", "--seeds", "3", "--policy", "vicidial"])
    assert args.command == "simulate"
    assert args.scenarios == ["S3"]
    assert args.seeds == 3 and args.policy == ["vicidial"]
    assert args.handler is cli.run


def test_unknown_scenario_is_reported(capsys: object) -> None:
    assert cli.main(["S9", "--hours", "0.1"]) == 2
    assert "no scenario" in capsys.readouterr().err  # type: ignore[attr-defined]


def test_first_seed_moves_the_seed_range(tmp_path: Path) -> None:
    out = tmp_path / "runs.json"
    argv = ["S1", "--seeds", "2", "--first-seed", "100", "--hours", "0.05",
            "--policy", "progressive", "--json", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    assert sorted(r["seed"] for r in json.loads(out.read_text())) == [100, 101]
