"""The kubeconfig user's exec credential plugin (``users[].user.exec``), run as kubectl runs it.

What the plugin gave, or why it failed, in kubectl's words. The client's ``ExecProvider`` itself is
run by ``kubeconfig`` (the one module that imports ``kubernetes``), which hands it in as ``run``.
"""

from __future__ import annotations

import base64
import re
from typing import Any, Callable, Dict, Optional, TextIO

from ..errors import CredentialPluginError

# client-go plugin/pkg/client/auth/exec/exec.go, installHintVerboseHelp: kubectl's words for a
# credential plugin that is not installed.
INSTALL_HINT_HELP = (
    "\n\nIt looks like you are trying to use a client-go credential plugin that is not installed.\n\n"
    "To learn more about this feature, consult the documentation available at:\n"
    "      https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins"
)


class ExecFailed(Exception):
    """The client's ``ExecProvider`` refused the spec or saw the plugin fail; its message, as the client words it."""


def exec_credentials(user: Dict[str, Any], run: Callable[[Dict[str, Any]], Any],
                     stderr: Optional[TextIO]) -> Dict[str, Any]:
    """Run the user's exec credential plugin (``run(spec)``: the client's ``ExecProvider``, raising
    ``ExecFailed``) and put what it prints in place of ``exec``, so that the loader never runs it itself.

    The client's loader logs a failure (``ERROR:root:exec: process returned 255``) and goes on
    without credentials, which ends in a misleading 401. Here a failure is kubectl's error
    (client-go plugin/pkg/client/auth/exec/exec.go, ``wrapCmdRunErrorLocked``), with the
    plugin's own stderr passed through first. Credentials are fetched once per run: a run
    outlives no token.
    """
    spec = user.pop("exec")
    spec = getattr(spec, "value", spec)
    command = str(spec.get("command") or "") if isinstance(spec, dict) else ""
    try:
        status = run(spec)
    except FileNotFoundError:
        hint = str(spec.get("installHint") or "").strip()
        raise CredentialPluginError(f"getting credentials: exec: executable {command} not found"
                                    + INSTALL_HINT_HELP + (f"\n\n{hint}" if hint else "")) from None
    except OSError as error:
        raise CredentialPluginError(f"getting credentials: exec: {error.strerror or error}") from None
    except ExecFailed as error:
        failed = re.match(r"exec: process returned (-?\d+)(?:\. (.*))?\Z", str(error), re.DOTALL)
        if not failed:
            raise CredentialPluginError(f"getting credentials: {error}") from None
        if failed.group(2) and stderr is not None:
            stderr.write(failed.group(2).rstrip("\n") + "\n")
        raise CredentialPluginError(
            f"getting credentials: exec: executable {command} failed with exit code {failed.group(1)}") from None
    if isinstance(status, dict) and status.get("token"):
        user["token"] = status["token"]
    elif isinstance(status, dict) and status.get("clientCertificateData") and status.get("clientKeyData"):
        for key, field in (("client-certificate", "clientCertificateData"), ("client-key", "clientKeyData")):
            user.pop(key, None)
            user[key + "-data"] = base64.b64encode(str(status[field]).encode()).decode()
    else:
        raise CredentialPluginError("getting credentials: exec plugin didn't return a token or cert/key pair")
    return user
