"""The response cache: every answer that passed its checks, on disk in the workspace, so a rerun after a
crash or kill -9 sends no request for documents already done, and asks again for those that failed. The
key hashes model + messages + sampling parameters (never the API key or the server's address); one small
JSON file per answer, written atomically, so a killed run leaves no half entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from chemtune import workspace


def cache_key(model: str, messages: list[dict], params: dict[str, Any]) -> str:
    """SHA-256 of the request's content: the same question to the same model hits the same entry."""
    blob = json.dumps({"model": model, "messages": messages, "params": params}, sort_keys=True,
                      ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """Answers by cache key under `$CHEMTUNE_HOME/cache/llm/` (or `root`)."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root else workspace.home() / "cache" / "llm"

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None  # a damaged entry is just a miss

    def put(self, key: str, answer: dict[str, Any]) -> None:
        # Write then rename: a killed process leaves the old state or the whole entry, never half of it.
        # No fsync (it would stall the event loop on every answer); a power cut costs at most a re-ask.
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    def keep_if(self, key: str, answer: dict[str, Any], passed: bool) -> None:
        """Keep an answer that passed its checks; forget one that did not, so a rerun asks again."""
        if passed:
            if not self._path(key).is_file():
                self.put(key, answer)
        else:
            self._path(key).unlink(missing_ok=True)

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json")) if self.root.exists() else 0
