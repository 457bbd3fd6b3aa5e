"""The one exception type that the UI and the CLI show to users."""

from __future__ import annotations


class ChemtuneError(Exception):
    """A problem a user can meet and fix: the message is shown as is, without a traceback.

    `ko` optionally carries the same message in Korean; the pages show it on a Korean page (the CLI
    speaks English)."""

    def __init__(self, *args: object, ko: str | None = None) -> None:
        super().__init__(*args)
        self.ko = ko

    def text(self, lang: str = "en") -> str:
        """The message in `lang` ("ko" falls back to English when no Korean text was given)."""
        return self.ko if lang == "ko" and getattr(self, "ko", None) else str(self)
