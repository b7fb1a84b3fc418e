#!/usr/bin/env bash
# Install the Debian packages qsteer needs to build and test (only what is missing).
# Usage: scripts/deps.sh [extra-package ...]
set -euo pipefail
pkgs=(build-essential meson ninja-build pkg-config libopenblas-dev libcjson-dev libutf8proc-dev python3 python3-pip "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
