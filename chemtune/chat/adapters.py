"""Finding adapters: a PEFT adapter folder, or a finished train run (by its run id)."""

from __future__ import annotations

from pathlib import Path

from chemtune import jobs
from chemtune.errors import ChemtuneError


def _is_adapter(path: Path) -> bool:
    return (path / "adapter_config.json").exists()


def run_adapter_dir(run_id: str) -> Path:
    """The adapter a train run saved: status["result"]["adapter_dir"], else `<run_dir>/adapter`."""
    run = jobs.run_folder(run_id)
    status = run.status()
    recorded = (status.get("result") or {}).get("adapter_dir")
    candidates = [Path(recorded)] if recorded else []
    candidates.append(run.path / "adapter")
    for path in candidates:
        if not path.is_absolute():
            path = run.path / path
        if _is_adapter(path):
            return path
    state = status.get("status", "unknown")
    raise ChemtuneError(f"Run {run_id!r} ({state}) has no saved adapter yet; looked in "
                        f"{', '.join(str(p) for p in candidates)}.")


def _default_name(path: Path) -> str:
    """A folder's name, except inside a run folder (`<run_id>/adapter`): every run's is called "adapter",
    so it is named after its run, and loading another run's adapter never replaces this one."""
    for folder in (path.parent, path.parent.parent):
        if (folder / "status.json").exists() and (folder / "config.yaml").exists():
            return folder.name
    return path.name


def resolve_adapter(spec: str) -> tuple[str, Path]:
    """Turn "NAME=PATH", "PATH" or "RUN_ID" (or "NAME=RUN_ID") into (name, adapter folder)."""
    spec = (spec or "").strip()
    if not spec:
        raise ChemtuneError("Empty adapter; give a folder with adapter_config.json or a train run id.")
    name, eq, target = spec.partition("=")
    if not eq:
        name, target = "", spec
    name, target = name.strip(), target.strip()
    path = Path(target).expanduser()
    if path.is_dir():
        if not _is_adapter(path):
            raise ChemtuneError(f"{path} is a folder but not a PEFT adapter (no adapter_config.json).")
        return name or _default_name(path.resolve()), path.resolve()
    if "/" in target or target.startswith((".", "~")):
        raise ChemtuneError(f"Adapter folder {target!r} does not exist.")
    return name or target, run_adapter_dir(target)


def run_base_model(run_id: str) -> str | None:
    """The base model a train run was started with (its config's `model`), if recorded."""
    config = jobs.run_folder(run_id).config()
    model = config.get("model") or config.get("base_model")
    return str(model) if model else None


def trained_adapters() -> list[dict]:
    """Finished train runs with a saved adapter: [{"run_id", "adapter_dir", "model", "status"}], newest
    first. (An aborted run also saves an adapter, but it is not a finished model to chat with or compare.)"""
    rows = []
    for row in jobs.list_runs(kind="train"):
        if row.get("status") != "done":
            continue
        try:
            path = run_adapter_dir(row["run_id"])
        except ChemtuneError:
            continue
        rows.append({"run_id": row["run_id"], "adapter_dir": str(path),
                     "model": run_base_model(row["run_id"]), "status": row.get("status")})
    return rows
