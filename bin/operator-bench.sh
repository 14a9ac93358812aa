#!/usr/bin/env bash
# Usher operator benchmark on a real control plane: reconcile throughput, writes and footprint.
#
#   bash bin/operator-bench.sh [--apps 500] [--namespaces 10] [--resync 30s]
#                              [--java-opts "-Xmx512m"] [--out docs/operator-bench.md]
#
# Starts etcd, kube-apiserver, kube-controller-manager and kube-scheduler (built by bin/kubernetes.sh)
# on 127.0.0.1, runs the operator's shaded jar in its own JVM with a ServiceAccount token, creates N
# ProxiedApps and measures: the time until every owned object exists (8 per app) and every app has a
# status; the operator's writes per app (from the API server's audit log); its heap after a full GC
# and its RSS; and its writes during a periodic resync in which nothing changed.
# Targets: < 60 s, 0 writes on resync, < 256 MiB. Every wait is bounded; every process stops on exit.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ORIG_CMD=$(printf '%q ' bash bin/operator-bench.sh "$@")
ORIG_CMD=${ORIG_CMD% }
APPS=500
NAMESPACES=10
RESYNC=30s
JAVA_OPTS="-Xmx512m"
OUT="$REPO_ROOT/docs/operator-bench.md"

while [ $# -gt 0 ]; do
  case "$1" in
    --apps) APPS=$2; shift 2 ;;
    --namespaces) NAMESPACES=$2; shift 2 ;;
    --resync) RESYNC=$2; shift 2 ;;
    --java-opts) JAVA_OPTS=$2; shift 2 ;;
    --out) OUT=$(realpath -m "$2"); shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "operator-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

cd "$REPO_ROOT"
bash bin/kubernetes.sh >/dev/null
repo_state="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
echo "[operator-bench] building the operator jar and its test classes" >&2
CP_FILE=$(mktemp)
trap 'rm -f "$CP_FILE"' EXIT
mvn -B -q -pl kube-local,operator -am -DskipTests package dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE"

started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "[operator-bench] $APPS ProxiedApps, resync $RESYNC, operator JVM $JAVA_OPTS" >&2
table=$(cd operator && timeout 1200 java -Xmx1g -cp "target/test-classes:target/classes:$(cat "$CP_FILE")" \
  dev.usher.operator.bench.OperatorBench --apps "$APPS" --namespaces "$NAMESPACES" --resync "$RESYNC" \
  --java-opts "$JAVA_OPTS" --log target/operator-bench.log)
finished=$(date -u '+%H:%M:%S UTC')

mkdir -p "$(dirname "$OUT")"
{
  echo "# Usher operator benchmark (real control plane)"
  echo
  echo "- Command: \`$ORIG_CMD\`"
  echo "- Date: $started (finished $finished)"
  echo "- Machine: \`nproc\` = $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- Java: $(java -version 2>&1 | head -1)"
  echo "- Repo: $repo_state"
  echo "- Setup: Kubernetes v1.34.4 built from Go modules (etcd, kube-apiserver, kube-controller-manager,"
  echo "  kube-scheduler) on 127.0.0.1; the operator as \`java $JAVA_OPTS -jar operator/target/usher-operator.jar --resync $RESYNC\`"
  echo "  with a ServiceAccount token, server-side apply and leader election on (the defaults)."
  echo "  Each app: \`image: registry.test/shop:1, replicas: 2\`, in $NAMESPACES namespaces."
  echo
  echo "$table"
  echo
  echo "> Everything shares the same 2 cores: the control plane, the operator and the JVM that creates the apps."
  echo "> There is no kubelet, so no pod runs and each app ends \"Progressing\": that is the steady state resynced."
  echo "> Writes are the operator's own, from the API server's audit log (create, update, patch, delete),"
  echo "> leaving out the Lease's renewals and leader election's access review."
} > "$OUT"
cat "$OUT"
