#!/usr/bin/env bash
# shellcheck disable=SC2015 # ("A && B || die" is intended: die when either fails)
# Usher uwsgi benchmark: Usher (--protocol uwsgi) vs nginx (uwsgi_pass) in
# front of ONE shared uWSGI server running a minimal WSGI app
# (bench/uwsgi_app.py), all on 127.0.0.1, driven by wrk. See bench/README.md.
#
#   bash bench/uwsgi-bench.sh [--duration 10s] [--connections 64] [--threads 2]
#                             [--uwsgi-processes 2] [--uwsgi-threads 1] ...
#
# For each worker count both fronts are started, Usher is warmed up, and then
# --rounds interleaved rounds each measure nginx and Usher once, one at a
# time; the report gives medians, like bench/proxy-bench.sh.
#
# Only loopback addresses are ever targeted; every load is bounded in time
# (wrk -d plus a hard `timeout`) and in connection count. Everything started
# here is stopped on exit (trap EXIT), and configs/logs live in a mktemp dir.
# This script installs nothing (bench/setup.sh, plus the Debian packages
# uwsgi and uwsgi-plugin-python3).
#
# The uwsgi protocol has no keep-alive: both fronts open one connection to
# uWSGI per request. That is inherent to uwsgi_pass, not a fault of either.
set -euo pipefail
# No job control: background servers must not be process-group leaders, so
# that `setsid` execs in place and $! is the server's own pid (see start_bg
# in lib.sh).
set +m

# Shared with proxy-bench.sh: helpers, process management, ports, wrk runs,
# medians, report pieces; also sets SCRIPT_DIR, REPO_ROOT and ORIG_CMD.
BENCH_NAME=uwsgi-bench
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

# ----------------------------------------------------------------- options --
DURATION=10s
ROUNDS=3
CONNECTIONS=64
THREADS=2
WARMUP=20s
WARMUP_ROUND_S=5
WORKERS_LIST="1 2"
UWSGI_PROCESSES=2
UWSGI_THREADS=1
UWSGI_LISTEN=100  # uWSGI's own default; see --uwsgi-listen
OUT="$REPO_ROOT/bench/results"
JAR="$REPO_ROOT/proxy-image/target/usher-proxy.jar"
APP="$SCRIPT_DIR/uwsgi_app.py"
KEEP_TMP=0
QUIET_WAIT=90
QUIET_CPU=25
USHER_READY_TIMEOUT=60
USHER_JAVA_OPTS=${USHER_JAVA_OPTS:-}

usage() {
  cat <<EOF
Usage: bash bench/uwsgi-bench.sh [options]

Load (same for both fronts):
  --duration D          wrk duration per measurement, e.g. 10s, 1m   (default $DURATION)
  --rounds N            measurements per front and worker count, interleaved
                        (order rotated each round); the report gives medians
                        across rounds                                (default $ROUNDS)
  --connections C       wrk connections                              (default $CONNECTIONS)
  --threads T           wrk threads                                  (default $THREADS)
  --warmup D            unrecorded wrk load on Usher, once per worker count
                        before round 1, in parts of at most ${WARMUP_ROUND_S}s whose
                        req/s the report lists, so it shows whether the JIT
                        had settled. Usher is much slower for its first
                        ~40,000 requests here, hence longer than
                        proxy-bench's 5s; 0 = none                   (default $WARMUP)
  --workers "1 2"       nginx worker_processes / Usher --event-loops (default "$WORKERS_LIST")

The one uWSGI server both fronts share:
  --uwsgi-processes P   uWSGI --processes                            (default $UWSGI_PROCESSES)
  --uwsgi-threads T     uWSGI --threads                              (default $UWSGI_THREADS)
  --uwsgi-listen N      uWSGI --listen (socket backlog; uWSGI's own default is 100,
                        must be <= net.core.somaxconn)              (default $UWSGI_LISTEN)

Usher:
  --jar PATH            Usher proxy jar (default proxy-image/target/usher-proxy.jar)
  env USHER_JAVA_OPTS   extra JVM flags for Usher (default none)

Shared machine:
  --quiet-wait S        before each measurement, wait up to S s until, for 3 s
                        in a row, no other load generator / benchmark / Maven
                        build runs (wrk, proxy-bench.sh, uwsgi-bench.sh, mvn)
                        and the machine's CPU is at most --quiet-cpu busy;
                        0 = do not wait. Other load DURING a measurement is
                        reported either way                  (default $QUIET_WAIT)
  --quiet-cpu PCT       "quiet" machine CPU busy, % of all cores (default $QUIET_CPU)

Output:
  --out DIR             results dir (default bench/results): uwsgi-bench.md,
                        uwsgi-bench.csv, uwsgi-bench.png, raw/uwsgi-*
  --keep-tmp            keep the temp dir with configs and server logs
  -h, --help            this help

Exit status: 0 for a valid run; 2 if the reports were written but some
measurement saw non-2xx responses or socket errors (an invalid run); 1 on
any other failure.
EOF
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;
    --uwsgi-processes) need_arg "$@"; UWSGI_PROCESSES=$2; shift 2 ;;
    --uwsgi-threads) need_arg "$@"; UWSGI_THREADS=$2; shift 2 ;;
    --uwsgi-listen) need_arg "$@"; UWSGI_LISTEN=$2; shift 2 ;;
    --quiet-wait) need_arg "$@"; QUIET_WAIT=$2; shift 2 ;;
    --quiet-cpu) need_arg "$@"; QUIET_CPU=$2; shift 2 ;;
    *) common_opt "$@" || { usage >&2; die "unknown argument: $1"; }; shift "$OPT_SHIFT" ;;
  esac
done

