"""chemtune: instruction-tune a general LLM into a Korean/English chemistry specialist."""

from chemtune.errors import ChemtuneError

__version__ = "0.1.0"
__all__ = ["ChemtuneError", "__version__"]
