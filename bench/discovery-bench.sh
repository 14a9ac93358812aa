#!/usr/bin/env bash
# Discovery benchmark: EndpointSlice write -> proxy pool propagation on fabric8's mock API server, and the cost
# of one pool update with 1,000 endpoints. Everything runs in one JVM on 127.0.0.1; no traffic is sent to the
# endpoints (only the pool is measured). Writes bench/results/discovery-bench.md; README.md ("Kubernetes
# discovery") explains the figures.
#
#   bash bench/discovery-bench.sh [--changes N]      (default 300; at least 200 for the issue's figure)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
CMD=$(printf '%q ' bash bench/discovery-bench.sh "$@")
CMD=${CMD% }
CHANGES=300
while [ $# -gt 0 ]; do
  case "$1" in
    --changes) CHANGES=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

cd "$REPO_ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mvn -B -q -DskipTests test-compile
mvn -B -q -pl proxy-image dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$tmp/cp.txt"
mkdir -p bench/results
# A hard bound on the whole run: it takes well under a minute.
timeout 300 java -Xmx512m -Dbench.command="$CMD" \
  -cp "proxy-image/target/test-classes:proxy-image/target/classes:$(cat "$tmp/cp.txt")" \
  dev.usher.proxy.discovery.DiscoveryBench --changes "$CHANGES" --out bench/results/discovery-bench.md
