"""`python -m engine` is the `dialspool` command."""

import sys

from engine.cli import main

sys.exit(main())
