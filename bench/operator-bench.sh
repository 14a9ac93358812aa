#!/usr/bin/env bash
# Usher operator benchmark: reconcile throughput and footprint against fabric8's mock API server.
#
#   bash bench/operator-bench.sh [--apps 500] [--namespaces 10] [--resync 30s]
#                                [--java-opts "-Xmx512m"] [--out bench/results]
#
# Creates N ProxiedApps on a mock API server on 127.0.0.1 and measures, with the operator running as
# its shaded jar in its own JVM: the time until every owned object exists (8 per app) and every app
# has a status; the operator's heap after a full GC and its RSS; and the writes it makes during a
# periodic resync in which nothing changed. Targets (issue 5): < 60 s, < 256 MiB, 0 writes.
# The mock server keeps no controllers: Deployments never become ready, so every app stays
# "Progressing", which is the steady state measured. Every wait is bounded; both JVMs stop on exit.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ORIG_CMD=$(printf '%q ' bash bench/operator-bench.sh "$@")
ORIG_CMD=${ORIG_CMD% }
APPS=500
NAMESPACES=10
RESYNC=30s
JAVA_OPTS="-Xmx512m"
OUT="$REPO_ROOT/bench/results"

while [ $# -gt 0 ]; do
  case "$1" in
    --apps) APPS=$2; shift 2 ;;
    --namespaces) NAMESPACES=$2; shift 2 ;;
    --resync) RESYNC=$2; shift 2 ;;
    --java-opts) JAVA_OPTS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "operator-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

cd "$REPO_ROOT"
repo_state="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
echo "[operator-bench] building the operator jar and its test classes" >&2
mvn -B -q -pl operator -am -DskipTests package
CP_FILE=$(mktemp)
trap 'rm -f "$CP_FILE"' EXIT
(cd operator && mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE")

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "[operator-bench] $APPS ProxiedApps, resync $RESYNC, operator JVM $JAVA_OPTS" >&2
table=$(cd operator && timeout 900 java -Xmx2g -cp "target/test-classes:target/classes:$(cat "$CP_FILE")" \
  dev.usher.operator.bench.OperatorBench --apps "$APPS" --namespaces "$NAMESPACES" --resync "$RESYNC" \
  --java-opts "$JAVA_OPTS" --log target/operator-bench.log)
finished=$(date -u '+%H:%M:%S UTC')

mkdir -p "$OUT"
report="$OUT/operator-bench.md"
{
  echo "# Usher operator benchmark"
  echo
  echo "- Command: \`$ORIG_CMD\`"
  echo "- Date: $started (finished $finished)"
  echo "- Machine: \`nproc\` = $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Java: $(java -version 2>&1 | head -1)"
  echo "- Repo: $repo_state"
  echo "- Setup: fabric8's mock API server (CRUD mode) in one JVM on 127.0.0.1, with the generated CRD;"
  echo "  the operator as \`java $JAVA_OPTS -jar operator/target/usher-operator.jar --resync $RESYNC\` in another,"
  echo "  with leader election on. Each app: \`image: registry.test/shop:1, replicas: 2\`, in $NAMESPACES namespaces."
  echo
  echo "$table"
  echo
  echo "> Both JVMs share the same 2 cores. The mock API server has no controllers, so no Deployment becomes"
  echo "> ready and no EndpointSlice appears: each app ends \"Progressing\", and that is the steady state resynced."
  echo "> Writes are counted by the mock server (POST, PUT, PATCH, DELETE), leaving out the Lease's renewals."
} > "$report"
cat "$report"
