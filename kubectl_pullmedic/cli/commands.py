"""Imports every subcommand module so that each registers itself on the group."""

from . import secrets_check  # noqa: F401
