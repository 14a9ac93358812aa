#!/usr/bin/env bash
# Usher vs nginx vs HAProxy as reverse proxies in front of one nginx backend, driven by wrk, all on
# 127.0.0.1. This script starts and stops the servers and runs wrk; bench/report.py turns the raw
# files into bench/results/proxy-bench.{md,csv,png}. See bench/README.md.
set -euo pipefail
set +m  # see start_bg in lib.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

DURATION=10s ROUNDS=3 CONNECTIONS=50 THREADS=1 WORKERS="1 2" TARGETS="nginx haproxy usher"
WARMUP=20 BACKEND_WORKERS=1 PROFILE=0 IDLE_CONNS=5000 IDLE_WORKERS=2
OUT=$REPO_ROOT/bench/results
JAR=$REPO_ROOT/proxy-image/target/usher-proxy.jar

usage() {
  cat <<EOF
Usage: bash bench/proxy-bench.sh [options]
  --duration D         wrk run per target and round ($DURATION)
  --rounds N           interleaved rounds per worker count; the report gives medians ($ROUNDS)
  --connections C      wrk connections ($CONNECTIONS)
  --threads T          wrk threads ($THREADS)
  --workers "1 2"      worker processes / threads / event loops ($WORKERS)
  --targets "..."      any of direct nginx haproxy usher ($TARGETS)
  --warmup D           Usher's warm-up curve: wrk for D from when it is ready ($WARMUP s)
  --backend-workers N  workers of the backend nginx ($BACKEND_WORKERS)
  --idle-conns N       idle keep-alive connections held open, to measure their memory; 0: skip ($IDLE_CONNS)
  --idle-workers N     workers / event loops for that ($IDLE_WORKERS)
  --profile            one more run of Usher per worker count under JFR (CPU and allocation)
  --jar PATH           Usher's jar (proxy-image/target/usher-proxy.jar)
  --out DIR            reports here, raw files in DIR/raw/proxy ($OUT)
  env USHER_JAVA_OPTS  extra JVM flags for Usher
  env USHER_ARGS       extra flags for Usher (--warmup-requests 0)
EOF
}

