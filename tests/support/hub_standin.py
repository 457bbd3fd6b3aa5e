"""A local stand-in for the Hugging Face Hub's HTTP API: the endpoints huggingface_hub calls to create a
repository, commit files (preupload answers "regular", so files arrive base64 in the commit, no LFS),
read a model's info and download its files (`snapshot_download`, `hf_hub_download`).

Point huggingface_hub at it with HF_ENDPOINT=<url> (or `endpoint=`). Writes need `Authorization: Bearer
<token>` with the stand-in's token; repositories live in memory, readable by the test (`.repos`)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml


@dataclass
class Repo:
    repo_id: str
    private: bool
    files: dict[str, bytes] = field(default_factory=dict)
    commits: list[str] = field(default_factory=list)

    @property
    def sha(self) -> str:
        return self.commits[-1] if self.commits else "0" * 40

    def card_data(self) -> dict[str, Any] | None:
        readme = self.files.get("README.md", b"").decode("utf-8")
        match = re.match(r"^---\n(.*?)\n---\n", readme, re.S)
        return yaml.safe_load(match.group(1)) if match else None


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class HubStandIn:
    """The server; use as a context manager: `with HubStandIn(token) as hub: hub.url`."""

    def __init__(self, token: str, user: str = "chem-lab") -> None:
        self.token, self.user = token, user
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, path, headers (lower-case)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HubStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(hub: HubStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        # -- plumbing

        def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
                   raw: bytes | None = None) -> None:
            data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream" if raw is not None
                             else "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _error(self, status: int, message: str, code: str | None = None) -> None:
            headers = {"X-Error-Message": message}
            if code:
                headers["X-Error-Code"] = code
            self._reply(status, {"error": message}, headers)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _authorized(self) -> bool:
            return self.headers.get("Authorization") == f"Bearer {hub.token}"

        def _repo(self, repo_id: str, write: bool = False) -> Repo | None:
            repo = hub.repos.get(repo_id)
            if repo is None or ((repo.private or write) and not self._authorized()):
                self._error(401 if not self._authorized() else 404, "Repository Not Found",
                            "RepoNotFound")
                return None
            return repo

        def _record(self) -> str:
            path = urlsplit(self.path).path
            hub.requests.append((self.command, path, {k.lower(): v for k, v in self.headers.items()}))
            return path

        # -- routes

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            path = self._record()
            if path == "/api/repos/create":
                return self._create(json.loads(self._body()))
            if path == "/api/validate-yaml":
                return self._validate_yaml(json.loads(self._body()))
            match = re.fullmatch(r"/api/models/([^/]+/[^/]+)/(preupload|commit)/(.+)", path)
            if match:
                repo = self._repo(match.group(1), write=True)
                if repo is None:
                    return None
                if match.group(2) == "preupload":
                    files = json.loads(self._body())["files"]
                    return self._reply(200, {"files": [{"path": f["path"], "uploadMode": "regular",
                                                        "shouldIgnore": False, "oid": None} for f in files]})
                return self._commit(repo, self._body())
            return self._error(404, f"no route {path}")

        def do_GET(self) -> None:  # noqa: N802
            path = self._record()
            match = re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?", path)
            if match:
                repo = self._repo(match.group(1))
                return None if repo is None else self._reply(200, self._info(repo))
            match = re.fullmatch(r"/api/models/([^/]+/[^/]+)/tree/([^/]+)(/.*)?", path)
            if match:
                repo = self._repo(match.group(1))
                if repo is None:
                    return None
                return self._reply(200, [{"type": "file", "oid": git_blob_sha(data), "size": len(data),
                                          "path": name} for name, data in sorted(repo.files.items())])
            return self._resolve(path)

        def do_HEAD(self) -> None:  # noqa: N802
            self._resolve(self._record())

        def _resolve(self, path: str) -> None:
            match = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
            if not match:
                return self._error(404, f"no route {path}")
            repo = self._repo(match.group(1))
            if repo is None:
                return None
            name = unquote(match.group(3))
            if name not in repo.files:
                return self._error(404, "Entry not found", "EntryNotFound")
            data = repo.files[name]
            self._reply(200, raw=data, headers={"X-Repo-Commit": repo.sha,
                                                "ETag": f'"{git_blob_sha(data)}"'})

        # -- actions

        def _create(self, payload: dict) -> None:
            if not self._authorized():
                return self._error(401, "Invalid credentials in Authorization header")
            repo_id = f"{payload.get('organization') or hub.user}/{payload['name']}"
            with hub.lock:
                if repo_id in hub.repos:
                    return self._error(409, "You already created this model repo")
                private = payload.get("visibility") == "private" or bool(payload.get("private"))
                hub.repos[repo_id] = Repo(repo_id, private)
            self._reply(200, {"url": f"{hub.url}/{repo_id}", "name": repo_id})

        def _validate_yaml(self, payload: dict) -> None:
            from huggingface_hub import ModelCard

            try:
                ModelCard(payload["content"])  # parses the metadata, model-index included
            except Exception as exc:  # the Hub answers 400 with the reasons
                return self._reply(400, {"errors": [{"message": str(exc)}]})
            self._reply(200, {"errors": [], "warnings": []})

        def _commit(self, repo: Repo, body: bytes) -> None:
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            header = next(line["value"] for line in lines if line["key"] == "header")
            with hub.lock:
                for line in lines:
                    if line["key"] == "file":
                        value = line["value"]
                        assert value["encoding"] == "base64"
                        repo.files[value["path"]] = base64.b64decode(value["content"])
                    elif line["key"] in ("deletedFile", "deletedFolder"):
                        repo.files.pop(line["value"]["path"], None)
                    elif line["key"] == "lfsFile":
                        return self._error(400, "this stand-in takes regular uploads only")
                seed = repo.sha + header["summary"] + str(len(repo.commits))
                sha = hashlib.sha1(seed.encode()).hexdigest()
                repo.commits.append(sha)
            self._reply(200, {"commitUrl": f"{hub.url}/{repo.repo_id}/commit/{sha}", "commitOid": sha,
                              "pullRequestUrl": None})

        def _info(self, repo: Repo) -> dict[str, Any]:
            card = repo.card_data()
            return {"id": repo.repo_id, "modelId": repo.repo_id, "sha": repo.sha, "private": repo.private,
                    "author": repo.repo_id.split("/")[0], "tags": (card or {}).get("tags", []),
                    "cardData": card, "siblings": [{"rfilename": name} for name in sorted(repo.files)]}

    return Handler