check_load_opts
is_uint "$UWSGI_PROCESSES" && ((UWSGI_PROCESSES <= 64)) || die "--uwsgi-processes must be 1..64"
is_uint "$UWSGI_THREADS" && ((UWSGI_THREADS <= 64)) || die "--uwsgi-threads must be 1..64"
is_uint "$UWSGI_LISTEN" && ((UWSGI_LISTEN <= 65535)) || die "--uwsgi-listen must be 1..65535"
[[ $QUIET_WAIT =~ ^[0-9]+$ ]] && ((10#$QUIET_WAIT <= 3600)) || die "--quiet-wait must be 0..3600 seconds"
is_uint "$QUIET_CPU" && ((QUIET_CPU <= 100)) || die "--quiet-cpu must be 1..100"
check_workers_opt

# ------------------------------------------------------------------- tools --
missing=()
for t in nginx uwsgi wrk java curl python3 timeout setsid ps awk ss; do
  command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if ((${#missing[@]})); then
  die "missing tool(s): ${missing[*]}. Install them with: bash bench/setup.sh; apt-get install uwsgi uwsgi-plugin-python3 (java: a JDK 17+)"
fi
[[ -f $JAR ]] || die "Usher jar not found: $JAR — build proxy-image first (it produces proxy-image/target/usher-proxy.jar) or pass --jar PATH"
[[ -f $APP ]] || die "WSGI app not found: $APP"
UWSGI_PARAMS=/etc/nginx/uwsgi_params
[[ -f $UWSGI_PARAMS ]] || die "$UWSGI_PARAMS not found (it comes with nginx-common)"
nginx_V=$(nginx -V 2>&1 || true)
[[ $nginx_V != *without-http_uwsgi_module* ]] || die "this nginx is built --without-http_uwsgi_module; it cannot uwsgi_pass"
SOMAXCONN=$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 4096)
((UWSGI_LISTEN <= SOMAXCONN)) || die "--uwsgi-listen $UWSGI_LISTEN is above net.core.somaxconn ($SOMAXCONN); uWSGI would refuse to start"

# ------------------------------------------------------- limits and tmpdir --
hard=$(ulimit -Hn)
[[ $hard == unlimited ]] && hard=16384
if (($(ulimit -Sn) < 16384)); then ulimit -Sn "$((hard < 16384 ? hard : 16384))" 2>/dev/null || true; fi
NOFILE=$(ulimit -Sn)

mkdir -p "$OUT" "$OUT/raw"
OUT=$(cd "$OUT" && pwd)
# Only this script's own raw files (prefix uwsgi-) from an earlier run are
# removed, so none is mistaken for this run's; proxy-bench.sh's stay.
rm -f "$OUT"/raw/uwsgi-*
TMP=$(mktemp -d "${TMPDIR:-/tmp}/usher-uwsgi-bench.XXXXXX")

# ------------------------------------------------------ process management --
# The measurement's wrk runs in the background (so that the script can watch
# for other load meanwhile); on an early exit it is stopped too. `timeout`
# leads its own process group and passes a SIGTERM on to wrk.
WRK_BG=""
stop_wrk_bg() {
  [[ -n $WRK_BG ]] || return 0
  local c
  for c in $(pgrep -P "$WRK_BG" 2>/dev/null); do
    kill -TERM -- "-$c" 2>/dev/null || kill -TERM "$c" 2>/dev/null || true
  done
  kill -TERM "$WRK_BG" 2>/dev/null || true
  wait "$WRK_BG" 2>/dev/null || true
  WRK_BG=""
}
CLEANUP_HOOK=stop_wrk_bg

install_cleanup_traps

# Usher and uWSGI run from private copies of the jar and the app, so a rebuild
# or an edit during the run can neither change nor break what is measured; the
# report names the originals.
GIT_REV=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
copy_jar
APP_RUN="$TMP/app/uwsgi_app.py"
mkdir -p "$TMP/app"
cp "$APP" "$APP_RUN"
# The body every front must return, taken from the app itself (-B: no
# __pycache__ written anywhere).
BODY=$(PYTHONDONTWRITEBYTECODE=1 python3 -B -c 'import sys; sys.path.insert(0, sys.argv[1]); import uwsgi_app; sys.stdout.write(uwsgi_app.BODY.decode("ascii"))' "$TMP/app") \
  || die "could not read BODY from $APP"
((${#BODY} >= 50 && ${#BODY} <= 200)) || die "the app's BODY is ${#BODY} bytes; expected about 100"

# CPU seconds (user + system) used so far by every process in session $1
# (pid == sid: nginx master + workers, uWSGI master + workers, the JVM).
cpu_ticks() {
  local total=0 p v
  for p in $(ps -o pid= -s "$1" 2>/dev/null); do
    # fields after the ")" of comm: utime is the 12th, stime the 13th
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
time_wait_count() { ss -Htan state time-wait 2>/dev/null | wc -l || echo "?"; }
# TIME_WAIT sockets of connections to uWSGI, split by the side that holds them:
# the side that closed first. uWSGI closes each connection after its answer,
# so they should all be on its side; on the front's side each would pin an
# ephemeral port for 60 s.
tw_split() {
  ss -Htan state time-wait 2>/dev/null | awk -v up="127.0.0.1:$UWSGI_PORT" '
    $3 == up { s++ } $4 == up { c++ }
    END { printf "%d at uWSGI / %d at the front", s, c }' || echo "?"
}
# The kernel's count of connections dropped at a full listen queue (TcpExt
# ListenDrops, which includes ListenOverflows), machine-wide.
listen_drops() {
  awk '$1 == "TcpExt:" { if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1 } else { print $(col["ListenDrops"]); exit } }' /proc/net/netstat 2>/dev/null || echo "?"
}

# ------------------------------------------------- other load on the machine --
# The machine is shared: another benchmark (its own wrk) or a Maven build
# running at the same time would distort the comparison. foreign_load prints
# the names of such processes that are not this script or its descendants (so
# our own wrk does not count), comma-separated; empty when the machine is quiet.
SELF_PID=$$
# Wrappers that started this script (timeout, nohup, a parent bench) match the
# same patterns; they are this run, not other load.
ANCESTORS=" "
for ((a = PPID, n = 0; n < 64 && a > 1; n++)); do
  ANCESTORS+="$a "
  a=$(awk '/^PPid:/ {print $2}' "/proc/$a/status" 2>/dev/null) || break
  [[ -n $a ]] || break
done
is_ours() {  # PID: is it this script, a wrapper around it, or a descendant of it?
  local p=$1 i
  [[ $ANCESTORS == *" $p "* ]] && return 0
  for ((i = 0; i < 64 && p > 1; i++)); do
    [[ $p == "$SELF_PID" ]] && return 0
    p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null) || return 1
    [[ -n $p ]] || return 1
  done
  return 1
}
foreign_load() {
  local p cmd names=()
  for p in $(pgrep -x wrk 2>/dev/null; pgrep -f 'proxy-bench\.sh|uwsgi-bench\.sh|plexus-classworlds' 2>/dev/null); do
    is_ours "$p" && continue
    is_alive "$p" || continue
    cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null || true)
    case $cmd in
      *proxy-bench.sh*) names+=(proxy-bench.sh) ;;
      *uwsgi-bench.sh*) names+=(uwsgi-bench.sh) ;;
      *plexus-classworlds*) names+=(mvn) ;;
      '') ;;
      *) names+=("$(basename "${cmd%% *}")") ;;
    esac
  done
  ((${#names[@]})) && printf '%s\n' "${names[@]}" | sort -u | paste -sd, - | sed 's/,/, /g'
  return 0
}
# Machine-wide busy CPU ticks so far: user nice system steal (guest time is
# already in user; irq/softirq are left out: loopback traffic's softirq time
# is the benchmark's own but belongs to no process), and this script's own CPU
# ticks plus those of its reaped children (wrk, and the sampling done here).
machine_busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $9; exit }' /proc/stat; }
self_ticks() { sed 's/^.*) //' "/proc/$SELF_PID/stat" | awk '{print $12 + $13 + $14 + $15}'; }
NCPU=$(nproc)


# ------------------------------------------------------------------- uWSGI --
# A minimal uwsgi-protocol client: sends one GET / as a vars packet (what
# nginx's uwsgi_params would send), reads the answer until uWSGI closes, prints
# the body; exit 0 only for a 200. Used for readiness and to check the backend
# itself before any front is measured.
cat >"$TMP/uwsgi_probe.py" <<'PYEOF'
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
env = {
    "QUERY_STRING": "", "REQUEST_METHOD": "GET", "CONTENT_TYPE": "", "CONTENT_LENGTH": "",
    "REQUEST_URI": "/", "PATH_INFO": "/", "DOCUMENT_ROOT": "", "SERVER_PROTOCOL": "HTTP/1.1",
    "REQUEST_SCHEME": "http", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "1",
    "SERVER_PORT": "80", "SERVER_NAME": "localhost", "HTTP_HOST": "localhost",
}
block = b"".join(
    struct.pack("<H", len(k)) + k.encode() + struct.pack("<H", len(v)) + v.encode()
    for k, v in env.items())
try:
    s = socket.create_connection((host, port), timeout=3)
    s.settimeout(3)
    s.sendall(struct.pack("<BHB", 0, len(block), 0) + block)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
except OSError as e:
    sys.stderr.write("uwsgi probe: %s\n" % e)
    sys.exit(2)
head, sep, body = data.partition(b"\r\n\r\n")
status = head.split(b"\r\n", 1)[0]
if not sep or not status.startswith(b"HTTP/") or status.split()[1:2] != [b"200"]:
    sys.stderr.write("uwsgi probe: unexpected answer: %r\n" % data[:200])
    sys.exit(1)
sys.stdout.write(body.decode("latin-1"))
PYEOF

UWSGI_PORT=""
UWSGI_PID=""
UWSGI_LOG="$TMP/uwsgi/uwsgi.log"
start_uwsgi() {
  mkdir -p "$TMP/uwsgi"
  free_port; UWSGI_PORT=$FREE_PORT
  # --strict: an unknown option is an error, not silently ignored.
  # --need-app: exit if the app does not load (instead of serving 500s).
  # --die-on-term: SIGTERM stops it (uWSGI 2.0 would otherwise reload).
  UWSGI_CMD=(uwsgi --strict --plugin python3 --uwsgi-socket "127.0.0.1:$UWSGI_PORT"
    --master --processes "$UWSGI_PROCESSES" --threads "$UWSGI_THREADS"
    --listen "$UWSGI_LISTEN" --disable-logging --die-on-term --need-app
    --wsgi-file "$APP_RUN")
  start_bg "uwsgi" "$UWSGI_LOG" "${UWSGI_CMD[@]}"
  UWSGI_PID=$LAST_PID
  local i got=""
  for ((i = 0; i < 150; i++)); do  # up to ~30 s
    if got=$(python3 "$TMP/uwsgi_probe.py" 127.0.0.1 "$UWSGI_PORT" 2>/dev/null); then break; fi
    got=""
    is_alive "$UWSGI_PID" || break
    sleep 0.2
  done
  if [[ -z $got ]]; then
    show_log "$UWSGI_LOG"
    die "uWSGI did not answer a uwsgi request on 127.0.0.1:$UWSGI_PORT (see its log above)"
  fi
  [[ $got == "$BODY" ]] || die "uWSGI answered an unexpected body: ${got:0:200}"
  log "uWSGI ($UWSGI_PROCESSES processes x $UWSGI_THREADS threads, listen $UWSGI_LISTEN) on 127.0.0.1:$UWSGI_PORT, pid $UWSGI_PID"
}

# ------------------------------------------------------------------ fronts --
NGINX_WCONN=4096
NGINX_HAS_UWSGI=1 NGINX_HAS_SCGI=1  # (uwsgi_temp_path and scgi_temp_path are set)

# front_nginx_conf DIR WORKERS PORT -> DIR/nginx.conf
front_nginx_conf() {
  nginx_conf "$1" "$2" "    server {
        listen 127.0.0.1:$3 backlog=4096;
        location / {
            include $UWSGI_PARAMS;
            uwsgi_pass 127.0.0.1:$UWSGI_PORT;
        }
    }"
}

# start_front KIND WORKERS: starts nginx or Usher in front of uWSGI and checks
# it returns the app's exact body. Sets FPID[KIND] FPORT[KIND] FADMIN[KIND]
# FLOG[KIND]; returns non-zero if it did not come up (logs shown).
declare -A FPID=() FPORT=() FADMIN=() FLOG=()
start_front() {
  local kind=$1 n=$2 port admin="" dir pid logf
  free_port; port=$FREE_PORT
  dir="$TMP/$kind-$n-$port"
  mkdir -p "$dir"
  FPORT[$kind]=$port FADMIN[$kind]="" FPID[$kind]=""
  case $kind in
    nginx)
      front_nginx_conf "$dir" "$n" "$port"
      if ! nginx -t -q -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/check.log" 2>&1; then
        show_log "$dir/check.log"
        return 1
      fi
      logf="$dir/error.log"
      start_nginx nginx "$dir"
      pid=$LAST_PID
      FPID[$kind]=$pid FLOG[$kind]=$logf
      wait_http "http://127.0.0.1:$port/" "$pid" 100 || { show_log "$logf"; show_log "$dir/stdout.log"; return 1; }
      ;;
    usher)
      free_port; admin=$FREE_PORT
      FADMIN[$kind]=$admin
      logf="$dir/usher.log"
      start_usher "$logf" "$port" "$admin" 256m \
        --upstream "127.0.0.1:$UWSGI_PORT" --protocol uwsgi --event-loops "$n"
      pid=$LAST_PID
      FPID[$kind]=$pid FLOG[$kind]=$logf
      wait_usher "$pid" "$logf" "$port" "$admin" || return 1
      ;;
    *) die "internal: unknown front $kind" ;;
  esac
  check_front "$kind" || return 1
  log "$kind ($n workers) on 127.0.0.1:$port, pid $pid: returns the app's exact ${#BODY}-byte body"
}

