"""``kubectl pullmedic demo``: the main commands, run against the built-in sandbox cluster."""

from __future__ import annotations

from typing import List

import click

from ..errors import ExitCode
from ..settings import Settings
from . import funnel
from .common import write
from .options import KubectlCommand

STEPS = (
    ("Every pod with an image-pull problem or eviction in one namespace, each explained",
     ["why", "-n", "shop"]),
    ("One pod explained in full: the cause, the registry's words, the back-off, the fix",
     ["why", "storefront-wh2ghkdwhg-w5d66", "-n", "shop"]),
    ("The pods of one workload", ["why", "deploy/catalog", "-n", "shop"]),
    ("Evicted pods, one line per workload, with sized fixes", ["evicted", "-A", "--group-by", "owner"]),
    ("What clean would delete, and what it keeps and why", ["clean", "-A", "--dry-run=client"]),
    ("Pull secrets checked before they break a rollout", ["secrets-check", "-n", "payments"]),
)


@click.command("demo", cls=KubectlCommand, examples="# Start the sandbox and walk through the main commands\nkubectl pullmedic demo\n")
@click.option("--keep-running", is_flag=True, help="Keep the sandbox serving afterwards, to try commands by hand.")
@click.pass_context
def demo(ctx: click.Context, keep_running: bool) -> int:
    """Walk through the main commands on a built-in sandbox cluster (no cluster needed).

    Starts a small Kubernetes API server on 127.0.0.1 loaded with real-world failure
    scenarios (tag typos, missing credentials, rate limits, DNS, TLS, wrong architecture,
    full disks, evictions), then runs why, evicted, clean --dry-run and secrets-check
    against it exactly as you would against your cluster; last, why --watch follows a
    scripted fix (a missing pull secret created) until the pods run.
    """
    from ..sandbox import Sandbox

    settings: Settings = ctx.obj
    group = ctx.find_root().command
    with Sandbox(scenarios=True) as sandbox:
        for title, args in STEPS:
            argv: List[str] = args + ["--kubeconfig", sandbox.kubeconfig_path]
            write(settings.stdout, f"\n# {title}\n$ kubectl pullmedic {' '.join(args)}\n")
            code = funnel.run(group, argv, _fresh(settings))
            if code not in (ExitCode.OK, ExitCode.FINDINGS):
                return code
        code = _follow_a_fix(group, settings)
        if code not in (ExitCode.OK, ExitCode.FINDINGS):
            return code
        write(settings.stdout, f"\nThe sandbox's kubeconfig: {sandbox.kubeconfig_path}\n")
        if keep_running:
            write(settings.stdout, "Serving until Ctrl-C; try: kubectl --kubeconfig "
                           f"{sandbox.kubeconfig_path} get pods -A\n")
            _wait_forever()
    return ExitCode.OK


FIX_TITLE = ("A fix followed to the running pods: the missing pull secret appears (scripted), the pods pull and run",
             ["why", "deploy/web", "-n", "storefront", "--watch", "--timeout", "1m"])


def _follow_a_fix(group: click.Command, settings: Settings) -> int:
    """``why --watch`` on an incident whose timeline fixes it (run four times faster than real time)."""
    from ..sandbox import Sandbox

    title, args = FIX_TITLE
    with Sandbox(incident="missing-pull-secret", timeline_speed=4.0) as incident:
        write(settings.stdout, f"\n# {title}\n$ kubectl pullmedic {' '.join(args)}\n")
        return funnel.run(group, args + ["--kubeconfig", incident.kubeconfig_path], _fresh(settings))


def _fresh(settings: Settings) -> Settings:
    """Each step parses its own options, with the same streams, environment and clock."""
    return Settings(stdout=settings.stdout, stderr=settings.stderr, stdin=settings.stdin,
                    environ=settings.environ, clock=settings.clock, color=settings.color)


def _wait_forever() -> None:
    import threading

    threading.Event().wait()
