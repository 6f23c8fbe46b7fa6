#!/usr/bin/env bash
# Install everything the tests need into a fresh virtualenv and run them.
#   bash tests/run.sh [pytest args...]
# Debian packages (a real container registry for the probe tests) come from .ci/apt-packages.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(grep -v '^\s*#' .ci/apt-packages.txt 2>/dev/null | xargs || true)
missing=""
for package in $packages; do
  dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
  echo "installing Debian packages:$missing"
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq $missing >/dev/null
fi

venv=${PULLMEDIC_TEST_VENV:-.venv}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
"$venv/bin/python" -m pip install -q -e '.[test]'
exec "$venv/bin/python" -m pytest "$@"
