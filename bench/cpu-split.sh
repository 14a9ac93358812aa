#!/usr/bin/env bash
# Where each proxy's CPU per request goes, kernel included: Usher, HAProxy and nginx, one worker or
# event loop each, in front of one nginx backend under the same wrk load as proxy-bench.sh. Each
# measured run is sampled by perf (call stacks, user and kernel); bench/cpu_split.py sorts the samples
# into user code, the TCP send path (which on loopback also delivers each segment into the peer's
# socket and wakes the peer), the receive path, the event interface (io_uring_enter, epoll_wait) and
# the rest of the kernel, and scales the shares by the CPU time /proc/PID/stat gives per request. It
# also counts the TCP segments the host sent per request. Needs root (perf's kernel samples).
set -euo pipefail
set +m  # see start_bg in lib.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

DURATION=10s ROUNDS=3 CONNECTIONS=50 TARGETS="usher haproxy nginx" WARMUP=20
OUT=$REPO_ROOT/bench/results
JAR=$REPO_ROOT/proxy-image/target/usher-proxy.jar

usage() {
  cat <<EOF
Usage: bash bench/cpu-split.sh [options]
  --duration D     wrk run per target and round ($DURATION); perf samples its middle 60 %
  --rounds N       interleaved rounds ($ROUNDS); the report gives the medians
  --targets "..."  any of usher haproxy nginx ($TARGETS)
  --jar PATH       Usher's jar (proxy-image/target/usher-proxy.jar)
  --out DIR        report here (DIR/cpu-split.md), raw files in DIR/raw/cpu-split ($OUT)
  env USHER_JAVA_OPTS  extra JVM flags for Usher
EOF
}

while (($#)); do
  case $1 in
    --duration) DURATION=$2 ;;
    --rounds) ROUNDS=$2 ;;
    --targets) TARGETS=$2 ;;
    --jar) JAR=$(realpath "$2") ;;
    --out) OUT=$(realpath -m "$2") ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
  (($# >= 2)) || die "$1 needs a value"
  shift 2
done
DURATION_S=$(secs "$DURATION")
((ROUNDS >= 1 && ROUNDS <= 10 && DURATION_S >= 5)) || die "bad --rounds or --duration"
((EUID == 0)) || die "perf needs root to sample the kernel"
RAW=$OUT/raw/cpu-split

need_tools nginx haproxy wrk java curl python3 perf setsid timeout
setup_run cpu-split
[[ $TARGETS != *usher* ]] || copy_jar
{
  echo "nginx: $(nginx -v 2>&1 | cut -d/ -f2)"
  echo "haproxy: $(haproxy -v | head -1 | cut -d' ' -f3)"
  echo "load: wrk -t1 -c$CONNECTIONS -d${DURATION_S}s, $ROUNDS interleaved rounds; perf record -g -F 999 over the middle 60 %"
  echo "usher: java $(usher_jvm_flags) ${USHER_JAVA_OPTS:+$USHER_JAVA_OPTS }-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -jar usher-proxy.jar --event-loops 1, after ${WARMUP} s of the same load"
} >>"$RAW/meta.txt"

BODY="usher-bench backend fixed body $(printf 'x%.0s' {1..69})"
BACKEND_PORT=$(free_port)
nginx_start "$TMP/backend" 1 "
    server {
        listen 127.0.0.1:$BACKEND_PORT backlog=4096;
        location / { default_type text/plain; return 200 \"$BODY\"; }
    }"
BACKEND_PID=$LAST_PID
wait_http "http://127.0.0.1:$BACKEND_PORT/" "$BACKEND_PID" || die "backend nginx did not start"

declare -A PID PORT
for t in $TARGETS; do
  port=$(free_port) d=$TMP/$t ready_url=""
  case $t in
    nginx)
      nginx_start "$d" 1 "
    upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 64; keepalive_requests 10000000; }
    server {
        listen 127.0.0.1:$port backlog=4096;
        location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
    }" ;;
    haproxy)
      mkdir -p "$d"
      printf '%s\n' "global" "    nbthread 1" "defaults" "    mode http" "    option http-keep-alive" \
        "    http-reuse always" "    timeout connect 5s" "    timeout client 300s" "    timeout server 60s" \
        "frontend fe" "    bind 127.0.0.1:$port" "    default_backend be" "backend be" \
        "    server backend 127.0.0.1:$BACKEND_PORT" >"$d.cfg"
      start_bg "$d.log" haproxy -db -f "$d.cfg" ;;
    usher)
      admin=$(free_port)
      ready_url=http://127.0.0.1:$admin/readyz
      # The JIT's symbols for perf, in /tmp/perf-PID.map when the JVM exits.
      USHER_JAVA_OPTS="${USHER_JAVA_OPTS:-} -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit" \
        usher_start "$d.log" "$port" "$admin" --upstream "127.0.0.1:$BACKEND_PORT" --event-loops 1 ;;
    *) die "unknown target $t" ;;
  esac
  PID[$t]=$LAST_PID PORT[$t]=$port
  wait_http "${ready_url:-http://127.0.0.1:$port/}" "$LAST_PID" || die "$t did not start"
  if [[ $t == usher ]]; then
    log "usher: ${WARMUP} s of load to warm up"
    timeout $((WARMUP + 30)) wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "http://127.0.0.1:$port/" >/dev/null
  fi
