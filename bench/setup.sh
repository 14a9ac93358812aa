#!/usr/bin/env bash
# Installs what bench/proxy-bench.sh and bench/uwsgi-bench.sh need, from Debian's packages (needs
# root). The benchmark scripts install nothing themselves. Java 17+ (a JDK: jcmd, jfr) comes with
# the project's build.
set -euo pipefail

# python3-matplotlib: report.py's charts; uwsgi, uwsgi-plugin-python3: the uwsgi benchmark's backend;
# linux-perf: cpu-split.sh's kernel samples.
PKGS=(nginx-light haproxy wrk curl procps python3 python3-matplotlib uwsgi uwsgi-plugin-python3 linux-perf)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
# The packages start system nginx and HAProxy services where systemd runs; the benchmarks run their
# own instances on free 127.0.0.1 ports, so those would only take CPU.
if [[ -d /run/systemd/system ]]; then systemctl stop nginx haproxy uwsgi 2>/dev/null || true; fi
for t in java jcmd jfr; do
  command -v "$t" >/dev/null || echo "setup.sh: $t not found: install a JDK 17+" >&2
done
