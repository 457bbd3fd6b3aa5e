"""What the Data tab's handlers share: text in the page's language, tables with translated headers, and
declared options validated with a message that names the option (the CLI's words in English, the
option's Korean label in Korean)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from chemtune import options
from chemtune.errors import ChemtuneError
from pages.data_text import STRINGS
from pages.i18n import lookup

# Korean for the pydantic refusals a form can meet; any other keeps pydantic's own sentence.
KOREAN_REASONS = {
    "greater_than_equal": "{ge} 이상이어야 합니다",
    "greater_than": "{gt}보다 커야 합니다",
    "less_than_equal": "{le} 이하여야 합니다",
    "less_than": "{lt}보다 작아야 합니다",
    "literal_error": "다음 중 하나여야 합니다: {expected}",
    "int_parsing": "정수여야 합니다",
    "int_from_float": "정수여야 합니다",
    "float_parsing": "숫자여야 합니다",
    "bool_parsing": "참 또는 거짓이어야 합니다",
    "string_type": "글자여야 합니다",
}


def t(key: str, lang: str, **args: Any) -> str:
    """The Data tab's text `key` in `lang`."""
    return lookup(STRINGS, key, lang if lang in ("en", "ko") else "en", args or None)


def refusal(key: str, **args: Any) -> ChemtuneError:
    """A ChemtuneError in both languages from the tab's text `key` (the page shows the one it speaks)."""
    return ChemtuneError(t(key, "en", **args), ko=t(key, "ko", **args))


def table(rows: list[list[Any]], columns: tuple[str, ...], lang: str) -> Any:
    """Rows as a DataFrame whose headers are in the page's language (a Dataframe shows them)."""
    import pandas as pd

    return pd.DataFrame(rows, columns=[t(column, lang) for column in columns])


def headers(columns: tuple[str, ...], lang: str) -> list[str]:
    return [t(column, lang) for column in columns]


def rows_of(value: Any) -> list[list[Any]]:
    """A Dataframe's value as a list of rows (pandas or plain lists)."""
    return value.values.tolist() if hasattr(value, "values") else list(value or [])


def make(config: type[BaseModel], values: dict[str, Any], where: str) -> Any:
    """`config(**values)` (None and blank text take the default), or a ChemtuneError naming each refused
    option: word for word the CLI's message in English, with the option's Korean label in Korean."""
    given = {key: value for key, value in values.items()
             if value is not None and not (isinstance(value, str) and not value.strip())}
    try:
        return config(**given)
    except ValidationError as exc:
        english = str(options.explain(config, exc, t(where, "en"), noun=_noun(where)))
        korean = f"{t(where, 'ko')}: " + "; ".join(_korean(config, item) for item in exc.errors())
        raise ChemtuneError(english, ko=korean) from None


def _noun(where: str) -> str:
    return t(where, "en").removesuffix("s")  # "generation options" → "generation option", as the CLI


def _korean(config: type[BaseModel], item: dict[str, Any]) -> str:
    name = str(item["loc"][0]) if item["loc"] else ""
    if name not in config.model_fields:
        return f"'{name}'은(는) 옵션이 아닙니다"
    label = options.describe(config, name)["ko"] or name
    reason = KOREAN_REASONS.get(item["type"])
    if reason is None:
        return f"{label} ({name}): " + item["msg"].removeprefix("Value error, ")
    return f"{label} ({name}): " + reason.format(**(item.get("ctx") or {}))
