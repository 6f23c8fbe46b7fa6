"""``kubectl pullmedic clean``."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Optional

import click

from ..core.evictions.cleanup import CleanupPlan, DeleteOutcome
from ..engine import clean as engine
from ..errors import ExitCode, PullmedicError
from ..render.evicted import confirmation
from ..render.safe import safe_report
from ..render.view import warnings_text
from ..settings import Settings
from .common import connect, exit_code, scope_of, show, write
from .options import Duration, KubectlCommand, connection_options, filename_option, listing_options

EXAMPLES = """\
# See what would be deleted, and what would be kept and why
kubectl pullmedic clean -A --dry-run=client

# Delete evicted pods older than a day in one namespace, without asking
kubectl pullmedic clean -n shop --older-than 24h --yes

# Also remove pods the kubelet refused at admission, and evicted Job pods
kubectl pullmedic clean -A --include-rejected --include-jobs -y

# Also remove pods stopped by a graceful node shutdown or preempted for a critical pod
kubectl pullmedic clean -A --include-shutdown --dry-run=client
"""


@click.command("clean", cls=KubectlCommand, examples=EXAMPLES)
@connection_options
@filename_option
@listing_options(formats=("name", "json"))
@click.option("--node", metavar="NODE", help="Only pods that ran on this node.")
@click.option("--older-than", type=Duration(), metavar="DURATION", help="Only pods evicted at least this long ago (e.g. 1h, 7d).")
@click.option("--include-rejected", is_flag=True, help="Also delete pods the kubelet refused at admission (OutOfcpu, NodeAffinity, node pressure, ...; they never ran).")
@click.option("--include-shutdown", is_flag=True, help="Also delete pods stopped by a graceful node shutdown or preempted by the kubelet for a critical pod.")
@click.option("--include-jobs", is_flag=True, help="Also delete evicted pods of Jobs (they count toward the Job's backoffLimit).")
@click.option("--dry-run", type=click.Choice(["none", "client", "server"]), default="none", is_flag=False, flag_value="client",
              show_default=True, help="client: only list; server: send the deletes with dryRun=All.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=16, show_default=True, help="Deletes in flight at once.")
@click.pass_obj
def clean(settings: Settings, node: Optional[str], older_than: Optional[timedelta], include_rejected: bool,
          include_shutdown: bool, include_jobs: bool, dry_run: str, yes: bool, concurrency: int) -> int:
    """Delete evicted pods, and only evicted pods.

    Unlike `kubectl delete pods --field-selector status.phase=Failed`, failed Job pods,
    pods past their deadline and other failures the kubelet did not cause are never touched;
    admission refusals, node-shutdown and kubelet-preemption endings, and Job pods only when
    asked. Each delete is guarded by the pod's uid and resourceVersion, so a pod recreated
    under the same name is never deleted.
    """
    if settings.filenames:
        raise PullmedicError("clean deletes pods from a cluster: a dump read with -f has nothing to delete")
    cluster = connect(settings, max_connections=concurrency)
    report = engine.plan(cluster, scope_of(settings, cluster), node=node, now=settings.now(),
                         include_rejected=include_rejected, include_jobs=include_jobs, older_than=older_than,
                         dry_run=dry_run, include_shutdown=include_shutdown)
    unread = report.warnings  # a namespace that could not be listed: its evicted pods are unknown (exit 4)
    if dry_run == "client" or not report.plan.to_delete:
        show(settings, report)
        return exit_code(False, unread)
    write(settings.stderr, warnings_text(safe_report(unread)))
    if not yes and dry_run == "none" and not _confirmed(settings, safe_report(report.plan)):
        settings.stderr.write("Nothing deleted.\n")
        return ExitCode.OK
    total = len(report.plan.to_delete)
    try:
        report = engine.apply(cluster, report, workers=concurrency, on_done=_progress(settings, total))
    except engine.DeletesInterrupted as stopped:
        # Ctrl-C: the deletes in flight finished and no other was sent; say what was done.
        settings.stderr.write("\n")
        show(settings, stopped.report)
        settings.stderr.write(f"interrupted: {len(stopped.outcomes)} of {total} deletes sent, the rest not\n")
        return ExitCode.INTERRUPTED
    show(settings, report)
    return ExitCode.PARTIAL if report.partly_failed or unread else ExitCode.OK


def _confirmed(settings: Settings, plan: CleanupPlan) -> bool:
    """Ask on the terminal; without one, refuse rather than delete unasked."""
    settings.stderr.write(confirmation(plan))
    if not settings.interactive:
        raise PullmedicError(
            f"refusing to delete {len(plan.to_delete)} pods without confirmation: there is no terminal to ask on",
            hint="re-run with --yes to delete them, or with --dry-run=client to list them",
        )
    settings.stderr.write(f"Delete {len(plan.to_delete)} pods? [y/N]: ")
    settings.stderr.flush()
    return settings.stdin.readline().strip().lower() in ("y", "yes")


def _progress(settings: Settings, total: int):
    """A one-line progress counter on stderr, only when stderr is a terminal."""
    if not settings.stderr_is_terminal:
        return None
    lock, done = threading.Lock(), [0]

    def update(_: DeleteOutcome) -> None:
        with lock:
            done[0] += 1
            settings.stderr.write(f"\rdeleting {done[0]}/{total}" + ("\n" if done[0] == total else ""))
            settings.stderr.flush()

    return update
