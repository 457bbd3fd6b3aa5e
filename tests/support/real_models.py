"""The two real pretrained models, converted once per machine from their PyPI GGUF packages.

Tests that use them are marked `real` and skip, naming the package, where it is not installed. The
converted folders are kept in a cache outside any test's workspace (`$CHEMTUNE_TEST_MODELS`, default
`~/.cache/chemtune-tests/models`), so a test run converts each model at most once and later runs not at all.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chemtune import gguf

SMOLLM2 = "smollm2-135m-instruct"
GEMMA = "gemma-3-270m"


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "chemtune-tests" / "models"
    return Path(os.environ.get("CHEMTUNE_TEST_MODELS") or default)


def real_model(name: str) -> Path:
    """The converted model folder of preset `name`; skips the test when its package is missing."""
    source = gguf.PACKAGED[name]
    if not source.installed():
        pytest.skip(f"the real model {name} needs its package: {source.install}")
    return gguf.build_packaged(name, target=cache_dir() / name)
