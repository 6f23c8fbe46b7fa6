"""``python -m kubectl_pullmedic.sandbox``: serve a sandbox until Ctrl-C or SIGTERM.

The kubeconfig path is the first line on stdout, so a script can start the server and read
one line to know where to point kubectl; everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import List, Optional

from kubectl_pullmedic.sandbox.harness import Sandbox


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kubectl_pullmedic.sandbox",
        description="Serve a Kubernetes API server stand-in on 127.0.0.1 and write a kubeconfig for it.",
    )
    parser.add_argument("--objects", action="append", default=[], metavar="FILE",
                        help="YAML or JSON objects to serve, as kubectl get -o yaml|json writes them (repeatable)")
    parser.add_argument("--scenarios", action="store_true",
                        help="also serve the built-in scenarios, their times moved to now")
    parser.add_argument("--incident", metavar="NAME|FILE",
                        help="also serve an incident whose timeline moves (built in: missing-pull-secret)")
    parser.add_argument("--timeline-speed", type=float, default=1.0, metavar="FACTOR",
                        help="run the incident's timeline this many times faster than real time")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    parser.add_argument("--kubeconfig", metavar="PATH", help="where to write the kubeconfig (default: a temp file)")
    parser.add_argument("--namespace", help="namespace of the kubeconfig's context")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay every request by this much")
    parser.add_argument("--forbid", action="append", default=[], metavar="VERB:RESOURCE[:NAMESPACE]",
                        help="deny a verb as RBAC would, e.g. list:pods:kube-system (repeatable)")
    parser.add_argument("--token", help="bearer token to require (default: a random one)")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    try:
        sandbox = Sandbox(
            objects=args.objects,
            scenarios=args.scenarios,
            latency_ms=args.latency_ms,
            forbid=args.forbid,
            token=args.token,
            tls=(args.tls_cert, args.tls_key) if args.tls_cert else None,
            port=args.port,
            namespace=args.namespace,
            kubeconfig_path=args.kubeconfig,
            verbose=args.verbose,
            incident=args.incident,
            timeline_speed=args.timeline_speed,
        )
        sandbox.start()
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: Optional[FrameType]) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    print(sandbox.kubeconfig_path, flush=True)
    print(f"serving {sandbox.url} until Ctrl-C", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.1):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
