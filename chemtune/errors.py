"""The one exception type that the UI and the CLI show to users."""


class ChemtuneError(Exception):
    """A problem a user can meet and fix: the message is shown as is, without a traceback."""
