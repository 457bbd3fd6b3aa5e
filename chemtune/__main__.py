"""`python -m chemtune` runs the command line."""

import sys

from chemtune.cli import main

sys.exit(main())
