#!/usr/bin/env bash
# Installs the tools bench/proxy-bench.sh needs (Debian 12). Needs root (or sudo).
# The benchmark script itself never installs anything; run this once first.
set -euo pipefail

PKGS=(nginx-light haproxy wrk gnuplot-nox curl python3 procps coreutils util-linux)

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "setup.sh: need root (or sudo) to apt-get install: ${PKGS[*]}" >&2
    exit 1
  fi
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  # --no-install-recommends keeps it small; nginx-light pulls nginx-common.
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "setup.sh: all packages already installed: ${PKGS[*]}"
fi

# The Debian packages enable and start system services (nginx on :80, haproxy).
# The bench runs its own private instances on free 127.0.0.1 ports, so the
# system ones are not needed; stop them if systemd is running so they don't
# eat CPU during measurements. Failure here is harmless (e.g. in containers).
if [[ -d /run/systemd/system ]]; then
  $SUDO systemctl stop nginx haproxy 2>/dev/null || true
fi

# Java (17+) comes with the project's build toolchain; jcmd (from the JDK) is
# used by the idle-connections measurement.
for t in java jcmd; do
  command -v "$t" >/dev/null 2>&1 || echo "setup.sh: WARNING: '$t' not on PATH; install a JDK 17+ (e.g. openjdk-17-jdk-headless)" >&2
done
echo "setup.sh: done"
