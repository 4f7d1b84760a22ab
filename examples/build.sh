#!/usr/bin/env sh
# Rebuild the worked example claims.db (the Balti case) from examples/balti.json.
#   sh examples/build.sh [OUTPUT]     (default: claims.db at the top of the repository)
# Runs verity with $PYTHON (default python3), so a test can pin the interpreter.
set -e
cd "$(dirname "$0")/.."
out=${1:-claims.db}
verity="${PYTHON:-python3} -m verity"
rm -f "$out" "$out-wal" "$out-shm"
$verity --db "$out" init
$verity --db "$out" import examples/balti.json