while (($#)); do
  case $1 in
    --duration) DURATION=$2 ;;
    --rounds) ROUNDS=$2 ;;
    --connections) CONNECTIONS=$2 ;;
    --threads) THREADS=$2 ;;
    --workers) WORKERS=$2 ;;
    --targets) TARGETS=$2 ;;
    --warmup) WARMUP=$2 ;;
    --backend-workers) BACKEND_WORKERS=$2 ;;
    --idle-conns) IDLE_CONNS=$2 ;;
    --idle-workers) IDLE_WORKERS=$2 ;;
    --profile) PROFILE=1; shift; continue ;;
    --jar) JAR=$(realpath "$2") ;;
    --out) OUT=$(realpath -m "$2") ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
  (($# >= 2)) || die "$1 needs a value"
  shift 2
done
DURATION_S=$(secs "$DURATION")
WARMUP_S=$(secs "$WARMUP")
((ROUNDS >= 1 && ROUNDS <= 20 && CONNECTIONS >= THREADS && CONNECTIONS <= 10000)) || die "bad --rounds or --connections"
RAW=$OUT/raw/proxy

need_tools nginx haproxy wrk java jcmd curl python3 setsid timeout
setup_run proxy-bench
[[ $TARGETS != *usher* ]] || copy_jar
{
  echo "nginx: $(nginx -v 2>&1 | cut -d/ -f2)"
  echo "haproxy: $(haproxy -v | head -1 | cut -d' ' -f3)"
  echo "load: wrk --latency -t$THREADS -c$CONNECTIONS -d${DURATION_S}s, $ROUNDS interleaved rounds"
  echo "backend: nginx, $BACKEND_WORKERS worker(s), return 200 with a 100-byte body"
  ((IDLE_CONNS == 0)) || echo "idle: $IDLE_CONNS connections, $IDLE_WORKERS workers or event loops each"
  echo "usher: java $(usher_jvm_flags) ${USHER_JAVA_OPTS:-}-jar usher-proxy.jar --event-loops N ${USHER_ARGS:-}"
} >>"$RAW/meta.txt"

BODY="usher-bench backend fixed body $(printf 'x%.0s' {1..69})"
BACKEND_PORT=$(free_port) STATUS_PORT=$(free_port)
# stub_status counts the requests the backend served: the warm-up curve's per-second rate, taken
# without touching the proxy under test.
nginx_start "$TMP/backend" "$BACKEND_WORKERS" "
    server {
        listen 127.0.0.1:$BACKEND_PORT backlog=4096;
        location / { default_type text/plain; return 200 \"$BODY\"; }
    }
    server {
        listen 127.0.0.1:$STATUS_PORT;
        location / { stub_status; }
    }"
BACKEND_PID=$LAST_PID
wait_http "http://127.0.0.1:$BACKEND_PORT/" "$BACKEND_PID" || die "backend nginx did not start"

declare -A PID PORT
start_target() {  # TARGET WORKERS; for Usher also STARTED and READY, the clock (ns) at both
  local t=$1 n=$2 d=$TMP/$1-w$2-$RANDOM port ready_url=""
  port=$(free_port)
  case $t in
    direct) PID[$t]=$BACKEND_PID PORT[$t]=$BACKEND_PORT; return ;;
    nginx)
      nginx_start "$d" "$n" "
    upstream backend {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 64;
        keepalive_requests 10000000;
        keepalive_timeout 300s;
    }
    server {
        listen 127.0.0.1:$port backlog=4096;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }" ;;
    haproxy)
      mkdir -p "$d"
      cat >"$d/haproxy.cfg" <<EOF
global
    nbthread $n
    maxconn $((IDLE_CONNS + 2000))
defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 300s
    timeout server 60s
    timeout http-keep-alive 300s
frontend fe
    bind 127.0.0.1:$port
    default_backend be
backend be
    server backend 127.0.0.1:$BACKEND_PORT
EOF
      start_bg "$d.log" haproxy -db -f "$d/haproxy.cfg" ;;
    usher)
      local admin
      admin=$(free_port)
      ready_url=http://127.0.0.1:$admin/readyz
      STARTED=$(date +%s%N)
      usher_start "$d.log" "$port" "$admin" --upstream "127.0.0.1:$BACKEND_PORT" --event-loops "$n" ;;
  esac
  PID[$t]=$LAST_PID PORT[$t]=$port
  wait_http "${ready_url:-http://127.0.0.1:$port/}" "$LAST_PID" || { tail "$d"* >&2; die "$t did not start"; }
  READY=$(date +%s%N)
}

# usher_warmup WORKERS: the warm-up curve of the Usher just started: wrk from now (it is ready) for
# --warmup seconds, while the backend's request count and Usher's CPU time are read now and then on
# each whole second since the JVM's start.
usher_warmup() {
  local n=$1 k now wait_ns f=$RAW/usher-w$1.warmup
  snap "$RAW/usher-w$n.started" "usher=${PID[usher]}"
  log "usher ($n loops) ready; warm-up curve for ${WARMUP_S}s"
  printf 'start %s\nready %s\n' "$STARTED" "$READY" >"$f"
  # The backend's accepts, handled and requests, then Usher's CPU time (utime + stime, clock ticks).
  sample() {
    echo "t $(date +%s%N) $(curl -fsS --max-time 1 "http://127.0.0.1:$STATUS_PORT/" | sed -n 3p)" \
      "$(awk '{print $14 + $15}' "/proc/${PID[usher]}/stat")" >>"$f"
  }
  sample
  start_bg "$RAW/usher-w$n.warmup.wrk" timeout -k 5 $((WARMUP_S + 30)) \
    wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP_S}s" "http://127.0.0.1:${PORT[usher]}/"
  local wpid=$LAST_PID
  for ((k = ($(date +%s%N) - STARTED) / 1000000000 + 1; k <= WARMUP_S; k++)); do
    now=$(date +%s%N)
    wait_ns=$((STARTED + k * 1000000000 - now))
    ((wait_ns <= 0)) || sleep "$((wait_ns / 1000000000)).$(printf %09d $((wait_ns % 1000000000)))"
    sample
  done
  wait "$wpid" || die "warm-up wrk failed"
  stop_pid "$wpid"
}