# check_front KIND: the front is running and returns the app's exact bytes
# through uWSGI.
check_front() {
  local kind=$1 got
  is_alive "${FPID[$kind]}" || { log "$kind: its process (pid ${FPID[$kind]}) has exited"; show_log "${FLOG[$kind]}"; return 1; }
  got=$(curl -fsS --max-time 5 "http://127.0.0.1:${FPORT[$kind]}/" 2>&1) || true
  if [[ $got != "$BODY" ]]; then
    log "$kind: unexpected response through the front: ${got:0:200}"
    return 1
  fi
}

stop_front() {  # KIND
  local kind=$1
  [[ -n ${FPID[$kind]:-} ]] || return 0
  stop_pid "${FPID[$kind]}"
  wait_port_free "${FPORT[$kind]}"
  [[ -z ${FADMIN[$kind]:-} ]] || wait_port_free "${FADMIN[$kind]}"
  FPID[$kind]=""
}

# CPU ticks of all our servers (uWSGI and every running front).
servers_ticks() {
  local t k
  t=$(cpu_ticks "$UWSGI_PID")
  for k in "${!FPID[@]}"; do
    [[ -n ${FPID[$k]} ]] && t=$((t + $(cpu_ticks "${FPID[$k]}")))
  done
  echo "$t"
}

