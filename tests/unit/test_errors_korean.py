import ast
from pathlib import Path

import pytest

import chemtune
from chemtune import models
from chemtune.errors import ChemtuneError

PACKAGE = Path(chemtune.__file__).parent

# Errors that only pass on another error's text, so there is no Korean to give:
# (file under chemtune/, the source of the message argument) -> why.
WITHOUT_KOREAN = {
    ("chat/remote.py", "f'{base_url}: {exc}'"): "the endpoint's own error text after its URL",
    ("study/plan.py", "f'{where}: {error}'"): "a pydantic validation message after the mixture's field",
}


def _is_chemtune_error(call: ast.Call) -> bool:
    func = call.func
    return (isinstance(func, ast.Name) and func.id == "ChemtuneError") or \
        (isinstance(func, ast.Attribute) and func.attr == "ChemtuneError")


def _calls_without_korean() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_chemtune_error(node) \
                    and not any(keyword.arg == "ko" for keyword in node.keywords):
                message = ast.unparse(node.args[0]) if node.args else ""
                found.append((path.relative_to(PACKAGE).as_posix(), node.lineno, message))
    return found


def test_every_chemtune_error_has_a_korean_text():
    missing = [f"chemtune/{file}:{line}: {message}" for file, line, message in _calls_without_korean()
               if (file, message) not in WITHOUT_KOREAN]
    assert not missing, "ChemtuneError(...) without ko=:\n" + "\n".join(missing)


def test_the_allow_list_names_only_errors_that_exist():
    present = {(file, message) for file, _, message in _calls_without_korean()}
    assert set(WITHOUT_KOREAN) <= present


def test_text_picks_the_korean_on_a_korean_page():
    error = ChemtuneError("x", ko="y")
    assert error.text("ko") == "y"
    assert error.text("en") == "x"
    assert ChemtuneError("x").text("ko") == "x"


def test_a_bad_model_name_reads_in_korean(tmp_path, monkeypatch):
    monkeypatch.setenv("CHEMTUNE_HOME", str(tmp_path / "ws"))
    with pytest.raises(ChemtuneError) as caught:
        models.resolve("no such model")
    assert str(caught.value).startswith("'no such model' is neither a preset")
    assert caught.value.text("en") == str(caught.value)
    assert caught.value.text("ko").startswith("'no such model'은(는) 프리셋(")
    assert caught.value.text("ko").endswith("존재하는 폴더도 아닙니다.")
