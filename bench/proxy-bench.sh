#!/usr/bin/env bash
# shellcheck disable=SC2015 # ("A && B || die" is intended: die when either fails)
# Usher proxy benchmark: Usher vs nginx vs HAProxy vs the backend directly,
# all on 127.0.0.1, driven by wrk; plus an idle keep-alive connections memory
# measurement. See bench/README.md.
#
#   bash bench/proxy-bench.sh [--duration 10s] [--rounds 3] [--connections 64]
#                             [--threads 2] [--out bench/results] [--require-usher] ...
#
# Only loopback addresses are ever targeted; every load is bounded in time
# (wrk -d plus a hard `timeout`) and in connection count. Everything started
# here is stopped on exit (trap EXIT), and configs/logs live in a mktemp dir.
# This script installs nothing: run bench/setup.sh first.
set -euo pipefail
# No job control: background servers must not be process-group leaders, so
# that `setsid` execs in place and $! is the server's own pid (see start_bg
# in lib.sh).
set +m

# Shared with uwsgi-bench.sh: helpers, process management, ports, wrk runs,
# medians, report pieces; also sets SCRIPT_DIR, REPO_ROOT and ORIG_CMD.
BENCH_NAME=proxy-bench
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

# ----------------------------------------------------------------- options --
DURATION=10s
ROUNDS=3
CONNECTIONS=64
THREADS=2
OUT="$REPO_ROOT/bench/results"
WARMUP=5s
WORKERS_LIST="1 2"
BACKEND_WORKERS=2
JAR="$REPO_ROOT/proxy-image/target/usher-proxy.jar"
REQUIRE_USHER=0
IDLE_CONNS=5000
IDLE_WORKERS=2
IDLE_HOLD_SETTLE=3
SKIP_IDLE=0
SKIP_THROUGHPUT=0
KEEP_TMP=0
USHER_READY_TIMEOUT=60
USHER_JAVA_OPTS=${USHER_JAVA_OPTS:-}

usage() {
  cat <<EOF
Usage: bash bench/proxy-bench.sh [options]

Load (same for every target):
  --duration D          wrk duration per measurement, e.g. 10s, 1m   (default $DURATION)
  --rounds N            measure every target N times per worker count,
                        interleaved (order rotated each round); the
                        report gives medians across rounds         (default $ROUNDS)
  --connections C       wrk connections                              (default $CONNECTIONS)
  --threads T           wrk threads                                  (default $THREADS)
  --warmup D            unrecorded wrk run on Usher before round 1   (default $WARMUP)
  --workers "1 2"       worker / event-loop counts to measure        (default "$WORKERS_LIST")
  --backend-workers N   nginx workers of the shared backend          (default $BACKEND_WORKERS)

Usher:
  --jar PATH            Usher proxy jar (default proxy-image/target/usher-proxy.jar)
  --require-usher       fail (instead of warn and skip) if the jar is missing
                        or Usher does not start / answer correctly
  env USHER_JAVA_OPTS   extra JVM flags for Usher (default none)

Idle connections memory:
  --idle-conns N        idle keep-alive connections to hold           (default $IDLE_CONNS)
  --idle-workers N      workers / event loops for that measurement    (default $IDLE_WORKERS)
  --idle-settle S       seconds to hold them before measuring         (default $IDLE_HOLD_SETTLE)
  --skip-idle           skip the idle connections measurement
  --skip-throughput     skip the wrk measurements (idle measurement only)

Output:
  --out DIR             results dir (default bench/results): proxy-bench.md,
                        proxy-bench.csv, proxy-bench.png, raw/
  --keep-tmp            keep the temp dir with configs and server logs
  -h, --help            this help
EOF
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;
    --backend-workers) need_arg "$@"; BACKEND_WORKERS=$2; shift 2 ;;
    --require-usher) REQUIRE_USHER=1; shift ;;
    --idle-conns) need_arg "$@"; IDLE_CONNS=$2; shift 2 ;;
    --idle-workers) need_arg "$@"; IDLE_WORKERS=$2; shift 2 ;;
    --idle-settle) need_arg "$@"; IDLE_HOLD_SETTLE=$2; shift 2 ;;
    --skip-idle) SKIP_IDLE=1; shift ;;
    --skip-throughput) SKIP_THROUGHPUT=1; shift ;;
    *) common_opt "$@" || { usage >&2; die "unknown argument: $1"; }; shift "$OPT_SHIFT" ;;
  esac
done

