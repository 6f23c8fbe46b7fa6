"""``kubectl pullmedic why``."""

from __future__ import annotations

from datetime import timedelta
from typing import Optional, Tuple

import click

from ..engine import why as engine
from ..engine.why import WhyQuery
from ..settings import Settings
from .common import exit_code, parse_target, prober_for, show
from .contexts import one_context, per_context
from .options import (LISTING_FORMATS, Duration, KubectlCommand, connection_options, filename_option, fleet_options,
                      listing_options, probe_options)
from .watching import watch_after

EXAMPLES = """\
# Every pod with an image-pull problem or eviction in the current namespace
kubectl pullmedic why

# One pod, explained in full, with the commands that fix it
kubectl pullmedic why web-7d4b9c-x2x5q -n shop

# The pods of a workload (deploy, sts, ds, rs, job, cj)
kubectl pullmedic why deploy/web -n shop

# The whole cluster, as JSON for scripts
kubectl pullmedic why -A -o json

# Also ask the registry, with the pod's pull secret, whether the tag exists for the node's platform
kubectl pullmedic why web-7d4b9c-x2x5q -n shop --probe

# After a fix: follow the pods until they pull and run (or 10 minutes pass)
kubectl pullmedic why deploy/web -n shop --watch --timeout 10m

# Every cluster of the kubeconfig at once, with a CONTEXT column
kubectl pullmedic why -A --all-contexts

# No access, only a dump: diagnose kubectl cluster-info dump's folder (or a .tar.gz of it)
kubectl pullmedic why -A -f cluster-dump/
"""


@click.command("why", cls=KubectlCommand, examples=EXAMPLES)
@connection_options
@filename_option
@listing_options(formats=LISTING_FORMATS)
@click.argument("target", required=False, metavar="[POD | TYPE/NAME]")
@click.option("--since", type=Duration(), metavar="DURATION",
              help="Only problems seen within this long (e.g. 30m, 2h, 7d).")
@click.option("--slow-pull", type=Duration(), metavar="DURATION", default="5m", show_default=True,
              help="A pull still running after this long is reported as SlowPull.")
@probe_options
@click.option("-w", "--watch", is_flag=True,
              help="After the diagnosis, follow the pods and print one line per change (a new failure or cause, "
                   "a pull attempt, a pull's time, running, a replacement) until every one runs.")
@click.option("--timeout", type=Duration(), metavar="DURATION",
              help="With --watch: stop after this long; exit 1 naming what still does not run.")
@fleet_options
@click.pass_obj
def why(settings: Settings, target: Optional[str], since: Optional[timedelta], slow_pull: timedelta, probe: bool,
        insecure_registries: Tuple[str, ...], registry_ca: Optional[str], watch: bool = False,
        timeout: Optional[timedelta] = None) -> int:
    """Explain why pods cannot pull their images or were evicted, and how to fix it.

    Names the cause of every ErrImagePull, ImagePullBackOff, InvalidImageName,
    ErrImageNeverPull and eviction from the kubelet's events and the pod's status (kubelet
    1.32+ keeps the last pull error even after events expire), with the registry's own words,
    the back-off state, and paste-ready fix commands. Exits 1 when a problem is found;
    else 4 when part of the cluster could not be read (a 403), so no problem is not proven.

    With --probe, each failing image is also asked of its registry with the credentials the
    pod sends and for its node's os/arch; this machine's network is not the node's.

    With --watch, the pods are then followed through the watch API (each change as it
    happens; -o json streams one document per change) until every followed container runs
    or completed (exit 0; 4 when the pods of some namespaces could not be watched), --timeout
    passes (exit 1) or Ctrl-C (exit 130). A pull that passes --slow-pull is said when it does.

    LAST SEEN is when the problem was last seen (the newest failure event, the eviction;
    "now" for a container waiting on a pull with no event on record), FIRST SEEN (-o wide)
    when it was first seen, as in kubectl get events. Evictions more than an hour old are
    listed apart as leftovers to clean up and do not set the exit code.
    """
    parsed = parse_target(target, settings)
    if timeout is not None and not watch:
        raise click.UsageError("--timeout needs --watch")
    if watch and settings.filenames:
        raise click.UsageError("--watch follows a cluster; a dump read with -f does not change")
    if watch:
        one_context(settings, "--watch")
    prober = prober_for(settings, probe, insecure_registries, registry_ca)
    report = per_context(settings, lambda cluster, scope: engine.why(
        cluster, WhyQuery(scope, parsed, target or "", settings.now(), since, slow_pull), prober))
    show(settings, report)
    if watch:
        return watch_after(settings, parsed, target, timeout, slow_pull)
    return exit_code(report.found_problems, report.warnings)

