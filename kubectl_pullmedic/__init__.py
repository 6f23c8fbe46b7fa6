"""kubectl-pullmedic: why a pod cannot pull its image or was evicted, and how to fix it."""

__version__ = "0.1.0"
