#!/usr/bin/env bash
# Builds Briefcase (tests skipped) and starts it in the foreground on its embedded defaults:
# data in $BRIEFCASE_DATA_DIR or ~/.local/share/credential-briefcase, admin API on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-toolchain.sh
mvn -B -q install -DskipTests -Dspotless.check.skip=true
# SPEC §12 picks the OS keyring when no master passphrase is set. A fresh server or container has no
# session bus, so the embedded default there is the encrypted file store with a generated master key
# (<data_dir>/master.key, 0600; refused in ga). Set BRIEFCASE_SECRET_BACKEND or
# BRIEFCASE_MASTER_PASSPHRASE to choose explicitly.
if [[ -z "${BRIEFCASE_SECRET_BACKEND:-}" && -z "${BRIEFCASE_MASTER_PASSPHRASE:-}" \
      && -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]]; then
  echo "briefcase: no session D-Bus (OS keyring) here; secrets go to the encrypted file store" >&2
  export BRIEFCASE_SECRET_BACKEND=file
fi
exec runtime/target/briefcase/bin/briefcase start "$@"
