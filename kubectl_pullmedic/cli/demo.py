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
    against it exactly as you would against your cluster; last, an incident is
    followed from why to its fix and retry until the pods run.
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


INCIDENT_STEPS = (
    ("An incident: a Deployment's pods cannot pull, and why says what to create",
     ["why", "deploy/web", "-n", "storefront"]),
    ("The fix, as why printed it (the sandbox creates the secret as this command would)",
     ["kubectl", "create", "secret", "docker-registry", "regcred", "--docker-server=registry.example.com",
      "--docker-username=ci-bot", "--docker-password=<token>", "-n", "storefront"]),
    ("No waiting out the back-off: retry replaces the pods and follows them until they run",
     ["retry", "deploy/web", "-n", "storefront", "--yes", "--timeout", "1m"]),
)


def _follow_a_fix(group: click.Command, settings: Settings) -> int:
    """An incident from diagnosis to running pods: ``why``, the fix it prints, then ``retry``.

    The incident's sandbox runs its timeline by hand, so the secret appears exactly when the
    transcript shows the command that creates it.
    """
    from ..sandbox import Sandbox

    with Sandbox(incident="missing-pull-secret", timeline_clock="manual") as incident:
        for title, args in INCIDENT_STEPS:
            if args[0] == "kubectl":
                write(settings.stdout, f"\n# {title}\n$ {' '.join(args)}\nsecret/regcred created\n")
                incident.run_timeline_step("secret-created")
                continue
            write(settings.stdout, f"\n# {title}\n$ kubectl pullmedic {' '.join(args)}\n")
            code = funnel.run(group, args + ["--kubeconfig", incident.kubeconfig_path], _fresh(settings))
            if code not in (ExitCode.OK, ExitCode.FINDINGS):
                return code
    return ExitCode.OK


def _fresh(settings: Settings) -> Settings:
    """Each step parses its own options, with the same streams, environment and clock."""
    return Settings(stdout=settings.stdout, stderr=settings.stderr, stdin=settings.stdin,
                    environ=settings.environ, clock=settings.clock, color=settings.color)


def _wait_forever() -> None:
    import threading

    threading.Event().wait()
