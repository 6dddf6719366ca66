#!/usr/bin/env bash
# Installs miStudio's build and test dependencies from Debian 12 packages.
# Idempotent: packages already present are skipped, and nothing runs apt when all are there.
# Usage: installer/debian/install-deps.sh [--gui] [--tests]
set -euo pipefail

core_pkgs=(
  build-essential cmake ninja-build pkg-config git dpkg-dev file
  libtorch-dev libopenblas0-openmp
  libsqlite3-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev
  libpcre2-dev libutf8proc-dev zlib1g-dev libzstd-dev libsnappy-dev
  python3-torch libgloo-dev
  qt6-base-dev qt6-base-dev-tools libqcustomplot-dev libqcustomplot2.1-qt6
  libgl-dev libqt6svg6 qt6-svg-dev
)
optional_pkgs=(ccache python3)

missing=()
for p in "${core_pkgs[@]}" "${optional_pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all dependencies present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
