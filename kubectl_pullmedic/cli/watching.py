"""The follow-up ``why --watch`` and ``retry`` share: run a watch, print each change as it comes,
then how it ended; the exit code says whether everything followed now runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Optional, Tuple

from ..engine.watch import INTERRUPTED, Watch, WatchQuery
from ..errors import ExitCode
from ..render.view import View
from ..render.watch import change_line, header, notice_line, outcome_text
from ..settings import Settings
from .common import connect, scope_of, write
from .options import output_format


def watch_after(settings: Settings, target: Optional[Tuple[str, str]], target_text: Optional[str],
                timeout: Optional[timedelta], slow_pull: timedelta) -> ExitCode:
    """``why --watch``: after the diagnosis, follow its pods (its own connection: one cluster, one scope)."""
    cluster = connect(settings)
    watch = Watch(cluster, WatchQuery(scope_of(settings, cluster), target, timeout, slow_pull=slow_pull), settings.now)
    return follow(settings, watch, f"of {target_text}" if target_text else "", timeout)


def follow(settings: Settings, watch: Watch, what: str, timeout: Optional[timedelta]) -> ExitCode:
    """0 when every followed container runs or completed, 1 when some do not at ``--timeout``,
    4 when they all run but the pods of some namespaces could not be watched, 130 on Ctrl-C (with
    what was still not running)."""
    fmt = output_format(settings.output)[0]
    view = View(output="json" if fmt == "json" else "table", color=settings.use_color, now=settings.now())
    all_namespaces = watch.query.scope.all_namespaces and not watch.query.target
    try:
        followed = watch.follow or watch.open()
        if view.output != "json" and not watch.ended():
            write(settings.stderr, header(followed.following, what))
        outcome = watch.run(lambda change: write(settings.stdout, change_line(change, view, all_namespaces)),
                            lambda text: write(settings.stderr, notice_line(text)))
    except KeyboardInterrupt:
        watch.feed.close()
        write(settings.stderr, "\n")
        write(settings.stdout, outcome_text(watch.outcome(INTERRUPTED), view, all_namespaces))
        return ExitCode.INTERRUPTED
    waited = _spoken(timeout) if timeout is not None else ""
    write(settings.stdout, outcome_text(outcome, view, all_namespaces, waited))
    if not outcome.settled:
        return ExitCode.FINDINGS
    return ExitCode.PARTIAL if outcome.unread else ExitCode.OK  # what was followed runs; the unread part is unknown


def _spoken(duration: timedelta) -> str:
    from ..core.durations import human_duration

    return human_duration(duration.total_seconds())