done

# TARGET's CPU ticks, "utime stime", summed over its session's processes.
ticks() {
  local p
  for p in $(ps -o pid= -s "${PID[$1]}"); do cut -d' ' -f14,15 "/proc/$p/stat"; done |
    awk '{u += $1; s += $2} END {print u, s}'
}
segments() { awk '/^Tcp:/ {getline; print $12}' /proc/net/snmp; }  # OutSegs, host-wide

for ((r = 1; r <= ROUNDS; r++)); do
  for t in $(rotated "$r" $TARGETS); do
    key=$t-r$r
    [[ $(curl -fsS --max-time 5 "http://127.0.0.1:${PORT[$t]}/") == "$BODY" ]] || die "$t: wrong answer before round $r"
    log "wrk $t, round $r"
    echo "before $(ticks "$t") $(segments)" >"$RAW/$key.counts"
    start_bg "$RAW/$key.wrk" timeout -k 5 $((DURATION_S + 30)) \
      wrk -t1 -c"$CONNECTIONS" -d"${DURATION_S}s" "http://127.0.0.1:${PORT[$t]}/"
    wpid=$LAST_PID
    sleep "$((DURATION_S / 5))"
    timeout -k 5 $((DURATION_S + 10)) perf record -q -g -F 999 -p "$(ps -o pid= -s "${PID[$t]}" | paste -sd,)" \
      -o "$RAW/$key.perf" -- sleep "$((DURATION_S * 3 / 5))" >/dev/null 2>&1 || die "perf record failed on $t"
    wait "$wpid" || die "wrk failed on $t"
    stop_pid "$wpid"
    echo "after $(ticks "$t") $(segments)" >>"$RAW/$key.counts"
  done
done
usher_pid=${PID[usher]:-}
for t in $TARGETS; do stop_pid "${PID[$t]}"; done
stop_pid "$BACKEND_PID"
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RAW/meta.txt"
# Stacks as text, each distinct one once with its count, now that Usher has written its JIT symbols; the binary
# recordings are dropped.
for f in "$RAW"/*.perf; do
  perf script -F comm,ip,sym,dso -i "$f" 2>/dev/null | "$PYTHON" "$SCRIPT_DIR/cpu_split.py" fold "${f%.perf}.folded.gz"
  rm -f "$f"
done
[[ -z $usher_pid ]] || rm -f "/tmp/perf-$usher_pid.map"
"$PYTHON" "$SCRIPT_DIR/cpu_split.py" "$RAW" "$OUT/cpu-split.md"
