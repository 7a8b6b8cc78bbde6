"""`python -m pingone_simulator --port 0` (same flags as `pingone-operator simulator`)."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
