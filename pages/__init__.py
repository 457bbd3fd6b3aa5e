"""The app's tabs, one file per tab, in the order they appear.

A page module exposes:
    STRINGS   its own UI text, {"id": {"en": "...", "ko": "..."}}; the id "tab" is the tab title.
    build(text: pages.i18n.PageText) -> None
              lays the tab out inside the gr.Tab that app.py opened, then wires its events.
Layout and wiring only: the work a handler needs lives in chemtune/, where the CLI and tests reach it.
Import heavy libraries (torch, transformers) inside handlers, not at the top of a page module, so the
app starts in seconds. See pages/i18n.py for how text follows the language switch.
"""

from pages import chat, data, evaluate, study, train

PAGES = (data, train, evaluate, chat, study)
