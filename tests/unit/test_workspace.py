import json
import os

import pytest

from chemtune import workspace
from chemtune.errors import ChemtuneError


def test_home_creates_a_folder_per_kind(tmp_path, monkeypatch):
    monkeypatch.setenv("CHEMTUNE_HOME", str(tmp_path / "ws"))
    root = workspace.home()
    assert root == (tmp_path / "ws").resolve()
    assert sorted(p.name for p in root.iterdir()) == ["datasets", "evals", "models", "runs", "studies"]


def test_a_study_id_is_checked_like_every_other_name(tmp_path, monkeypatch):
    from chemtune.errors import ChemtuneError
    from chemtune.study.runner import StudyFolder

    monkeypatch.setenv("CHEMTUNE_HOME", str(tmp_path / "ws"))
    assert StudyFolder("paper-mini-1").path == workspace.home() / "studies" / "paper-mini-1"
    with pytest.raises(ChemtuneError, match="study id") as refused:
        StudyFolder("../runs")
    assert "연구 ID" in refused.value.ko


def test_home_defaults_to_workspace_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("CHEMTUNE_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert workspace.home() == (tmp_path / "workspace").resolve()


@pytest.mark.parametrize("bad, fragment", [
    ("../x", "must not"),
    ("/etc/passwd", "must not"),
    ("", "empty"),
    ("   ", "empty"),
    ("a\nb", "control characters"),
    ("tab\there", "control characters"),
    ("..", "must not start with '.'"),
    ("a/../../b", "must not"),
    ("x" * 200, "longer than"),
])
def test_unsafe_names_are_refused_with_a_clear_message(bad, fragment):
    with pytest.raises(ChemtuneError, match=fragment):
        workspace.folder("datasets", bad)


def test_korean_and_ordinary_names_are_accepted(tmp_path, monkeypatch):
    monkeypatch.setenv("CHEMTUNE_HOME", str(tmp_path))
    path = workspace.folder("datasets", "화학-ko_v1.2", create=True)
    assert path.is_dir() and path.parent == (tmp_path / "datasets").resolve()


def test_json_and_yaml_round_trip_with_korean(tmp_path):
    data = {"name": "촉매", "values": [1, 2.5], "nested": {"ok": True}}
    workspace.write_json(tmp_path / "a.json", data)
    workspace.write_yaml(tmp_path / "a.yaml", data)
    assert workspace.read_json(tmp_path / "a.json") == data
    assert workspace.read_yaml(tmp_path / "a.yaml") == data
    assert "촉매" in (tmp_path / "a.json").read_text(encoding="utf-8")


def test_a_failed_write_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "status.json"
    workspace.write_json(target, {"status": "running"})

    class Unserialisable:
        pass

    with pytest.raises(TypeError):
        workspace.write_json(target, {"status": Unserialisable()})
    assert json.loads(target.read_text()) == {"status": "running"}
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]  # no temp file left behind


def test_written_files_get_ordinary_permissions(tmp_path):
    workspace.write_json(tmp_path / "a.json", {})
    assert os.stat(tmp_path / "a.json").st_mode & 0o044 == 0o044 & ~workspace._UMASK


def test_reading_a_broken_json_file_names_it(tmp_path):
    (tmp_path / "meta.json").write_text('{"a": ')
    with pytest.raises(ChemtuneError, match="meta.json"):
        workspace.read_json(tmp_path / "meta.json")


def test_uploads_are_kept_by_content_so_two_files_with_one_name_never_collide(tmp_path, monkeypatch):
    monkeypatch.setenv("CHEMTUNE_HOME", str(tmp_path / "ws"))
    first, second = tmp_path / "a" / "exam.csv", tmp_path / "b" / "exam.csv"
    for path, text in ((first, "q1,A\n"), (second, "q2,B\n")):
        path.parent.mkdir()
        path.write_text(text)
    kept_first, kept_second = workspace.keep_upload(first), workspace.keep_upload(second)
    assert kept_first != kept_second
    assert kept_first.read_text() == "q1,A\n" and kept_second.read_text() == "q2,B\n"
    assert workspace.keep_upload(first) == kept_first  # the same file is kept once
