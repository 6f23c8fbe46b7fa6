"""Imports every subcommand module so that each registers itself on the group, in help order."""

from . import why, evicted, clean, secrets_check, demo  # noqa: F401