# wait_quiet: wait (bounded by --quiet-wait) until, for 3 s in a row,
# foreign_load is empty and the machine is at most --quiet-cpu busy, not
# counting our own servers (idle then, but a JVM may still be compiling).
QUIET_WAITED_TOTAL=0
wait_quiet() {
  ((QUIET_WAIT > 0)) || return 0
  local quiet=0 waited=0 f announced=0 b0 b1 o0 o1 busy
  b0=$(machine_busy); o0=$(servers_ticks)
  while ((waited < QUIET_WAIT)); do
    sleep 1; waited=$((waited + 1))
    f=$(foreign_load)
    b1=$(machine_busy); o1=$(servers_ticks)
    busy=$(( ((b1 - b0) - (o1 - o0)) * 100 / CLK_TCK / NCPU ))
    b0=$b1 o0=$o1
    ((busy <= QUIET_CPU)) || f+="${f:+, }machine CPU ${busy}% busy"
    if [[ -z $f ]]; then
      quiet=$((quiet + 1))
      ((quiet >= 3)) && { QUIET_WAITED_TOTAL=$((QUIET_WAITED_TOTAL + waited)); return 0; }
    else
      quiet=0
      ((announced)) || { log "other load ($f); waiting up to ${QUIET_WAIT}s for a quiet machine"; announced=1; }
    fi
  done
  QUIET_WAITED_TOTAL=$((QUIET_WAITED_TOTAL + waited))
  log "WARNING: no quiet machine within ${QUIET_WAIT}s ($f); measuring anyway"
}

# ---------------------------------------------------------------- wrk runs --
# Per measurement, keyed FRONT:WORKERS:ROUND (besides RPS, STATUS, CONTENDED
# etc. from lib.sh).
declare -A SOCKERR_LINE=() LDROPS=() CPU_OTHER=() CPU_WRK=() CPU_FRONT=() CPU_UWSGI=()
declare -A QFULL=() UWSGI_ERRLINES=() FRONT_ERRLINES=() TW_AFTER=()

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }
# log_since FILE OFFSET: what was appended to FILE after byte OFFSET
log_since() { tail -c +"$(($2 + 1))" "$1" 2>/dev/null || true; }

