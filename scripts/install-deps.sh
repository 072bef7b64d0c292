#!/usr/bin/env bash
# Installs the Debian packages anymal.cpp builds and tests with, only those missing.
# Called by ./setup.sh and CI; safe to run again. Needs root (or sudo) when something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libgtest-dev libbenchmark-dev
  libdnnl-dev ocl-icd-opencl-dev libcli11-dev libpcre2-dev nlohmann-json3-dev libcpp-httplib-dev
  libspng-dev libjpeg-dev
  libsndfile1-dev libsamplerate0-dev libkissfft-dev espeak-ng
  libsqlite3-dev openmpi-bin libopenmpi-dev
  python3-numpy
  clang-format
  chromium fonts-dejavu-core
)
# Node for the end-to-end tests (tests/e2e): Debian's, unless a node is already installed
# (Debian's npm would conflict with another distribution's node).
command -v node > /dev/null || packages+=(nodejs)
command -v npm > /dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
