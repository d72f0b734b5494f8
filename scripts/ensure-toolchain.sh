#!/usr/bin/env bash
# Installs what building and testing Briefcase needs when it is missing: a JDK 17 and Maven.
# Idempotent; uses apt-get only when a tool is absent (needs root then).
set -euo pipefail

need_install=()
if ! command -v java >/dev/null 2>&1 || ! java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])'; then
  need_install+=(openjdk-17-jdk-headless)
fi
if ! command -v mvn >/dev/null 2>&1; then
  need_install+=(maven)
fi
if [ ${#need_install[@]} -gt 0 ]; then
  echo "briefcase: installing ${need_install[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_install[@]}" >/dev/null
fi