check_load_opts
is_uint "$BACKEND_WORKERS" && ((BACKEND_WORKERS <= 64)) || die "--backend-workers must be 1..64"
is_uint "$IDLE_CONNS" && ((IDLE_CONNS <= 20000)) || die "--idle-conns must be 1..20000"
is_uint "$IDLE_WORKERS" && ((IDLE_WORKERS <= 64)) || die "--idle-workers must be 1..64"
[[ $IDLE_HOLD_SETTLE =~ ^[0-9]+$ ]] && ((10#$IDLE_HOLD_SETTLE <= 200)) || die "--idle-settle must be 0..200 seconds"
check_workers_opt

# ------------------------------------------------------------------- tools --
missing=()
for t in nginx haproxy wrk java curl python3; do
  command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
# Small helpers from coreutils/util-linux/procps (present on any Debian).
for t in timeout setsid ps awk; do
  command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if ((${#missing[@]})); then
  die "missing tool(s): ${missing[*]}. Install them with: bash bench/setup.sh (java: a JDK 17+)"
fi
HAVE_JCMD=0
command -v jcmd >/dev/null 2>&1 && HAVE_JCMD=1

# Usher availability is decided up front so a missing jar is loud and early.
USHER_ENABLED=1
USHER_NOTE=""
if [[ ! -f $JAR ]]; then
  if ((REQUIRE_USHER)); then
    die "Usher jar not found: $JAR (build proxy-image first; --require-usher is set)"
  fi
  USHER_ENABLED=0
  USHER_NOTE="SKIPPED: jar not found at ${JAR#"$REPO_ROOT"/}"
  warn_loud "Usher jar not found: $JAR" \
    "Usher will be SKIPPED; only nginx, HAProxy and direct are measured." \
    "Build proxy-image (target/usher-proxy.jar) or pass --jar; --require-usher makes this an error."
fi

# ------------------------------------------------------- limits and tmpdir --
# 5,000 idle connections need ~5,000 fds in the client and ~10,000 in a proxy.
NOFILE_WANT=$((IDLE_CONNS * 2 + 4096))
((NOFILE_WANT < 16384)) && NOFILE_WANT=16384
hard=$(ulimit -Hn)
if [[ $hard == unlimited ]]; then hard=$NOFILE_WANT; fi
if (($(ulimit -Sn) < NOFILE_WANT)); then
  if ((hard < NOFILE_WANT)); then
    ulimit -Hn "$NOFILE_WANT" 2>/dev/null && hard=$NOFILE_WANT || true
  fi
  ulimit -Sn "$((hard < NOFILE_WANT ? hard : NOFILE_WANT))" 2>/dev/null || true
fi
NOFILE=$(ulimit -Sn)
if ((SKIP_IDLE == 0 && NOFILE < IDLE_CONNS * 2 + 512)); then
  die "open files limit is $NOFILE; the idle measurement needs about $((IDLE_CONNS * 2 + 512)) (raise 'ulimit -n', or use --idle-conns / --skip-idle)"
fi

mkdir -p "$OUT" "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/usher-bench.XXXXXX")

install_cleanup_traps

# Usher runs from a private copy of the jar, so a rebuild during the run can
# neither change nor break what is measured; the report names the original.
GIT_REV=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
JAR_RUN=""
if ((USHER_ENABLED)); then
  copy_jar
else
  JAR_INFO="not found (\`${JAR#"$REPO_ROOT"/}\`)"
fi

# ----------------------------------------------------------------- backend --
# Exactly 100 bytes, no characters that need escaping in nginx config.
BODY="usher-bench backend fixed body $(printf 'x%.0s' $(seq 1 69))"
[[ ${#BODY} -eq 100 ]] || die "internal: body is ${#BODY} bytes"

NGINX_HAS_UWSGI=1
NGINX_HAS_SCGI=1
nginx_V=$(nginx -V 2>&1 || true)
[[ $nginx_V == *without-http_uwsgi_module* ]] && NGINX_HAS_UWSGI=0
[[ $nginx_V == *without-http_scgi_module* ]] && NGINX_HAS_SCGI=0
NGINX_WCONN=$((IDLE_CONNS * 2 + 2048))
((NGINX_WCONN < 4096)) && NGINX_WCONN=4096

BACKEND_PORT=""
BACKEND_PID=""
start_backend() {
  local d="$TMP/backend"
  free_port; BACKEND_PORT=$FREE_PORT
  nginx_conf "$d" "$BACKEND_WORKERS" "    server {
        listen 127.0.0.1:$BACKEND_PORT backlog=4096;
        location / {
            default_type text/plain;
            return 200 \"$BODY\";
        }
    }"
  start_nginx backend "$d"
  BACKEND_PID=$LAST_PID
  if ! wait_http "http://127.0.0.1:$BACKEND_PORT/" "$BACKEND_PID" 100; then
    show_log "$d/error.log"; show_log "$d/stdout.log"
    die "backend nginx did not start on 127.0.0.1:$BACKEND_PORT"
  fi
  local got
  got=$(curl -fsS --max-time 5 "http://127.0.0.1:$BACKEND_PORT/")
  [[ $got == "$BODY" ]] || die "backend answered an unexpected body: $got"
  log "backend nginx ($BACKEND_WORKERS workers) on 127.0.0.1:$BACKEND_PORT, pid $BACKEND_PID"
}

# ------------------------------------------------------------------ targets --
# start_target KIND WORKERS [XMX] -> sets TGT_PID TGT_PORT TGT_LOG TGT_ADMIN
# returns non-zero if the target did not come up (logs shown).
TGT_PID="" TGT_PORT="" TGT_LOG="" TGT_ADMIN=""
start_target() {
  local kind=$1 n=$2 xmx=${3:-256m}
  TGT_PID="" TGT_LOG=""  # so a failure before the start stops nothing else
  free_port; TGT_PORT=$FREE_PORT
  TGT_ADMIN=""
  local d="$TMP/$kind-$n-$TGT_PORT"
  mkdir -p "$d"
  case $kind in
    nginx)
      nginx_conf "$d" "$n" "    upstream backend {
        server 127.0.0.1:$BACKEND_PORT;
        keepalive 64;
        keepalive_requests 10000000;
        keepalive_timeout 300s;
    }
    server {
        listen 127.0.0.1:$TGT_PORT backlog=4096;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
      start_nginx "nginx-proxy" "$d"
      TGT_LOG="$d/error.log"
      TGT_PID=$LAST_PID
      wait_http "http://127.0.0.1:$TGT_PORT/" "$TGT_PID" 100 || { show_log "$TGT_LOG"; show_log "$d/stdout.log"; return 1; }
      ;;
    haproxy)
      local maxconn=$(((NOFILE - 200) / 2))
      ((maxconn > IDLE_CONNS * 2 + 1000)) && maxconn=$((IDLE_CONNS * 2 + 1000))
      cat >"$d/haproxy.cfg" <<EOF
# no 'log' lines anywhere: logging is off
global
    nbthread $n
    maxconn $maxconn

defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 300s
    timeout server 60s
    timeout http-request 10s
    timeout http-keep-alive 300s

frontend fe
    bind 127.0.0.1:$TGT_PORT
    default_backend be

backend be
    server backend 127.0.0.1:$BACKEND_PORT
EOF
      if ! haproxy -c -q -f "$d/haproxy.cfg" >"$d/check.log" 2>&1; then
        show_log "$d/check.log"
        return 1
      fi
      start_bg "haproxy" "$d/haproxy.log" haproxy -db -f "$d/haproxy.cfg"
      TGT_LOG="$d/haproxy.log"
      TGT_PID=$LAST_PID
      wait_http "http://127.0.0.1:$TGT_PORT/" "$TGT_PID" 100 || { show_log "$TGT_LOG"; return 1; }
      ;;
    usher)
      free_port; TGT_ADMIN=$FREE_PORT
      TGT_LOG="$d/usher.log"
      start_usher "$TGT_LOG" "$TGT_PORT" "$TGT_ADMIN" "$xmx" \
        --upstream "127.0.0.1:$BACKEND_PORT" --event-loops "$n"
      TGT_PID=$LAST_PID
      wait_usher "$TGT_PID" "$TGT_LOG" "$TGT_PORT" "$TGT_ADMIN" || return 1
      ;;
    *) die "internal: unknown target $kind" ;;
  esac
  # Every proxy must really forward to the shared backend.
  local got
  got=$(curl -fsS --max-time 5 "http://127.0.0.1:$TGT_PORT/" 2>&1) || true
  if [[ $got != "$BODY" ]]; then
    log "$kind: unexpected response through the proxy: ${got:0:200}"
    return 1
  fi
  log "$kind ($n workers) on 127.0.0.1:$TGT_PORT, pid $TGT_PID"
}

stop_target() {
  [[ -n $TGT_PID ]] || return 0
  stop_pid "$TGT_PID"
  if [[ $TGT_LOG == *usher.log ]]; then  # after the stop, so shutdown lines are in it
    cp "$TGT_LOG" "$OUT/raw/$(basename "$(dirname "$TGT_LOG")").log" 2>/dev/null || true
  fi
  wait_port_free "$TGT_PORT"
  [[ -z $TGT_ADMIN ]] || wait_port_free "$TGT_ADMIN"
  TGT_PID=""
}

# ---------------------------------------------------------------- wrk runs --
# Per round: RPS[target:workers:round] etc. (lib.sh); POS[...] is the target's
# place in that round's order. The medians across rounds are computed for the
# report.

# check_target TARGET PID PORT: the server is still running and a request
# through it returns the backend's exact body (before every measurement).
check_target() {
  local target=$1 pid=$2 port=$3 got
  if [[ -n $pid ]] && ! is_alive "$pid"; then
    log "$target: server (pid $pid) is no longer running"
    return 2
  fi
  got=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/" 2>&1) || true
  if [[ $got != "$BODY" ]]; then
    log "$target: unexpected response on 127.0.0.1:$port: ${got:0:200}"
    return 1
  fi
}

# measure TARGET WORKERS ROUND POSITION PID PORT (PID empty for direct: the
# backend)
measure() {
  local target=$1 n=$2 r=$3 pos=$4 pid=$5 port=$6 key="$1:$2:$3"
  local raw="$OUT/raw/wrk-$target-w$n-r$r.txt"
  POS[$key]=$pos
  local rc=0
  check_target "$target" "$pid" "$port" || rc=$?
  if ((rc)); then
    if ((rc == 2)); then STATUS[$key]="died"; else STATUS[$key]="bad-response"; fi
    return 0
  fi
  log "wrk $target ($n workers, round $r/$ROUNDS, #$pos): -t$THREADS -c$CONNECTIONS -d$DURATION"
  if ! run_wrk "$port" "$raw" "$DURATION"; then
    log "wrk failed for $target ($n, round $r):"; show_log "$raw"
    STATUS[$key]="wrk-failed"
    return 0
  fi
  record_wrk "$key" "$raw" "$target ($n, round $r)"
  [[ ${STATUS[$key]} != parse-failed ]] || return 0
  if [[ ${STATUS[$key]} == errors ]]; then
    log "WARNING: $target ($n, round $r): ${NON2XX[$key]} non-2xx responses, ${SOCKERR[$key]} socket errors"
  fi
  log "  -> ${RPS[$key]} req/s, p50 ${P50[$key]} ms, p99 ${P99[$key]} ms"
}

usher_failed() {  # MESSAGE
  if ((REQUIRE_USHER)); then
    die "Usher: $1 (--require-usher is set)"
  fi
  warn_loud "Usher: $1" "Continuing without it; its rows are marked failed."
  [[ -n $USHER_NOTE ]] || USHER_NOTE="FAILED: $1"
}

# The proxies of one worker count run side by side (each idle while another
# is measured); their TGT_* are kept here between start_target and the stop.
declare -A RUN_PID=() RUN_PORT=() RUN_LOG=() RUN_ADMIN=()
keep_target() {  # KIND: remember the TGT_* of the target just started
  RUN_PID[$1]=$TGT_PID RUN_PORT[$1]=$TGT_PORT RUN_LOG[$1]=$TGT_LOG RUN_ADMIN[$1]=$TGT_ADMIN
}
stop_kept() {  # KIND: stop a remembered target (no-op if none)
  [[ -n ${RUN_PID[$1]:-} ]] || return 0
  TGT_PID=${RUN_PID[$1]} TGT_PORT=${RUN_PORT[$1]} TGT_LOG=${RUN_LOG[$1]} TGT_ADMIN=${RUN_ADMIN[$1]}
  stop_target
  unset "RUN_PID[$1]" "RUN_PORT[$1]" "RUN_LOG[$1]" "RUN_ADMIN[$1]"
}

TARGETS=(direct nginx haproxy usher)
# Round r measures TARGETS rotated right by r-1 places: round 1 direct nginx
# haproxy usher, round 2 usher direct nginx haproxy, ... so that no target is
# always measured first or last. (The cyclic order stays the same: nginx still
# follows direct, except where a round wraps around.)
round_orders "${TARGETS[@]}"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
DATE_START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

start_backend

if ((SKIP_THROUGHPUT == 0)); then
  for n in "${WORKERS[@]}"; do
    log "===== workers / event loops = $n: $ROUNDS round(s) ====="
    # Every proxy is started once per worker count and kept up across rounds.
    for kind in nginx haproxy; do
      if ! start_target "$kind" "$n"; then
        stop_target
        die "$kind ($n workers) did not start or did not proxy correctly"
      fi
      keep_target "$kind"
    done
    usher_state="skipped"
    if ((USHER_ENABLED)); then
      if start_target usher "$n"; then
        keep_target usher
        usher_state="up"
        if ((WARMUP_S > 0)); then
          log "usher: JVM warm-up, wrk for $WARMUP (not recorded), once before round 1"
          run_wrk "$TGT_PORT" "$OUT/raw/wrk-usher-w$n-warmup.txt" "$WARMUP" || log "warm-up wrk failed (continuing)"
        fi
      else
        stop_target
        usher_state="start-failed"
        usher_failed "did not start or did not proxy correctly with --event-loops $n"
      fi
    fi
    sleep 1
    for ((r = 1; r <= ROUNDS; r++)); do
      log "----- workers $n, round $r/$ROUNDS: ${ROUND_ORDER[$r]} -----"
      pos=0
      for t in ${ROUND_ORDER[$r]}; do
        pos=$((pos + 1))
        if [[ $t == usher && $usher_state != up ]]; then
          STATUS["usher:$n:$r"]=$usher_state POS["usher:$n:$r"]=$pos
          continue
        fi
        if [[ $t == direct ]]; then
          measure direct "$n" "$r" "$pos" "" "$BACKEND_PORT"
        else
          measure "$t" "$n" "$r" "$pos" "${RUN_PID[$t]}" "${RUN_PORT[$t]}"
        fi
        if [[ $t == usher && ${STATUS["usher:$n:$r"]} == died ]]; then
          usher_state="died"
          usher_failed "exited during round $r with --event-loops $n (see raw/usher-*.log)"
        fi
        sleep 1
      done
    done
    for kind in usher haproxy nginx; do stop_kept "$kind"; done
    sleep 1
  done
fi

# ------------------------------------------------------- idle connections --
declare -A IDLE=()  # IDLE[target:field]

rss_kb() {  # sum of VmRSS over every process in session $1 (pid == sid)
  local total=0 p v
  for p in $(ps -o pid= -s "$1" 2>/dev/null); do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
pss_kb() {  # sum of Pss (shared pages split between processes) over session $1
  local total=0 p v
  for p in $(ps -o pid= -s "$1" 2>/dev/null); do
    v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# heap_used_kb PID RAWFILE: full GC, then used heap (KiB) from GC.heap_info.
heap_used_kb() {
  local pid=$1 raw=$2
  if ((HAVE_JCMD == 0)); then echo "NaN"; return 0; fi
  {
    echo "### jcmd $pid GC.run"
    timeout 60 jcmd "$pid" GC.run 2>&1 || echo "(GC.run failed)"
    echo "### jcmd $pid GC.heap_info"
    timeout 60 jcmd "$pid" GC.heap_info 2>&1 || echo "(GC.heap_info failed)"
  } >"$raw"
  # Sum 'used NNNK' over heap lines (G1: one line; Serial/Parallel: one per
  # generation), stopping at Metaspace (not heap).
  awk '
    /### jcmd .* GC.heap_info/ { on = 1; next }
    on && /Metaspace|class space/ { exit }
    on && match($0, /used [0-9]+K/) { sum += substr($0, RSTART + 5, RLENGTH - 6); found = 1 }
    END { if (found) print sum; else print "NaN" }' "$raw"
}

json_get() {  # FILE KEY
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d.get(sys.argv[2]); print(json.dumps(v) if isinstance(v,(dict,list)) else v)' "$1" "$2"
}

idle_measure() {  # TARGET
  local kind=$1 k=$1 n=$IDLE_WORKERS
  log "===== idle connections: $kind, $IDLE_CONNS connections, $n workers ====="
  IDLE[$k:status]="failed"
  local xmx=64m
  if ! start_target "$kind" "$n" "$xmx"; then
    stop_target
    IDLE[$k:status]="start-failed"
    return 1
  fi
  local pid=$TGT_PID port=$TGT_PORT
  # Baseline after a few requests (so lazily created pools exist).
  curl -fsS -o /dev/null -o /dev/null --max-time 5 "http://127.0.0.1:$port/" "http://127.0.0.1:$port/" || true
  sleep 1
  if [[ $kind == usher ]]; then
    IDLE[$k:heap0]=$(heap_used_kb "$pid" "$OUT/raw/idle-usher-heap-before.txt")
  fi
  IDLE[$k:rss0]=$(rss_kb "$pid")
  IDLE[$k:pss0]=$(pss_kb "$pid")

  local ready="$TMP/idle-$kind.ready" result="$TMP/idle-$kind.json"
  rm -f "$ready" "$result"
  start_bg "idle_conns" "$TMP/idle-$kind.log" python3 "$SCRIPT_DIR/idle_conns.py" \
    --host 127.0.0.1 --port "$port" --count "$IDLE_CONNS" \
    --open-max 120 --hold-max $((IDLE_HOLD_SETTLE + 240)) --ready-file "$ready" --result "$result"
  local cpid=$LAST_PID i
  for ((i = 0; i < 1300; i++)); do  # open-max 120 s + slack, 0.1 s steps
    [[ -f $ready ]] && break
    is_alive "$cpid" || break
    sleep 0.1
  done
  if [[ ! -f $ready ]]; then
    show_log "$TMP/idle-$kind.log"
    stop_pid "$cpid"; stop_target
    IDLE[$k:status]="client-failed"
    return 1
  fi
  IDLE[$k:answered]=$(json_get "$ready" answered)
  IDLE[$k:open_s]=$(json_get "$ready" open_seconds)
  IDLE[$k:errors]=$(json_get "$ready" errors)
  log "$kind: ${IDLE[$k:answered]}/$IDLE_CONNS connections answered in ${IDLE[$k:open_s]} s; errors ${IDLE[$k:errors]}"
  sleep "$IDLE_HOLD_SETTLE"

  if [[ $kind == usher ]]; then
    IDLE[$k:heap1]=$(heap_used_kb "$pid" "$OUT/raw/idle-usher-heap-with-conns.txt")
    IDLE[$k:gc]=$(awk '/### jcmd .* GC.heap_info/ {getline; getline; print; exit}' "$OUT/raw/idle-usher-heap-with-conns.txt" | awk '{print $1, $2}' || true)
  fi
  IDLE[$k:rss1]=$(rss_kb "$pid")
  IDLE[$k:pss1]=$(pss_kb "$pid")
  IDLE[$k:vmrss_main]=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo NaN)

  # A fresh connection must still be served while the idle ones are held.
  local got
  got=$(curl -fsS --max-time 10 "http://127.0.0.1:$port/" 2>/dev/null || true)
  if [[ $got == "$BODY" ]]; then IDLE[$k:fresh]="yes"; else IDLE[$k:fresh]="no"; fi

  # Release: the client checks every connection is still open, then exits.
  kill -USR1 "$cpid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    [[ -f $result ]] && ! is_alive "$cpid" && break
    sleep 0.1
  done
  stop_pid "$cpid"
  if [[ -f $result ]]; then
    IDLE[$k:still_open]=$(json_get "$result" still_open)
    IDLE[$k:held_s]=$(json_get "$result" held_seconds)
    IDLE[$k:all_open]=$(json_get "$result" all_open)
  else
    show_log "$TMP/idle-$kind.log"
    IDLE[$k:still_open]="?"
    IDLE[$k:all_open]="?"
  fi
  cp "$TMP/idle-$kind.log" "$OUT/raw/idle-$kind-client.log" 2>/dev/null || true
  stop_target
  IDLE[$k:status]="ok"
  log "$kind: still open ${IDLE[$k:still_open]}/$IDLE_CONNS, fresh request ${IDLE[$k:fresh]}, RSS ${IDLE[$k:rss0]} -> ${IDLE[$k:rss1]} KiB${IDLE[$k:heap1]:+, heap after GC ${IDLE[$k:heap0]} -> ${IDLE[$k:heap1]} KiB}"
  sleep 1
}

IDLE_TARGETS=()
if ((SKIP_IDLE == 0)); then
  if ((USHER_ENABLED)); then
    IDLE_TARGETS+=(usher)
    if ! idle_measure usher; then
      usher_failed "idle connections measurement failed (${IDLE[usher:status]})"
    fi
  fi
  IDLE_TARGETS+=(nginx haproxy)
  idle_measure nginx || die "idle connections measurement failed for nginx"
  idle_measure haproxy || die "idle connections measurement failed for haproxy"
fi

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
stop_pid "$BACKEND_PID"

# ----------------------------------------------------------------- reports --
common_versions
ver_haproxy=$(haproxy -v 2>/dev/null | awk 'NR == 1 {print $3}' || true)

mib() { awk -v v="${1:-}" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.1f", v / 1024; else printf "n/a" }'; }
per_conn() {  # BEFORE_KB AFTER_KB COUNT -> KiB per connection
  awk -v a="${1:-}" -v b="${2:-}" -v n="$3" 'BEGIN {
    if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && n > 0) printf "%.2f", (b - a) / n; else printf "n/a" }'
}

# Per target and worker count, across rounds (only rounds with status "ok":
# no wrk failure, no non-2xx, no socket errors): MED_RPS etc., see lib.sh.
((SKIP_THROUGHPUT)) || aggregate "${TARGETS[@]}"

CSV="$OUT/proxy-bench.csv"
MD="$OUT/proxy-bench.md"
PNG="$OUT/proxy-bench.png"

if ((SKIP_THROUGHPUT == 0)); then
  {
    # One row per target / workers / round (round = 1..N, position = place in
    # that round's order), then one row with round = "median": medians over the
    # ok rounds, requests / non_2xx / socket_errors summed over all rounds, and
    # the req/s and p99 ranges and the count of ok rounds in the last columns.
    echo "target,workers,round,position,req_per_sec,p50_ms,p99_ms,requests,non_2xx,socket_errors,status,req_per_sec_min,req_per_sec_max,p99_ms_min,p99_ms_max,rounds_ok"
    for n in "${WORKERS[@]}"; do
      for t in "${TARGETS[@]}"; do
        for ((r = 1; r <= ROUNDS; r++)); do
          k="$t:$n:$r"
          echo "$t,$n,$r,${POS[$k]:-},${RPS[$k]:-},${P50[$k]:-},${P99[$k]:-},${REQS[$k]:-},${NON2XX[$k]:-},${SOCKERR[$k]:-},${STATUS[$k]:-not-run},,,,,"
        done
        k="$t:$n"
        echo "$t,$n,median,,${MED_RPS[$k]:-},${MED_P50[$k]:-},${MED_P99[$k]:-},${TOT_REQS[$k]:-},${TOT_NON2XX[$k]:-},${TOT_SOCKERR[$k]:-},${AGG_STATUS[$k]},${RPS_MIN[$k]:-},${RPS_MAX[$k]:-},${P99_MIN[$k]:-},${P99_MAX[$k]:-},${N_OK[$k]}"
      done
    done
  } >"$CSV"
fi

# --- chart
CHART_NOTE=""
make_chart() {
  # rps.dat: per target three columns, median / min / max req/s over the rounds;
  # p99.dat: per target the median p99.
  chart_data "${TARGETS[@]}" || { CHART_NOTE="no data to chart"; return 0; }
  local dat_rps="$TMP/rps.dat" dat_p99="$TMP/p99.dat"
  local title
  title="Usher proxy bench — median of $ROUNDS interleaved round(s) of wrk -t$THREADS -c$CONNECTIONS -d$DURATION, 127.0.0.1, nproc $(nproc) (same-run comparison only)"
  if command -v gnuplot >/dev/null 2>&1; then
    if gnuplot_chart "$title"; then return 0; fi
  fi
  if python3 -c 'import matplotlib' >/dev/null 2>&1; then
    if python3 - "$dat_rps" "$dat_p99" "$PNG" "$title" >"$TMP/mpl.log" 2>&1 <<'PYEOF'
import sys, shlex
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
def load(p):
    rows = [shlex.split(l) for l in open(p) if l.strip()]
    return rows[0][1:], [r[0] for r in rows[1:]], [[float(x) if x != "?" else float("nan") for x in r[1:]] for r in rows[1:]]
fig, axes = plt.subplots(1, 2, figsize=(12.8, 5.6))
fig.suptitle(sys.argv[4], fontsize=10)
panels = [(sys.argv[1], 3, "Throughput, median req/s (bars: min–max over rounds; higher is better)", "%.0f"),
          (sys.argv[2], 1, "Median p99 latency (ms, lower is better)", "%.2f")]
for ax, (path, step, title, fmt) in zip(axes, panels):
    head, groups, vals = load(path)
    targets = head[0::step]
    w = 0.8 / len(targets)
    for j, t in enumerate(targets):
        xs = [g + (j - (len(targets) - 1) / 2) * w for g in range(len(groups))]
        ys = [v[j * step] for v in vals]
        yerr = None
        if step == 3:
            yerr = [[max(y - v[j * 3 + 1], 0) if y == y else 0 for y, v in zip(ys, vals)],
                    [max(v[j * 3 + 2] - y, 0) if y == y else 0 for y, v in zip(ys, vals)]]
        bars = ax.bar(xs, [y if y == y else 0 for y in ys], w, label=t, yerr=yerr, capsize=3)
        ax.bar_label(bars, labels=[fmt % y if y == y else "" for y in ys], fontsize=7,
                     padding=12 if step == 3 else 2)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_title(title, fontsize=10); ax.grid(axis="y", alpha=0.3); ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[3], dpi=100)
PYEOF
    then
      CHART_NOTE="matplotlib"
      return 0
    fi
    show_log "$TMP/mpl.log"
  fi
  CHART_NOTE="not drawn (no working gnuplot png terminal or matplotlib; run bench/setup.sh)"
  warn_loud "chart $CHART_NOTE"
}
if ((SKIP_THROUGHPUT == 0)); then make_chart; fi

# --- markdown
{
  echo "# Usher proxy benchmark"
  echo
  md_run_info "HAProxy $ver_haproxy"
  echo "- Backend (shared by every target): nginx, $BACKEND_WORKERS worker(s), \`return 200\` with a fixed ${#BODY}-byte body, keep-alive, access_log off"
  ((SKIP_THROUGHPUT)) || echo "- Load: \`wrk --latency -t$THREADS -c$CONNECTIONS -d$DURATION http://127.0.0.1:PORT/\` per target, everything on 127.0.0.1, one target at a time; $ROUNDS interleaved round(s) per worker count, medians reported"
  if ((${#KILLED[@]})); then
    echo "- **Shutdown: did not exit within ${STOP_GRACE_S}s of SIGTERM and were SIGKILLed: $(killed_list)** (see \`raw/usher-*.log\`)"
  fi
  ((SKIP_THROUGHPUT)) || echo "- Usher: \`java -Xmx256m${USHER_JAVA_OPTS:+ $USHER_JAVA_OPTS} -jar ${JAR#"$REPO_ROOT"/} --listen … --admin … --upstream … --event-loops N\`, $WARMUP unrecorded wrk warm-up once per worker count, before round 1${USHER_NOTE:+ — **$USHER_NOTE**}"
  echo
  echo "> Shared, noisy machine: wrk, the proxy and the backend all compete for the same $(nproc) cores."
  echo "> Absolute numbers are not comparable across runs; compare the ratios from this run only."
  echo
  if ((SKIP_THROUGHPUT == 0)); then
    echo "## Throughput and latency (median of $ROUNDS round(s))"
    echo
    echo "Every target was measured $ROUNDS time(s) per worker count, interleaved: each round runs every target once, and each round's order is the previous one rotated by one place, so no target is always first or last:"
    echo
    for ((r = 1; r <= ROUNDS; r++)); do
      echo "- round $r: ${ROUND_ORDER[$r]// / → }"
    done
    echo
    echo "nginx, HAProxy and Usher were each started once per worker count and stayed up (idle while another target was measured) through all rounds. Medians are over the rounds with status \`ok\` (\"rounds ok\"); p50 and p99 are each the median of the per-round values; non-2xx and socket errors are totals over all rounds."
    echo
    echo "| target | workers | rounds ok | req/s (median) | req/s min–max | p50 ms (median) | p99 ms (median) | p99 ms min–max | non-2xx | socket errors | status |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for n in "${WORKERS[@]}"; do
      for t in "${TARGETS[@]}"; do
        k="$t:$n"
        rng="n/a"; prng="n/a"
        if [[ -n ${MED_RPS[$k]:-} ]]; then
          rng="$(fmt_int "${RPS_MIN[$k]}")–$(fmt_int "${RPS_MAX[$k]}")"
          prng="$(fmt2 "${P99_MIN[$k]}")–$(fmt2 "${P99_MAX[$k]}")"
        fi
        echo "| $t | $n | ${N_OK[$k]}/$ROUNDS | $(fmt_int "${MED_RPS[$k]:-}") | $rng | $(fmt2 "${MED_P50[$k]:-}") | $(fmt2 "${MED_P99[$k]:-}") | $prng | ${TOT_NON2XX[$k]:-n/a} | ${TOT_SOCKERR[$k]:-n/a} | ${AGG_STATUS[$k]} |"
      done
    done
    echo
    echo "\"workers\" is \`worker_processes\` for nginx, \`nbthread\` for HAProxy, \`--event-loops\` for Usher; for \"direct\" (wrk straight to the backend, the ceiling) it only labels the worker count whose rounds it was measured in."
    echo
    echo "### Per round"
    echo
    echo "Values in round order (round 1 · round 2 · …); \`-\` is a round without a result (see the CSV's status column)."
    echo
    echo "| target | workers | req/s per round | p50 ms per round | p99 ms per round |"
    echo "|---|---:|---:|---:|---:|"
    starred=0
    for n in "${WORKERS[@]}"; do
      for t in "${TARGETS[@]}"; do
        cr="" c50="" c99=""
        for ((r = 1; r <= ROUNDS; r++)); do
          k="$t:$n:$r"
          sep=""; ((r > 1)) && sep=" · "
          if [[ -n ${RPS[$k]:-} ]]; then
            mark=""; [[ ${STATUS[$k]} == ok ]] || { mark="*"; starred=1; }
            cr+="$sep$(fmt_int "${RPS[$k]}")$mark" c50+="$sep$(fmt2 "${P50[$k]}")$mark" c99+="$sep$(fmt2 "${P99[$k]}")$mark"
          else
            cr+="$sep-" c50+="$sep-" c99+="$sep-"
          fi
        done
        echo "| $t | $n | $cr | $c50 | $c99 |"
      done
    done
    echo
    if ((starred)); then
      echo "(\`*\`: the round had non-2xx responses or socket errors and is left out of the medians.)"
      echo
    fi
    echo "## Ratios (medians of the same run)"
    echo
    echo "Computed from the medians above. Throughput ratio > 1 means Usher served more req/s; p99 ratio < 1 means Usher had lower tail latency."
    echo
    echo "| workers | req/s usher/nginx | req/s usher/haproxy | req/s usher/direct | p99 usher/nginx | p99 usher/haproxy | p99 usher/direct |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    for n in "${WORKERS[@]}"; do
      u=${MED_RPS[usher:$n]:-}; up=${MED_P99[usher:$n]:-}
      echo "| $n | $(ratio "$u" "${MED_RPS[nginx:$n]:-}") | $(ratio "$u" "${MED_RPS[haproxy:$n]:-}") | $(ratio "$u" "${MED_RPS[direct:$n]:-}") | $(ratio "$up" "${MED_P99[nginx:$n]:-}") | $(ratio "$up" "${MED_P99[haproxy:$n]:-}") | $(ratio "$up" "${MED_P99[direct:$n]:-}") |"
    done
    echo
    echo "For reference, the other proxies against the backend:"
    echo
    echo "| workers | req/s nginx/direct | req/s haproxy/direct | p99 nginx/direct | p99 haproxy/direct |"
    echo "|---:|---:|---:|---:|---:|"
    for n in "${WORKERS[@]}"; do
      echo "| $n | $(ratio "${MED_RPS[nginx:$n]:-}" "${MED_RPS[direct:$n]:-}") | $(ratio "${MED_RPS[haproxy:$n]:-}" "${MED_RPS[direct:$n]:-}") | $(ratio "${MED_P99[nginx:$n]:-}" "${MED_P99[direct:$n]:-}") | $(ratio "${MED_P99[haproxy:$n]:-}" "${MED_P99[direct:$n]:-}") |"
    done
    echo
    if ((ROUNDS > 1)); then
      echo "Usher's req/s ratios within each round (how stable the comparison is; quote the median-based ratios above):"
      echo
      echo "| workers | round | req/s usher/nginx | req/s usher/haproxy | req/s usher/direct |"
      echo "|---:|---:|---:|---:|---:|"
      for n in "${WORKERS[@]}"; do
        for ((r = 1; r <= ROUNDS; r++)); do
          u=${RPS[usher:$n:$r]:-}
          echo "| $n | $r | $(ratio "$u" "${RPS[nginx:$n:$r]:-}") | $(ratio "$u" "${RPS[haproxy:$n:$r]:-}") | $(ratio "$u" "${RPS[direct:$n:$r]:-}") |"
        done
      done
      echo
    fi
    if [[ -s $PNG && $CHART_NOTE != not* ]]; then
      echo "![median req/s (min–max bars) and median p99 per target]($(basename "$PNG"))"
    else
      echo "Chart: $CHART_NOTE"
    fi
    echo
    echo "Raw wrk output: \`raw/wrk-TARGET-wN-rR.txt\` (R = round; Usher's warm-up: \`raw/wrk-usher-wN-warmup.txt\`); the same figures as CSV, one row per round plus a \`median\` row per target and worker count: \`$(basename "$CSV")\`."
    echo
  fi
  if ((SKIP_IDLE == 0)); then
    echo "## Idle keep-alive connections memory"
    echo
    echo "$IDLE_CONNS HTTP/1.1 keep-alive client connections (\`bench/idle_conns.py\`): each sends one \`GET /\`, reads the response, then stays open and idle."
    echo "Measured while they are held (${IDLE_HOLD_SETTLE}s after the last one opened); \"before\" is the same server just started, after two requests."
    echo "Each target runs with $IDLE_WORKERS workers / event loops. Usher runs with \`-Xmx64m\`; its heap is \"used\" from \`jcmd PID GC.heap_info\` right after \`jcmd PID GC.run\`."
    echo "RSS is VmRSS from \`/proc/PID/status\` summed over the server's processes (nginx: master + workers, which double-counts shared pages; PSS splits those)."
    echo
    echo "| target | answered | still open at the end | fresh request while held | RSS before MiB | RSS with conns MiB | RSS KiB/conn | PSS with conns MiB | heap after GC before MiB | heap after GC with conns MiB | heap KiB/conn |"
    echo "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"
    for t in "${IDLE_TARGETS[@]}"; do
      if [[ ${IDLE[$t:status]:-} != ok ]]; then
        echo "| $t | ${IDLE[$t:status]:-not run} | | | | | | | | | |"
        continue
      fi
      h0=${IDLE[$t:heap0]:-}; h1=${IDLE[$t:heap1]:-}
      if [[ $t == usher ]]; then
        hcols="$(mib "$h0") | $(mib "$h1") | $(per_conn "$h0" "$h1" "$IDLE_CONNS")"
      else
        hcols="— | — | —"
      fi
      echo "| $t | ${IDLE[$t:answered]}/$IDLE_CONNS | ${IDLE[$t:still_open]}/$IDLE_CONNS | ${IDLE[$t:fresh]} | $(mib "${IDLE[$t:rss0]}") | $(mib "${IDLE[$t:rss1]}") | $(per_conn "${IDLE[$t:rss0]}" "${IDLE[$t:rss1]}" "$IDLE_CONNS") | $(mib "${IDLE[$t:pss1]}") | $hcols |"
    done
    echo
    for t in "${IDLE_TARGETS[@]}"; do
      [[ ${IDLE[$t:status]:-} == ok ]] || continue
      all="no"; [[ ${IDLE[$t:all_open]} == True ]] && all="yes"
      echo "- $t: all $IDLE_CONNS stayed open: **$all**; answered a fresh connection while they were held: **${IDLE[$t:fresh]}**; opening took ${IDLE[$t:open_s]} s; held ${IDLE[$t:held_s]:-?} s; client errors: \`${IDLE[$t:errors]}\`${IDLE[$t:gc]:+; heap: ${IDLE[$t:gc]}}"
    done
    if ((USHER_ENABLED == 0)); then
      echo "- usher: **$USHER_NOTE**"
    fi
    echo
  fi
} >"$MD"

log "wrote $MD"
((SKIP_THROUGHPUT)) || log "wrote $CSV"
[[ -s $PNG && $CHART_NOTE != not* && $SKIP_THROUGHPUT == 0 ]] && log "wrote $PNG ($CHART_NOTE)"
cat "$MD"
