#!/usr/bin/env bash
# Every test, from a fresh Debian machine: installs what the tests need, then runs the Maven build.
#   Debian packages: real uWSGI + Flask and nginx for the uwsgi-protocol tests (apt-get, as root)
#   helm and kubectl: into .tools/bin, for the chart tests (.ci/install-tools)
#   a Kubernetes control plane built from Go modules, for the operator's tests (bin/kubernetes.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(uwsgi uwsgi-plugin-python3 python3-flask nginx-light haproxy wrk curl unzip)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash .ci/install-tools
bash bin/kubernetes.sh >/dev/null
export PATH="$PWD/.tools/bin:$PATH"

mvn -B verify