# measure FRONT WORKERS ROUND POSITION: wrk against the running front, plus
# what uWSGI and the front logged, how much CPU each used, and whether other
# load ran meanwhile.
measure() {
  local front=$1 n=$2 r=$3 pos=$4 key="$1:$2:$3"
  local raw="$OUT/raw/uwsgi-wrk-$front-w$n-r$r.txt"
  local pid=${FPID[$front]} port=${FPORT[$front]} flogf=${FLOG[$front]}
  POS[$key]=$pos
  if ! check_front "$front"; then
    STATUS[$key]="front-broken"
    return 0
  fi
  local u_off f_off u0 f0 u1 f1 o0 o1 m0 m1 s0 s1 secs=$DUR_S
  u_off=$(file_size "$UWSGI_LOG"); f_off=$(file_size "$flogf")
  log "wrk $front ($n workers, round $r/$ROUNDS, #$pos): -t$THREADS -c$CONNECTIONS -d$DURATION"
  local wrk_ok=1 wpid f seen="" drops0 drops1
  drops0=$(listen_drops)
  m0=$(machine_busy); s0=$(self_ticks); o0=$(servers_ticks)
  u0=$(cpu_ticks "$UWSGI_PID"); f0=$(cpu_ticks "$pid")
  run_wrk "$port" "$raw" "$DURATION" &
  wpid=$!
  WRK_BG=$wpid
  # Once a second: did any other benchmark or build run meanwhile?
  while is_alive "$wpid"; do
    f=$(foreign_load)
    [[ -z $f ]] || seen+="${seen:+, }$f"
    sleep 1
  done
  wait "$wpid" || wrk_ok=0
  WRK_BG=""
  u1=$(cpu_ticks "$UWSGI_PID"); f1=$(cpu_ticks "$pid")
  m1=$(machine_busy); s1=$(self_ticks); o1=$(servers_ticks)
  drops1=$(listen_drops)
  LDROPS[$key]=$(awk -v a="$drops0" -v b="$drops1" 'BEGIN { if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) print b - a; else print "?" }')
  TW_AFTER[$key]=$(tw_split)
  pct() { awk -v t="$1" -v h="$CLK_TCK" -v s="$secs" 'BEGIN { v = t / h / s * 100; if (v < 0) v = 0; printf "%.0f", v }'; }
  CPU_UWSGI[$key]=$(pct $((u1 - u0)))
  CPU_FRONT[$key]=$(pct $((f1 - f0)))
  CPU_WRK[$key]=$(pct $((s1 - s0)))
  # What the machine spent on anything else: busy minus all our servers
  # (the idle front included), wrk and this script.
  CPU_OTHER[$key]=$(pct $(((m1 - m0) - (o1 - o0) - (s1 - s0))))
  ((CPU_OTHER[$key] <= QUIET_CPU * NCPU)) || seen+="${seen:+, }other processes ${CPU_OTHER[$key]}% CPU"
  [[ -z $seen ]] || seen=$(tr ',' '\n' <<<"$seen" | sed 's/^ *//' | sort -u | paste -sd, - | sed 's/,/, /g')
  CONTENDED[$key]=${seen:-}
  [[ -z $seen ]] || log "WARNING: other load during this measurement: $seen"
  # What uWSGI and the front logged during this measurement (request logging
  # is off in both, so anything here is a warning or an error).
  local ulog="$TMP/uwsgi-log-$front-w$n-r$r.txt" flog="$TMP/front-log-$front-w$n-r$r.txt"
  log_since "$UWSGI_LOG" "$u_off" >"$ulog"
  log_since "$flogf" "$f_off" >"$flog"
  QFULL[$key]=$(grep -c 'listen queue' "$ulog" || true)
  UWSGI_ERRLINES[$key]=$(grep -c . "$ulog" || true)
  FRONT_ERRLINES[$key]=$(grep -Eci 'error|warn|exception|crit|alert|emerg' "$flog" || true)
  [[ -s $ulog ]] && cp "$ulog" "$OUT/raw/uwsgi-server-log-$front-w$n-r$r.txt"
  [[ -s $flog ]] && cp "$flog" "$OUT/raw/uwsgi-front-log-$front-w$n-r$r.txt"
  if ((QFULL[$key] > 0)); then
    log "WARNING: uWSGI reported its listen queue full ${QFULL[$key]} time(s) during $front ($n, round $r)"
  fi
  if ((wrk_ok == 0)); then
    log "wrk failed for $front ($n, round $r):"; show_log "$raw"
    STATUS[$key]="wrk-failed"
    return 0
  fi
  record_wrk "$key" "$raw" "$front ($n, round $r)"
  [[ ${STATUS[$key]} != parse-failed ]] || return 0
  SOCKERR_LINE[$key]=$(grep -m1 'Socket errors:' "$raw" | sed 's/^[[:space:]]*//' || true)
  if [[ ${STATUS[$key]} == errors ]]; then
    log "WARNING: $front ($n, round $r): ${NON2XX[$key]} non-2xx responses, ${SOCKERR[$key]} socket errors (${SOCKERR_LINE[$key]:-})"
  fi
  # The front must still answer correctly after the load.
  if ! check_front "$front"; then
    log "WARNING: $front ($n, round $r) no longer returns the app's body after the load"
    STATUS[$key]="broken-after"
  fi
  log "  -> ${RPS[$key]} req/s, p50 ${P50[$key]} ms, p99 ${P99[$key]} ms; CPU: front ${CPU_FRONT[$key]}%, uWSGI ${CPU_UWSGI[$key]}%, wrk ${CPU_WRK[$key]}%, other ${CPU_OTHER[$key]}%; kernel listen drops ${LDROPS[$key]}; TIME_WAIT after: ${TW_AFTER[$key]}"
}

# warm_up WORKERS: the JIT needs tens of thousands of requests; load Usher
# for --warmup in rounds and keep each round's req/s for the report.
declare -A WARM_RPS=()
warm_up() {
  local n=$1 left=$WARMUP_S r=1 d raw parsed rps list=""
  log "usher: JVM warm-up, wrk for ${WARMUP_S}s in parts of up to ${WARMUP_ROUND_S}s (not recorded)"
  while ((left > 0)); do
    d=$((left < WARMUP_ROUND_S ? left : WARMUP_ROUND_S))
    raw="$OUT/raw/uwsgi-wrk-usher-w$n-warmup$r.txt"
    if run_wrk "${FPORT[usher]}" "$raw" "${d}s" && parsed=$(parse_wrk "$raw") && [[ $parsed != FAIL ]]; then
      rps=$(fmt_int "${parsed%% *}")
    else
      rps="failed"
    fi
    list+="${list:+, }$rps"
    left=$((left - d)); r=$((r + 1))
  done
  WARM_RPS[$n]=$list
  log "usher: warm-up req/s per part: $list"
}

FRONTS=(nginx usher)
# Round r measures FRONTS rotated by r-1 places (nginx usher, usher nginx, …),
# so neither front is always measured first.
round_orders "${FRONTS[@]}"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
DATE_START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
TW_START=$(time_wait_count)

start_uwsgi

for n in "${WORKERS[@]}"; do
  log "===== workers / event loops = $n: $ROUNDS round(s) ====="
  for kind in "${FRONTS[@]}"; do
    if ! start_front "$kind" "$n"; then
      die "$kind ($n workers) did not start or did not return the app's body through uwsgi"
    fi
  done
  if ((WARMUP_S > 0)); then
    wait_quiet
    warm_up "$n"
    sleep 1
  fi
  for ((r = 1; r <= ROUNDS; r++)); do
    log "----- workers $n, round $r/$ROUNDS: ${ROUND_ORDER[$r]} -----"
    pos=0
    for kind in ${ROUND_ORDER[$r]}; do
      pos=$((pos + 1))
      wait_quiet
      measure "$kind" "$n" "$r" "$pos"
      is_alive "$UWSGI_PID" || { show_log "$UWSGI_LOG"; die "uWSGI died during the $kind ($n, round $r) measurement"; }
      sleep 1
    done
  done
  curl -sS --max-time 5 "http://127.0.0.1:${FADMIN[usher]}/metrics" >"$OUT/raw/uwsgi-usher-w$n-metrics.txt" 2>&1 || true
  for kind in "${FRONTS[@]}"; do
    logf=${FLOG[$kind]}
    stop_front "$kind"
    if [[ $kind == usher ]]; then  # after the stop, so shutdown lines are in it
      cp "$logf" "$OUT/raw/uwsgi-usher-w$n.log" 2>/dev/null || true
    fi
  done
  sleep 1
