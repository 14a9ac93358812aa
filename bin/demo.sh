#!/usr/bin/env bash
# Builds the proxy and runs it in front of two small local backends, so `curl` shows it balancing.
# Everything listens on 127.0.0.1 only; Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."

listen=${USHER_LISTEN:-127.0.0.1:8080}
admin=${USHER_ADMIN:-127.0.0.1:9901}

command -v java >/dev/null || { echo "demo: java (17+) is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "demo: python3 is required for the demo backends" >&2; exit 1; }

if [ ! -f proxy-image/target/usher-proxy.jar ] || [ -n "$(find proxy-image/src proxy-image/pom.xml pom.xml -newer proxy-image/target/usher-proxy.jar -print -quit)" ]; then
  mvn -B -q -DskipTests package
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

upstreams=()
for port in 9001 9002; do
  mkdir -p "$work/$port"
  echo "hello from backend 127.0.0.1:$port" > "$work/$port/index.html"
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/$port" >"$work/backend-$port.log" 2>&1 &
  pids+=($!)
  upstreams+=(--upstream "127.0.0.1:$port")
done

java -jar proxy-image/target/usher-proxy.jar --listen "$listen" --admin "$admin" "${upstreams[@]}" &
pids+=($!)

for _ in $(seq 1 100); do
  curl -fs "http://$admin/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
cat <<MSG

Usher's proxy is up on http://$listen in front of 127.0.0.1:9001 and 127.0.0.1:9002.
  curl http://$listen/             # answered by one backend, then the other
  curl http://$admin/upstreams     # the pool as the proxy sees it
  curl http://$admin/metrics       # Prometheus metrics
Ctrl-C stops everything.
MSG
wait "${pids[-1]}"
