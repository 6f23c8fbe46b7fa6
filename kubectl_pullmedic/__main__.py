"""``python -m kubectl_pullmedic`` runs the plugin, as the ``kubectl-pullmedic`` executable does."""

import sys

from .cli.main import main

sys.exit(main())
