"""Bad option values on the command line end as one line naming the option, with exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chemtune import cli
from chemtune.datagen import commands


def _error_line(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err.strip()


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    path = tmp_path / "doc.txt"
    path.write_text("Zeolites are microporous aluminosilicates.", encoding="utf-8")
    return path


@pytest.mark.parametrize(("flags", "message"), [
    (["--concurrency", "0"], "Requests at once (concurrency): Input should be greater than or equal to 1"),
    (["--dedup-threshold", "1.5"], "Duplicate similarity (dedup_threshold): Input should be less than or "
                                   "equal to 1"),
    (["--temperature", "-1"], "Temperature (temperature): Input should be greater than or equal to 0"),
    (["--limit", "-1"], "Documents to use (limit): Input should be greater than or equal to 0"),
    (["--prices", "gpt-4o=cheap"], "Prices (USD per 1M tokens) (prices): 'gpt-4o=cheap': write "
                                   "MODEL=INPUT/OUTPUT"),
])
def test_generate_names_the_option_with_a_bad_value(
        capsys: pytest.CaptureFixture, doc: Path, flags: list[str], message: str) -> None:
    argv = ["generate", "--task", "keywords", "--source", str(doc), "--out", "x", *flags]
    assert _error_line(capsys, argv).startswith("error: generation options: " + message)


def test_import_checks_the_dedup_threshold_before_importing(
        capsys: pytest.CaptureFixture, tmp_path: Path, isolated_workspace: Path) -> None:
    source = tmp_path / "two.jsonl"
    rows = [{"instruction": "What is H2O?", "output": "Water"},
            {"instruction": "What is NaCl?", "output": "Salt"}]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    line = _error_line(capsys, ["import", str(source), "--out", "two", "--dedup-threshold", "0"])
    assert line.startswith("error: import options: Duplicate similarity (dedup_threshold): Input should be "
                           "greater than 0")
    assert not (isolated_workspace / "datasets" / "two").exists()


def test_mixture_part_with_a_negative_ratio_is_named(capsys: pytest.CaptureFixture) -> None:
    line = _error_line(capsys, ["datasets", "mix", "--out", "m", "--part", "dataset=sample,ratio=-1"])
    assert line.startswith("error: --part 'dataset=sample,ratio=-1': ratio: must be at least 0")


def test_any_config_validation_error_is_one_line_naming_the_field(
        capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from chemtune.datagen.mixtures import MixturePart

    monkeypatch.setattr(commands, "cmd_datasets", lambda args: MixturePart(dataset="sample", ratio=-1))
    assert _error_line(capsys, ["datasets"]).startswith("error: ratio: Input should be greater than or equal")
