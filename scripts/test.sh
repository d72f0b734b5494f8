#!/usr/bin/env bash
# Runs the whole test suite: unit tests, the format check, OSGi integration tests (Pax Exam)
# and end-to-end tests of the built distribution. Installs the toolchain first if it is missing.
# Uses a Maven repository and npm cache inside the checkout, empty on every run when CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-toolchain.sh

# The Maven repository and the npm cache live inside the checkout (.m2-test/, .npm-test/), so the
# suite passes only on what the build itself declares and fetches, never on what a developer's
# ~/.m2 or ~/.npm happens to hold. With CI=true they start empty on every run, as on a user's fresh
# machine; otherwise a run reuses what the previous one downloaded.
repo="$PWD/.m2-test"
export npm_config_cache="$PWD/.npm-test"
if [ "${CI:-}" = "true" ]; then
  rm -rf "$repo" "$npm_config_cache"
fi
mkdir -p "$repo" "$npm_config_cache"

start=$(date +%s)
status=0
# --fail-at-end: one failing module does not hide the results of every module that does not need it
mvn -B -Dmaven.repo.local="$repo" --fail-at-end install 2>&1 | tee target-test.log || status=$?
echo
echo "== test summary =="
grep -E "Tests run: [0-9]+, Failures" target-test.log | grep -v " -- in " | tail -n 40 || true
total=$(grep -E "^\[(INFO|WARNING|ERROR)\] Tests run:" target-test.log | grep -v " -- in " \
  | sed -E 's/.*Tests run: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+), Skipped: ([0-9]+).*/\1 \2 \3 \4/' \
  | awk '{r+=$1; f+=$2+$3; s+=$4} END {printf "%d %d %d", r-f-s, f, s}')
read -r passed failed skipped <<<"${total:-0 0 0}"
echo "$passed passed, $failed failed, $skipped skipped"
echo "(took $(( $(date +%s) - start )) s)"
exit $status
