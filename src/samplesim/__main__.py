"""``python -m samplesim`` runs the command line."""

import sys

from samplesim.cli import main

sys.exit(main())
