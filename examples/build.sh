#!/usr/bin/env sh
# Rebuild the worked example claims.db (the Balti case) from examples/balti.json.
#   sh examples/build.sh [OUTPUT]     (default: claims.db at the top of the repository)
# Runs verity with $PYTHON when it is set (a test pins the interpreter); else with the
# project's virtual environment, .venv/bin/python, where the README installs verity; else
# with python3, which then needs verity's dependencies installed.
set -e
cd "$(dirname "$0")/.."
out=${1:-claims.db}
if [ -z "$PYTHON" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
if ! "$PYTHON" -c "import verity.cli" 2>/dev/null; then
    echo "Error: $PYTHON cannot run verity (its dependencies are not installed there); install verity into .venv as the README's Quick start says, or set PYTHON to a Python that has it" >&2
    exit 1
fi
rm -f "$out" "$out-wal" "$out-shm"
"$PYTHON" -m verity --db "$out" init
"$PYTHON" -m verity --db "$out" import examples/balti.json
