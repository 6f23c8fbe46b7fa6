"""What the commands that delete pods (``clean``, ``retry``) share: their options, the question
before deleting, the progress counter while the deletes run, and what Ctrl-C during them says."""

from __future__ import annotations

import threading
from typing import Callable, Optional

import click

from ..cluster.deleting import DeletesInterrupted
from ..core.evictions.cleanup import CleanupPlan, DeleteOutcome
from ..errors import ExitCode, PullmedicError
from ..render.evicted import confirmation
from ..settings import Settings
from .common import show


def delete_options(command: Callable) -> Callable:
    """``--dry-run``, ``-y/--yes`` and ``--concurrency``, spelled once for every command that deletes."""
    for option in reversed((
        click.option("--dry-run", type=click.Choice(["none", "client", "server"]), default="none", is_flag=False,
                     flag_value="client", show_default=True,
                     help="client: only list; server: send the deletes with dryRun=All."),
        click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation."),
        click.option("--concurrency", type=click.IntRange(1, 64), default=16, show_default=True,
                     help="Deletes in flight at once."),
    )):
        command = option(command)
    return command


def go_ahead(settings: Settings, plan: CleanupPlan, yes: bool, dry_run: str) -> bool:
    """Whether to send the planned deletes: yes without asking for ``--yes`` or a server dry run (it
    deletes nothing); else the answer to the question, and "Nothing deleted." when it is no."""
    if yes or dry_run != "none" or confirmed(settings, plan):
        return True
    settings.stderr.write("Nothing deleted.\n")
    return False


def confirmed(settings: Settings, plan: CleanupPlan) -> bool:
    """Ask on the terminal (the plan first, then ``Delete N pods? [y/N]``); without a terminal, refuse
    (exit 2) rather than delete unasked. ``plan`` is already made safe for a terminal."""
    settings.stderr.write(confirmation(plan))
    if not settings.interactive:
        raise PullmedicError(
            f"refusing to delete {len(plan.to_delete)} pods without confirmation: there is no terminal to ask on",
            hint="re-run with --yes to delete them, or with --dry-run=client to list them",
        )
    settings.stderr.write(f"Delete {len(plan.to_delete)} pods? [y/N]: ")
    settings.stderr.flush()
    return settings.stdin.readline().strip().lower() in ("y", "yes")


def progress(settings: Settings, total: int) -> Optional[Callable[[DeleteOutcome], None]]:
    """A one-line ``deleting N/TOTAL`` counter on stderr, only when stderr is a terminal (a pipe or a
    log gets no carriage returns); called from the deleting threads, hence the lock."""
    if not settings.stderr_is_terminal:
        return None
    lock, done = threading.Lock(), [0]

    def update(_: DeleteOutcome) -> None:
        with lock:
            done[0] += 1
            settings.stderr.write(f"\rdeleting {done[0]}/{total}" + ("\n" if done[0] == total else ""))
            settings.stderr.flush()

    return update


def interrupted(settings: Settings, stopped: DeletesInterrupted, total: int) -> ExitCode:
    """Ctrl-C during the deletes: those in flight finished and no other was sent; show what was done
    (the report the interruption carries) and how much of it, exit 130."""
    settings.stderr.write("\n")
    show(settings, stopped.report)
    settings.stderr.write(f"interrupted: {len(stopped.outcomes)} of {total} deletes sent, the rest not\n")
    return ExitCode.INTERRUPTED
