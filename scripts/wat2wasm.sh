#!/bin/sh
# Compiles a WebAssembly text module: scripts/wat2wasm.sh in.wat out.wasm
# Uses wabt's wat2wasm, installing the Debian package wabt first when it is missing (as root).
set -eu
if ! command -v wat2wasm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wabt >/dev/null
  else
    echo "wat2wasm is missing: install wabt (apt-get install wabt)" >&2
    exit 1
  fi
fi
mkdir -p "$(dirname "$2")"
exec wat2wasm "$1" -o "$2"
