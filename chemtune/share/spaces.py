"""What a Hugging Face Space changes: its persistent storage (see chemtune.workspace), its secrets, which
are read from the environment and only ever reported as set or not, and its hardware."""

from __future__ import annotations

import os

from chemtune import workspace

SECRETS = ("HF_TOKEN", "OPENAI_API_KEY")


def secrets_set() -> dict[str, bool]:
    """Whether each secret chemtune reads is set (never its value)."""
    return {name: bool(os.environ.get(name, "").strip()) for name in SECRETS}


def status() -> dict[str, object]:
    """The Space facts the app's footer shows: on a Space, where the workspace is, whether it survives a
    restart, and which secrets are set."""
    return {"space": workspace.on_space(), "space_id": os.environ.get("SPACE_ID") or None,
            "workspace": str(workspace.home()), "lost_on_restart": workspace.lost_on_restart(),
            "persistent_storage": str(workspace.persistent_storage() or "") or None,
            "secrets": secrets_set()}
