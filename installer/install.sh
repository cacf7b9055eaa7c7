#!/bin/sh
# Install WebBridge from this checkout and register it with your browsers (Linux, macOS).
#
#   installer/install.sh [options] [webbridge install options...]
#
# Options (everything else goes to `webbridge install`, e.g. --browser chrome, --user-data-dir DIR,
# --extension-id ID, --system):
#   --venv DIR     the virtual environment to create/use (default: $WEBBRIDGE_VENV, else
#                  ~/.local/share/webbridge/venv)
#   --no-venv      use the Python found (or --python) as it is; pip-install into it only when it does not
#                  already import webbridge from this checkout
#   --python PY    the interpreter to use (default: $WEBBRIDGE_PYTHON, else the first python3 >= 3.11 on PATH)
#   --editable     pip install -e (for development)
#   -h, --help     this text
#
# Then runs `webbridge install ...` and `webbridge doctor`. Safe to run again: every step is idempotent.
set -eu

ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
VENV=${WEBBRIDGE_VENV:-${HOME}/.local/share/webbridge/venv}
PYTHON=${WEBBRIDGE_PYTHON:-}
USE_VENV=1
EDITABLE=

say() { printf 'webbridge-installer: %s\n' "$*"; }
die() { printf 'webbridge-installer: error: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
}

# Parse our own options; keep the rest, in order, for `webbridge install`.
n=$#
while [ "$n" -gt 0 ]; do
    arg=$1
    shift
    n=$((n - 1))
    case $arg in
        --no-venv) USE_VENV= ;;
        --editable) EDITABLE=1 ;;
        --venv)
            [ "$n" -gt 0 ] || die "--venv needs a folder"
            VENV=$1; shift; n=$((n - 1)) ;;
        --venv=*) VENV=${arg#--venv=} ;;
        --python)
            [ "$n" -gt 0 ] || die "--python needs an interpreter"
            PYTHON=$1; shift; n=$((n - 1)) ;;
        --python=*) PYTHON=${arg#--python=} ;;
        -h|--help) usage; exit 0 ;;
        *) set -- "$@" "$arg" ;;
    esac
done

is_recent() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

if [ -n "$PYTHON" ]; then
    command -v "$PYTHON" >/dev/null 2>&1 || die "no such interpreter: $PYTHON"
    is_recent "$PYTHON" || die "$PYTHON is older than Python 3.11"
else
    for candidate in python3.13 python3.12 python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 && is_recent "$candidate"; then
            PYTHON=$(command -v "$candidate")
            break
        fi
    done
    [ -n "$PYTHON" ] || die "WebBridge needs Python 3.11 or newer; install it (e.g. apt-get install python3) and retry"
fi
say "using $("$PYTHON" -c 'import sys; print(sys.executable, sys.version.split()[0])')"

pip_install() {
    if [ -n "$EDITABLE" ]; then
        "$1" -m pip install --quiet --disable-pip-version-check -e "$ROOT"
    else
        "$1" -m pip install --quiet --disable-pip-version-check "$ROOT"
    fi
}

if [ -n "$USE_VENV" ]; then
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating a virtual environment in $VENV"
        mkdir -p "$(dirname -- "$VENV")"
        "$PYTHON" -m venv "$VENV" || die "could not create $VENV (Debian/Ubuntu: apt-get install python3-venv)"
    fi
    PY=$VENV/bin/python
    say "installing WebBridge from $ROOT into $VENV"
    pip_install "$PY" || die "pip install failed"
else
    PY=$PYTHON
    # Already importable from this very checkout (an editable install)? Then there is nothing to install.
    if "$PY" -c 'import os, sys, webbridge
root = os.path.realpath(sys.argv[1])
sys.exit(0 if os.path.realpath(webbridge.__file__).startswith(root + os.sep) else 1)' "$ROOT/host" >/dev/null 2>&1
    then
        say "WebBridge from $ROOT is already installed in $PY"
    else
        say "installing WebBridge from $ROOT into $PY"
        pip_install "$PY" || die "pip install failed (a system Python may refuse; drop --no-venv)"
    fi
fi

"$PY" -m webbridge install "$@" || die "webbridge install failed"
echo
"$PY" -m webbridge doctor || say "doctor found something to fix (above); the daemon starts by itself when the extension connects"
echo
if [ -n "$USE_VENV" ]; then
    say "done. The command is $VENV/bin/webbridge (add $VENV/bin to your PATH)."
else
    say "done."
fi
say "next: load the extension (extension/ folder, chrome://extensions, Developer mode), then run: webbridge pair"
