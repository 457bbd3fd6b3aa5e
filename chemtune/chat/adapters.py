"""Finding adapters: a PEFT adapter folder, or a finished train run (by its run id).

The one rule for which adapter a spec means and what it is called, for chat, serve and evaluation alike:
"NAME=PATH", "PATH" or "RUN_ID" (or "NAME=RUN_ID"); a folder inside a run folder is named after its run
(every run's adapter folder is called "adapter"), a run id is its own name.
"""

from __future__ import annotations

from pathlib import Path

from chemtune import jobs
from chemtune.errors import ChemtuneError


def _is_adapter(path: Path) -> bool:
    return (path / "adapter_config.json").exists()


def run_adapter_dir(run_id: str) -> Path:
    """The adapter a train run saved: status["result"]["adapter_dir"], else `<run_dir>/adapter`."""
    try:
        run = jobs.run_folder(run_id)
    except ChemtuneError as error:
        raise ChemtuneError(str(error), ko=f"{run_id!r}이라는 실행이 없습니다.") from None
    status = run.status()
    kind = status.get("kind")
    if kind and kind != "train":
        raise ChemtuneError(f"Run {run_id!r} is not a train run (its kind is {kind}).",
                            ko=f"실행 {run_id!r}은(는) 학습 실행이 아닙니다({kind}).")
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
                        f"{', '.join(str(p) for p in candidates)}.",
                        ko=f"실행 {run_id!r}({state})에는 아직 저장된 어댑터가 없습니다.")


def _default_name(path: Path) -> str:
    """A folder's name, except inside a run folder (`<run_id>/adapter`): every run's is called "adapter",
    so it is named after its run, and loading another run's adapter never replaces this one."""
    for folder in (path.parent, path.parent.parent):
        if (folder / "status.json").exists() and (folder / "config.yaml").exists():
            return folder.name
    return path.name


def _split(spec: str) -> tuple[str, str]:
    """"NAME=TARGET" → (NAME, TARGET); a spec without "=" has no name."""
    name, eq, target = (spec or "").strip().partition("=")
    if not eq:
        name, target = "", spec
    return name.strip(), target.strip()


def _is_path(target: str) -> bool:
    return any(sep in target for sep in ("/", "\\")) or target.startswith((".", "~"))


def resolve_adapter(spec: str) -> tuple[str, Path]:
    """Turn "NAME=PATH", "PATH" or "RUN_ID" (or "NAME=RUN_ID") into (name, adapter folder)."""
    name, target = _split(spec)
    if not target:
        raise ChemtuneError("Empty adapter; give a folder with adapter_config.json or a train run id.",
                            ko="어댑터가 비어 있습니다. adapter_config.json이 든 폴더나 학습 실행 ID를 "
                               "주세요.")
    path = Path(target).expanduser()
    if path.is_dir():
        if not _is_adapter(path):
            raise ChemtuneError(f"{path} is a folder but not a PEFT adapter (no adapter_config.json).",
                                ko=f"{path}는 폴더이지만 PEFT 어댑터가 아닙니다(adapter_config.json 없음).")
        return name or _default_name(path.resolve()), path.resolve()
    if _is_path(target):
        raise ChemtuneError(f"Adapter folder {target!r} does not exist.",
                            ko=f"어댑터 폴더 {target!r}이(가) 없습니다.")
    return name or target, run_adapter_dir(target)


def adapter_name(spec: str) -> str:
    """The name `resolve_adapter` gives a spec, without requiring it to exist: a folder no longer there is
    named as inside its run (`<run_id>/adapter` → run_id), so an old evaluation's row keeps its label."""
    name, target = _split(spec)
    if name:
        return name
    path = Path(target).expanduser()
    if path.is_dir():
        return _default_name(path.resolve())
    if not _is_path(target):
        return target  # a train run's id
    return path.parent.name if path.name == "adapter" and path.parent.name else path.name


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