done

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
stop_pid "$UWSGI_PID"
cp "$UWSGI_LOG" "$OUT/raw/uwsgi-server.log" 2>/dev/null || true

# ----------------------------------------------------------------- reports --
common_versions
ver_uwsgi=$(uwsgi --version 2>/dev/null || true)
ver_python=$(awk '/^Python version:/ {sub(/^Python version: /, ""); print; exit}' "$UWSGI_LOG" 2>/dev/null || true)
TW_REUSE=$(cat /proc/sys/net/ipv4/tcp_tw_reuse 2>/dev/null || echo "?")
PORT_RANGE=$(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo "?")

# Per front and worker count, across rounds (only rounds with status "ok": no
# wrk failure, no non-2xx, no socket errors, front still correct): MED_RPS
# etc. and N_CONT (rounds with other load), see lib.sh.
aggregate "${FRONTS[@]}"

CSV="$OUT/uwsgi-bench.csv"
MD="$OUT/uwsgi-bench.md"
PNG="$OUT/uwsgi-bench.png"

# A run is valid only if every measurement ran and saw no errors.
VALID=1 CONTENDED_ANY=0
for n in "${WORKERS[@]}"; do
  for t in "${FRONTS[@]}"; do
    [[ ${AGG_STATUS[$t:$n]} == ok ]] || VALID=0
    ((${N_CONT[$t:$n]:-0} == 0)) || CONTENDED_ANY=1
  done
done

{
  # One row per front / workers / round (round = 1..N, position = place in that
  # round's order), then one row with round = "median": medians over the ok
  # rounds, requests / non_2xx / socket_errors summed over all rounds, and the
  # req/s and p99 ranges and the count of ok rounds in the last columns.
  echo "front,workers,round,position,req_per_sec,p50_ms,p99_ms,requests,non_2xx,socket_errors,front_cpu_pct,uwsgi_cpu_pct,wrk_cpu_pct,other_cpu_pct,uwsgi_listen_queue_full,kernel_listen_drops,other_load_during,status,req_per_sec_min,req_per_sec_max,p99_ms_min,p99_ms_max,rounds_ok"
  for n in "${WORKERS[@]}"; do
    for t in "${FRONTS[@]}"; do
      for ((r = 1; r <= ROUNDS; r++)); do
        k="$t:$n:$r"
        echo "$t,$n,$r,${POS[$k]:-},${RPS[$k]:-},${P50[$k]:-},${P99[$k]:-},${REQS[$k]:-},${NON2XX[$k]:-},${SOCKERR[$k]:-},${CPU_FRONT[$k]:-},${CPU_UWSGI[$k]:-},${CPU_WRK[$k]:-},${CPU_OTHER[$k]:-},${QFULL[$k]:-},${LDROPS[$k]:-},\"${CONTENDED[$k]:-}\",${STATUS[$k]:-not-run},,,,,"
      done
      k="$t:$n"
      echo "$t,$n,median,,${MED_RPS[$k]:-},${MED_P50[$k]:-},${MED_P99[$k]:-},${TOT_REQS[$k]:-},${TOT_NON2XX[$k]:-},${TOT_SOCKERR[$k]:-},,,,,,,\"${N_CONT[$k]} contended\",${AGG_STATUS[$k]},${RPS_MIN[$k]:-},${RPS_MAX[$k]:-},${P99_MIN[$k]:-},${P99_MAX[$k]:-},${N_OK[$k]}"
    done
  done
} >"$CSV"

# --- chart: median req/s with min–max bars, and median p99
CHART_NOTE=""
make_chart() {
  chart_data "${FRONTS[@]}" || { CHART_NOTE="not drawn (no data)"; return 0; }
  if ! command -v gnuplot >/dev/null 2>&1; then
    CHART_NOTE="not drawn (gnuplot not installed: apt-get install gnuplot-nox)"
    warn_loud "chart $CHART_NOTE"
    return 0
  fi
  if gnuplot_chart "Usher vs nginx in front of one uWSGI ($UWSGI_PROCESSES proc x $UWSGI_THREADS thr) — median of $ROUNDS interleaved round(s) of wrk -t$THREADS -c$CONNECTIONS -d$DURATION, 127.0.0.1, nproc $NCPU"; then
    return 0
  fi
  CHART_NOTE="not drawn (gnuplot failed)"
  warn_loud "chart $CHART_NOTE"
}
make_chart

