"""`python -m chemtune` itself: every documented subcommand is there, and no subcommand or an unknown one
prints the usage and fails (nothing is silently dropped)."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from chemtune import cli

# The subcommands ARCHITECTURE.md promises, plus the built-in ones.
SUBCOMMANDS = {"models", "runs", "job", "generate", "import", "export", "train", "eval", "chat", "serve",
               "study"}


def subcommands() -> set[str]:
    parser = cli.build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(actions[0].choices)


def test_every_documented_subcommand_is_registered() -> None:
    assert SUBCOMMANDS <= subcommands()


@pytest.mark.parametrize("argv", [[], ["no-such-command"]])
def test_no_or_an_unknown_subcommand_prints_usage_and_fails(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m chemtune")
    assert ("required: COMMAND" in err) if not argv else ("invalid choice: 'no-such-command'" in err)


def test_python_dash_m_chemtune_without_a_subcommand_exits_non_zero() -> None:
    done = subprocess.run([sys.executable, "-m", "chemtune"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "usage: python -m chemtune" in done.stderr and done.stdout == ""


def test_a_feature_module_that_is_missing_is_an_error_not_a_dropped_subcommand(monkeypatch) -> None:
    monkeypatch.setattr(cli, "FEATURE_COMMANDS", (*cli.FEATURE_COMMANDS, "chemtune.no_such_feature.commands"))
    with pytest.raises(ModuleNotFoundError, match="chemtune.no_such_feature"):
        cli.build_parser()
