#!/usr/bin/env bash
# Builds Briefcase (tests skipped) and starts it in the foreground on its embedded defaults:
# data in $BRIEFCASE_DATA_DIR or ~/.local/share/credential-briefcase, admin API on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-toolchain.sh
mvn -B -q install -DskipTests -Dspotless.check.skip=true
exec runtime/target/briefcase/bin/briefcase start "$@"