UWSGI_CMD_SHOWN=$(printf '%q ' "${UWSGI_CMD[@]}")
UWSGI_CMD_SHOWN=${UWSGI_CMD_SHOWN% }
UWSGI_CMD_SHOWN=${UWSGI_CMD_SHOWN//$TMP\/app\//bench\/}
UWSGI_CMD_SHOWN=${UWSGI_CMD_SHOWN//127.0.0.1:$UWSGI_PORT/127.0.0.1:PORT}

range() {  # MIN MAX FORMATTER
  if [[ ${1:-} =~ ^[0-9.]+$ && ${2:-} =~ ^[0-9.]+$ ]]; then echo "$("$3" "$1")–$("$3" "$2")"; else echo "n/a"; fi
}
val_or_dash() {  # FORMATTER VALUE STATUS -> value, "-" if none, "*" suffix if not ok
  local v
  [[ -n ${2:-} ]] || { echo "-"; return; }
  v=$("$1" "$2")
  [[ ${3:-} == ok ]] && echo "$v" || echo "$v*"
}

# --- markdown
{
  echo "# Usher uwsgi benchmark: Usher \`--protocol uwsgi\` vs nginx \`uwsgi_pass\`"
  echo
  if ((VALID)); then
    echo "**Valid run**: every measurement completed with 0 non-2xx responses and 0 socket errors."
  else
    echo "**INVALID RUN**: at least one measurement failed or saw non-2xx responses / socket errors (see the status columns); such rounds are left out of the medians, and the run must be repeated before its figures are used."
  fi
  if ((CONTENDED_ANY)); then
    echo
    echo "**Contended**: another benchmark, build or busy process ran during some measurements (column \"contended rounds\", and \"other load during\" per round); those rounds are distorted."
  fi
  echo
  md_run_info "uWSGI $ver_uwsgi (python3 plugin, Python ${ver_python:-?})"
  echo "- Backend (one server shared by both fronts, started once): \`$UWSGI_CMD_SHOWN\` — the app returns a fixed ${#BODY}-byte \`text/plain\` body with Content-Length"
  echo "- nginx: \`worker_processes N\`, \`location / { include /etc/nginx/uwsgi_params; uwsgi_pass 127.0.0.1:PORT; }\`, access_log off, client keep-alive (\`keepalive_requests 10000000\`)"
  echo "- Usher: \`java -Xmx256m${USHER_JAVA_OPTS:+ $USHER_JAVA_OPTS} -jar ${JAR#"$REPO_ROOT"/} --listen … --admin … --upstream 127.0.0.1:PORT --protocol uwsgi --event-loops N\`, ready when \`/readyz\` answers 200, then, once per worker count before round 1, $WARMUP of unrecorded wrk warm-up (same wrk settings) in parts of up to ${WARMUP_ROUND_S}s; warm-up req/s per part: $(for n in "${WORKERS[@]}"; do printf '%s loop%s: %s; ' "$n" "$([[ $n == 1 ]] || echo s)" "${WARM_RPS[$n]:-none}"; done | sed 's/; $//')"
  echo "- Load: \`wrk --latency -t$THREADS -c$CONNECTIONS -d$DURATION http://127.0.0.1:PORT/\`, one front at a time, everything on 127.0.0.1; $ROUNDS interleaved round(s) per worker count, medians reported; before and after every measurement the front is checked to be running and to return the app's exact body"
  echo "- TCP: the uwsgi protocol has no keep-alive, so both fronts open one connection to uWSGI per request (inherent, as with nginx's \`uwsgi_pass\`). \`net.ipv4.tcp_tw_reuse\` = $TW_REUSE, ephemeral ports $PORT_RANGE, \`net.core.somaxconn\` = $SOMAXCONN; TIME_WAIT sockets on the machine: $TW_START at start"
  if ((${#KILLED[@]})); then
    echo "- **Shutdown: did not exit within ${STOP_GRACE_S}s of SIGTERM and were SIGKILLed: $(killed_list)**"
  fi
  echo
  echo "> Shared, noisy machine: wrk, the front, and uWSGI all compete for the same $NCPU cores."
  echo "> Absolute numbers are not comparable across runs; compare the ratios from this run only."
  echo
  echo "## Throughput and latency (median of $ROUNDS round(s))"
  echo
  echo "Each front was measured $ROUNDS time(s) per worker count, interleaved: round order$(for ((r = 1; r <= ROUNDS; r++)); do printf ' %s: %s;' "$r" "${ROUND_ORDER[$r]// /, }"; done | sed 's/;$//'). Both fronts were started once per worker count and stayed up (idle while the other was measured). Medians are over the rounds with status \`ok\`; p50 and p99 are each the median of the per-round values; non-2xx and socket errors are totals over all rounds."
  echo
  echo "| front | workers | rounds ok | req/s (median) | req/s min–max | p50 ms (median) | p99 ms (median) | p99 ms min–max | non-2xx | socket errors | contended rounds | status |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  for n in "${WORKERS[@]}"; do
    for t in "${FRONTS[@]}"; do
      k="$t:$n"
      echo "| $t | $n | ${N_OK[$k]}/$ROUNDS | $(fmt_int "${MED_RPS[$k]:-}") | $(range "${RPS_MIN[$k]:-}" "${RPS_MAX[$k]:-}" fmt_int) | $(fmt2 "${MED_P50[$k]:-}") | $(fmt2 "${MED_P99[$k]:-}") | $(range "${P99_MIN[$k]:-}" "${P99_MAX[$k]:-}" fmt2) | ${TOT_NON2XX[$k]:-n/a} | ${TOT_SOCKERR[$k]:-n/a} | ${N_CONT[$k]}/$ROUNDS | ${AGG_STATUS[$k]} |"
    done
  done
  echo
  echo "\"workers\" is \`worker_processes\` for nginx and \`--event-loops\` for Usher. non-2xx and socket errors are wrk's \"Non-2xx or 3xx responses\" and \"Socket errors\" (connect + read + write + timeout) lines; a valid run has none."
  echo "A round is \"contended\" if another benchmark (wrk, proxy-bench.sh, uwsgi-bench.sh) or Maven build was seen running during it (checked once a second), or other processes used more than $((QUIET_CPU * NCPU)) % of one core. Before every measurement the script waited for a quiet machine (none of those running, CPU outside our servers at most ${QUIET_CPU} % busy, for 3 s; up to ${QUIET_WAIT}s each, ${QUIET_WAITED_TOTAL}s waited in all)."
  echo
  echo "## Ratios (medians of the same run)"
  echo
  echo "Throughput ratio > 1 means Usher served more req/s than nginx; p99 ratio < 1 means Usher had the lower tail latency."
  echo
  echo "| workers | req/s usher/nginx | p50 usher/nginx | p99 usher/nginx |"
  echo "|---:|---:|---:|---:|"
  for n in "${WORKERS[@]}"; do
    echo "| $n | $(ratio "${MED_RPS[usher:$n]:-}" "${MED_RPS[nginx:$n]:-}") | $(ratio "${MED_P50[usher:$n]:-}" "${MED_P50[nginx:$n]:-}") | $(ratio "${MED_P99[usher:$n]:-}" "${MED_P99[nginx:$n]:-}") |"
  done
  echo
  if ((ROUNDS > 1)); then
    echo "Within each round (a same-round comparison; how stable the ratio is):"
    echo
    printf '| workers |'; for ((r = 1; r <= ROUNDS; r++)); do printf ' round %d req/s | round %d p99 |' "$r" "$r"; done; echo
    printf '|---:|'; for ((r = 1; r <= ROUNDS; r++)); do printf -- '---:|---:|'; done; echo
    for n in "${WORKERS[@]}"; do
      printf '| %s |' "$n"
      for ((r = 1; r <= ROUNDS; r++)); do
        printf ' %s | %s |' "$(ratio "${RPS[usher:$n:$r]:-}" "${RPS[nginx:$n:$r]:-}")" "$(ratio "${P99[usher:$n:$r]:-}" "${P99[nginx:$n:$r]:-}")"
      done
      echo
    done
    echo
  fi
  if [[ -s $PNG && $CHART_NOTE == gnuplot ]]; then
    echo "![median req/s (min–max bars) and median p99 per front]($(basename "$PNG"))"
  else
    echo "Chart: $CHART_NOTE"
  fi
  echo
  echo "## Every round"
  echo
  echo "| front | workers | round | # in round | req/s | p50 ms | p99 ms | non-2xx | socket errors | front CPU % | uWSGI CPU % | wrk CPU % | other CPU % | uWSGI listen queue full | kernel listen drops | other load during | status |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
  for n in "${WORKERS[@]}"; do
    for t in "${FRONTS[@]}"; do
      for ((r = 1; r <= ROUNDS; r++)); do
        k="$t:$n:$r"
        echo "| $t | $n | $r | ${POS[$k]:-} | $(val_or_dash fmt_int "${RPS[$k]:-}" "${STATUS[$k]:-}") | $(val_or_dash fmt2 "${P50[$k]:-}" "${STATUS[$k]:-}") | $(val_or_dash fmt2 "${P99[$k]:-}" "${STATUS[$k]:-}") | ${NON2XX[$k]:--} | ${SOCKERR[$k]:--} | ${CPU_FRONT[$k]:--} | ${CPU_UWSGI[$k]:--} | ${CPU_WRK[$k]:--} | ${CPU_OTHER[$k]:--} | ${QFULL[$k]:--} | ${LDROPS[$k]:--} | ${CONTENDED[$k]:-none} | ${STATUS[$k]:-not-run} |"
      done
    done
  done
  echo
  echo "(\`*\`: the round's status is not \`ok\` and it is left out of the medians.)"
  echo "CPU % is user + system CPU time during the measurement divided by its duration (100 % = one core; the machine has $NCPU): the measured front's processes (nginx master + workers, or the JVM), uWSGI's (master + workers), wrk's (with this script's once-a-second sampling), and what the machine spent on any other process (busy time from \`/proc/stat\` minus all of ours, the idle front included; interrupt and softirq time, which loopback traffic causes, is in none of the columns)."
  echo "\"uWSGI listen queue full\" counts uWSGI's \`*** uWSGI listen queue of socket ... full !!! ***\` warnings during the measurement (its backlog is \`--listen $UWSGI_LISTEN\`); uWSGI's master checks about once a second, so this counts seconds seen full, not connections. \"kernel listen drops\" is the rise of the kernel's TcpExt ListenDrops counter during the measurement (machine-wide, so another program's drops would count too): SYNs dropped because a listen queue was full, each costing its client a 1 s SYN retransmit (it shows in p99)."
  echo
  echo "## Errors and server messages"
  echo
  any=0
  for n in "${WORKERS[@]}"; do
    for t in "${FRONTS[@]}"; do
      for ((r = 1; r <= ROUNDS; r++)); do
        k="$t:$n:$r" lbl="$t ($n, round $r)"
        if [[ ${STATUS[$k]:-not-run} != ok && ${STATUS[$k]:-not-run} != errors ]]; then echo "- $lbl: status ${STATUS[$k]:-not-run}"; any=1; fi
        if ((${SOCKERR[$k]:-0} > 0)); then echo "- $lbl: wrk: \`${SOCKERR_LINE[$k]}\`"; any=1; fi
        if ((${NON2XX[$k]:-0} > 0)); then echo "- $lbl: wrk: ${NON2XX[$k]} non-2xx or 3xx responses"; any=1; fi
        if ((${UWSGI_ERRLINES[$k]:-0} > 0)); then
          echo "- $lbl: uWSGI logged ${UWSGI_ERRLINES[$k]} line(s) (of which ${QFULL[$k]:-0} listen-queue-full warnings): \`raw/uwsgi-server-log-$t-w$n-r$r.txt\`"; any=1
        fi
        if [[ ${LDROPS[$k]:-0} =~ ^[0-9]+$ ]] && ((LDROPS[$k] > 0)); then
          echo "- $lbl: the kernel dropped ${LDROPS[$k]} SYN(s) at a full listen queue during the measurement"; any=1
        fi
        if ((${FRONT_ERRLINES[$k]:-0} > 0)); then
          echo "- $lbl: the front logged ${FRONT_ERRLINES[$k]} warning/error line(s): \`raw/uwsgi-front-log-$t-w$n-r$r.txt\`"; any=1
        fi
      done
    done
  done
  ((any)) || echo "None: no wrk errors, no dropped SYNs, and neither uWSGI nor the fronts logged anything during the measurements."
  echo
  echo "TIME_WAIT sockets of connections to uWSGI right after each front's last round (the side holding one closed first; they last 60 s, so later counts include earlier measurements' ones): $(for n in "${WORKERS[@]}"; do for t in "${FRONTS[@]}"; do printf '%s (%s): %s; ' "$t" "$n" "${TW_AFTER[$t:$n:$ROUNDS]:-?}"; done; done | sed 's/; $//')."
  echo
  echo "Raw files in \`raw/\`: wrk output \`uwsgi-wrk-FRONT-wN-rR.txt\` (R = round) and Usher's warm-ups \`uwsgi-wrk-usher-wN-warmupK.txt\`, Usher's logs \`uwsgi-usher-wN.log\` and its \`/metrics\` after the rounds \`uwsgi-usher-wN-metrics.txt\`, uWSGI's whole log \`uwsgi-server.log\`; the figures as CSV (one row per round plus a \`median\` row per front and worker count): \`$(basename "$CSV")\`."
} >"$MD"

log "wrote $MD"
log "wrote $CSV"
[[ -s $PNG && $CHART_NOTE == gnuplot ]] && log "wrote $PNG"
cat "$MD"
if ((VALID == 0)); then
  warn_loud "INVALID RUN: some measurement failed or saw errors; see $MD"
  exit 2
fi