for n in $WORKERS; do
  log "===== $n worker(s) / event loop(s) ====="
  for t in $TARGETS; do start_target "$t" "$n"; done
  [[ -z ${PID[usher]:-} ]] || usher_warmup "$n"
  targets=() groups=("backend=$BACKEND_PID")
  for t in $TARGETS; do [[ $t == direct ]] || groups+=("$t=${PID[$t]}"); targets+=("$t"); done
  sleep 1
  for ((r = 1; r <= ROUNDS; r++)); do
    pos=0
    for t in $(rotated "$r" "${targets[@]}"); do
      pos=$((pos + 1))
      measure "$t" "$n" "$r" "$pos" "${PORT[$t]}" "$BODY" "target=${PID[$t]}" "backend=$BACKEND_PID"
      sleep 1
    done
  done
  if ((PROFILE)) && [[ -n ${PID[usher]:-} ]]; then
    profile_usher "$n" "${PORT[usher]}" "${PID[usher]}" "backend=$BACKEND_PID"
  fi
  sleep 2
  snap "$RAW/idle-w$n.after" "${groups[@]}"
  for t in $TARGETS; do [[ $t == direct ]] || stop_pid "${PID[$t]}"; done
  unset PID PORT
  declare -A PID PORT
done
# Idle keep-alive connections: what holding them costs each proxy; Usher at -Xmx64m, with its heap
# after a full GC (jcmd) besides the RSS.
if ((IDLE_CONNS)); then
  for t in $TARGETS; do
    [[ $t != direct ]] || continue
    f=$RAW/idle-$t
    log "$t: $IDLE_CONNS idle connections, $IDLE_WORKERS workers"
    USHER_JAVA_OPTS="${USHER_JAVA_OPTS:-} -Xmx64m" start_target "$t" "$IDLE_WORKERS"
    curl -fsS -o /dev/null -o /dev/null "http://127.0.0.1:${PORT[$t]}/" "http://127.0.0.1:${PORT[$t]}/"
    for phase in before held; do
      if [[ $phase == held ]]; then
        start_bg "$f.client" python3 "$SCRIPT_DIR/idle_conns.py" --port "${PORT[$t]}" --count "$IDLE_CONNS" \
          --open-max 120 --hold-max 300 --ready-file "$f.ready" --result "$f.result"
        cpid=$LAST_PID
        for ((i = 0; i < 1300; i++)); do
          if [[ -e $f.ready ]] || ! alive "$cpid"; then break; fi
          sleep 0.1
        done
        [[ -e $f.ready ]] || die "idle_conns.py did not open its connections: $(tail -3 "$f.client")"
        sleep 3
        # A fresh client must still be served while they are held.
        fresh=no
        [[ $(curl -fsS --max-time 10 "http://127.0.0.1:${PORT[$t]}/") != "$BODY" ]] || fresh=yes
        echo "$fresh" >"$f.fresh"
      fi
      [[ $t != usher ]] || { jcmd "${PID[$t]}" GC.run && jcmd "${PID[$t]}" GC.heap_info; } >"$f.$phase.heap"
      snap "$f.$phase" "$t=${PID[$t]}"
    done
    kill -USR1 "$cpid"
    wait "$cpid" || true
    stop_pid "$cpid"
    stop_pid "${PID[$t]}"
  done
fi
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RAW/meta.txt"
stop_pid "$BACKEND_PID"

"$PYTHON" "$SCRIPT_DIR/report.py" proxy "$RAW" "$OUT"
