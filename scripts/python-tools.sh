#!/usr/bin/env bash
# The Python tools the tests use that Debian 12 does not package (the OpenAPI 3.1 validators),
# pinned in scripts/python-requirements.txt, in a virtual environment of the checkout's own
# (.build/python-tools) made with Debian's python3. Does nothing when it is there and current.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tools=$here/.build/python-tools
requirements=$here/scripts/python-requirements.txt

if [ -x "$tools/bin/python" ] && cmp -s "$requirements" "$tools/requirements.txt"; then
    exit 0
fi
echo "installing the Python test tools into $tools (PyPI)"
rm -rf "$tools"
/usr/bin/python3 -m venv "$tools"
"$tools/bin/pip" install --quiet --disable-pip-version-check --requirement "$requirements"
cp "$requirements" "$tools/requirements.txt"
