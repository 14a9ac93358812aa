#!/usr/bin/env bash
# shellcheck disable=SC2015 # ("A && B || die" is intended: die when either fails)
# Usher uwsgi benchmark: Usher (--protocol uwsgi) vs nginx (uwsgi_pass) in
# front of ONE shared uWSGI server running a minimal WSGI app
# (bench/uwsgi_app.py), all on 127.0.0.1, driven by wrk. See bench/README.md.
#
#   bash bench/uwsgi-bench.sh [--duration 10s] [--connections 64] [--threads 2]
#                             [--uwsgi-processes 2] [--uwsgi-threads 1] ...
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
# that `setsid` execs in place and $! is the server's own pid (see start_bg).
set +m

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
ORIG_CMD=$(printf '%q ' bash "$0" "$@")
ORIG_CMD=${ORIG_CMD% }

# ----------------------------------------------------------------- options --
DURATION=10s
CONNECTIONS=64
THREADS=2
WARMUP=5s
WORKERS_LIST="1 2"
UWSGI_PROCESSES=2
UWSGI_THREADS=1
UWSGI_LISTEN=100  # uWSGI's own default; see --uwsgi-listen
OUT="$REPO_ROOT/bench/results"
JAR="$REPO_ROOT/proxy-image/target/usher-proxy.jar"
APP="$SCRIPT_DIR/uwsgi_app.py"
KEEP_TMP=0
QUIET_WAIT=180
USHER_READY_TIMEOUT=60
USHER_JAVA_OPTS=${USHER_JAVA_OPTS:-}

usage() {
  cat <<EOF
Usage: bash bench/uwsgi-bench.sh [options]

Load (same for both fronts):
  --duration D          wrk duration per measurement, e.g. 10s, 1m   (default $DURATION)
  --connections C       wrk connections                              (default $CONNECTIONS)
  --threads T           wrk threads                                  (default $THREADS)
  --warmup D            unrecorded wrk run before measuring Usher    (default $WARMUP)
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
  --quiet-wait S        before each front, wait up to S seconds until no other
                        load generator / benchmark / Maven build is running
                        (wrk, proxy-bench.sh, uwsgi-bench.sh, mvn) for 3 s in a
                        row; 0 = do not wait. Whether one ran DURING a
                        measurement is reported either way   (default $QUIET_WAIT)

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

die() { printf 'uwsgi-bench: ERROR: %s\n' "$*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn_loud() {
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
  printf '!!! WARNING: %s\n' "$@" >&2
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
}

need_arg() { [[ $# -ge 2 && -n $2 ]] || die "option $1 needs a value (see --help)"; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}"; continue ;;
    --duration) need_arg "$@"; DURATION=$2; shift 2 ;;
    --connections) need_arg "$@"; CONNECTIONS=$2; shift 2 ;;
    --threads) need_arg "$@"; THREADS=$2; shift 2 ;;
    --warmup) need_arg "$@"; WARMUP=$2; shift 2 ;;
    --workers) need_arg "$@"; WORKERS_LIST=$2; shift 2 ;;
    --uwsgi-processes) need_arg "$@"; UWSGI_PROCESSES=$2; shift 2 ;;
    --uwsgi-threads) need_arg "$@"; UWSGI_THREADS=$2; shift 2 ;;
    --uwsgi-listen) need_arg "$@"; UWSGI_LISTEN=$2; shift 2 ;;
    --out) need_arg "$@"; OUT=$2; shift 2 ;;
    --jar) need_arg "$@"; JAR=$2; shift 2 ;;
    --quiet-wait) need_arg "$@"; QUIET_WAIT=$2; shift 2 ;;
    --keep-tmp) KEEP_TMP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

is_uint() { [[ $1 =~ ^[0-9]+$ ]] && (( 10#$1 > 0 )); }
# wrk takes a number with an optional s/m/h suffix; return whole seconds.
dur_secs() {
  local d=$1
  [[ $d =~ ^([0-9]+)([smh]?)$ ]] || return 1
  local n=$((10#${BASH_REMATCH[1]}))
  case ${BASH_REMATCH[2]} in
    ''|s) echo "$n" ;;
    m) echo $((n * 60)) ;;
    h) echo $((n * 3600)) ;;
  esac
}

DUR_S=$(dur_secs "$DURATION") || die "--duration must look like 10s, 2m or 30 (got '$DURATION')"
WARMUP_S=$(dur_secs "$WARMUP") || die "--warmup must look like 5s or 0 (got '$WARMUP')"
((DUR_S > 0 && DUR_S <= 600)) || die "--duration must be between 1s and 10m"
((WARMUP_S <= 300)) || die "--warmup must be at most 5m"
is_uint "$CONNECTIONS" && ((CONNECTIONS <= 10000)) || die "--connections must be 1..10000"
is_uint "$THREADS" && ((THREADS <= 64)) || die "--threads must be 1..64"
((CONNECTIONS >= THREADS)) || die "--connections must be >= --threads (wrk requirement)"
is_uint "$UWSGI_PROCESSES" && ((UWSGI_PROCESSES <= 64)) || die "--uwsgi-processes must be 1..64"
is_uint "$UWSGI_THREADS" && ((UWSGI_THREADS <= 64)) || die "--uwsgi-threads must be 1..64"
is_uint "$UWSGI_LISTEN" && ((UWSGI_LISTEN <= 65535)) || die "--uwsgi-listen must be 1..65535"
[[ $QUIET_WAIT =~ ^[0-9]+$ ]] && ((10#$QUIET_WAIT <= 3600)) || die "--quiet-wait must be 0..3600 seconds"
read -r -a WORKERS <<<"$WORKERS_LIST"
((${#WORKERS[@]} > 0)) || die "--workers must list at least one count"
for w in "${WORKERS[@]}"; do
  is_uint "$w" && ((w <= 64)) || die "--workers entries must be 1..64 (got '$w')"
done

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
TMP=$(mktemp -d "${TMPDIR:-/tmp}/usher-uwsgi-bench.XXXXXX")

# ------------------------------------------------------ process management --
declare -a PIDS=()
declare -a KILLED=()  # servers that needed SIGKILL (reported in the markdown)
STOP_GRACE_S=15
declare -A PNAME=()
LAST_PID=""

is_alive() {  # a zombie (exited, not yet reaped) counts as dead
  local st
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

# start_bg NAME LOGFILE CMD...: runs CMD in its own session/process group
# (setsid), so stopping it also stops every process it forked (nginx and
# uWSGI workers).
start_bg() {
  local name=$1 logf=$2
  shift 2
  setsid "$@" >"$logf" 2>&1 </dev/null &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  PNAME[$LAST_PID]=$name
}

stop_pid() {
  local pid=$1 i pgid
  [[ -n $pid ]] || return 0
  pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ' || true)
  if is_alive "$pid"; then
    # One SIGTERM, to the whole group when the server leads one (setsid).
    if [[ $pgid == "$pid" ]]; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    else
      kill -TERM "$pid" 2>/dev/null || true
    fi
    for ((i = 0; i < STOP_GRACE_S * 10; i++)); do is_alive "$pid" || break; sleep 0.1; done
    if is_alive "$pid"; then
      log "WARNING: ${PNAME[$pid]:-pid $pid} did not exit within ${STOP_GRACE_S}s of SIGTERM; sending SIGKILL"
      KILLED+=("${PNAME[$pid]:-pid $pid}")
    fi
  fi
  # Anything left in its process group (the leader is not reaped yet, so the
  # group id cannot have been reused) is killed hard.
  if [[ $pgid == "$pid" ]]; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do
    log "cleanup: stopping ${PNAME[$p]:-?} (pid $p)"
    stop_pid "$p"
  done
  if ((KEEP_TMP)); then
    log "temp dir kept: $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# Usher and uWSGI run from private copies of the jar and the app, so a rebuild
# or an edit during the run can neither change nor break what is measured; the
# report names the originals.
GIT_REV=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
JAR_RUN="$TMP/usher-proxy.jar"
cp "$JAR" "$JAR_RUN"
JAR_INFO="\`${JAR#"$REPO_ROOT"/}\`, $(stat -c %s "$JAR_RUN") bytes, modified $(date -u -r "$JAR" '+%Y-%m-%d %H:%M:%S UTC'), sha256 $(sha256sum "$JAR_RUN" | cut -c1-16)…"
APP_RUN="$TMP/app/uwsgi_app.py"
mkdir -p "$TMP/app"
cp "$APP" "$APP_RUN"
# The body every front must return, taken from the app itself (-B: no
# __pycache__ written anywhere).
BODY=$(PYTHONDONTWRITEBYTECODE=1 python3 -B -c 'import sys; sys.path.insert(0, sys.argv[1]); import uwsgi_app; sys.stdout.write(uwsgi_app.BODY.decode("ascii"))' "$TMP/app") \
  || die "could not read BODY from $APP"
((${#BODY} >= 50 && ${#BODY} <= 200)) || die "the app's BODY is ${#BODY} bytes; expected about 100"

# ------------------------------------------------------------------- ports --
declare -A USED_PORTS=()
FREE_PORT=""
# free_port: sets FREE_PORT to a currently free 127.0.0.1 port that this run
# has not handed out before (no subshell, so USED_PORTS persists). Ports come
# from outside the kernel's ephemeral range when possible: a port that was just
# the source port of a connection (every uwsgi request opens one) sits in
# TIME_WAIT and cannot be bound by a server for a minute. The test bind has no
# SO_REUSEADDR, so it also fails on such TIME_WAIT leftovers.
free_port() {
  local p i
  for ((i = 0; i < 20; i++)); do
    p=$(python3 - <<'PYEOF'
import random, socket
try:
    lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
except (OSError, ValueError):
    lo, hi = 32768, 60999
if lo - 1 >= 12000:
    span = (10000, lo - 1)
elif hi + 1 <= 63000:
    span = (hi + 1, 65000)
else:
    span = None
for _ in range(200):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randint(*span) if span else 0))
        print(s.getsockname()[1])
        break
    except OSError:
        pass
    finally:
        s.close()
PYEOF
)
    if [[ $p =~ ^[0-9]+$ && -z ${USED_PORTS[$p]:-} ]] && ! port_listening "$p"; then
      USED_PORTS[$p]=1
      FREE_PORT=$p
      return 0
    fi
  done
  die "could not find a free port on 127.0.0.1"
}

port_listening() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

wait_port_free() {
  local port=$1 i
  for ((i = 0; i < 100; i++)); do
    port_listening "$port" || return 0
    sleep 0.1
  done
  die "port 127.0.0.1:$port is still accepting connections after stopping its server"
}

# wait_http URL PID TRIES: poll URL (0.2 s apart) until it answers 2xx;
# fail early if PID died.
wait_http() {
  local url=$1 pid=$2 tries=$3 i
  for ((i = 0; i < tries; i++)); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    is_alive "$pid" || return 1
    sleep 0.2
  done
  return 1
}

show_log() {
  local f=$1
  [[ -f $f ]] || return 0
  echo "----- last lines of $f -----" >&2
  tail -n 25 "$f" >&2 || true
  echo "-----" >&2
}

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

# ------------------------------------------------- other load on the machine --
# The machine is shared: another benchmark (its own wrk) or a Maven build
# running at the same time would distort the comparison. foreign_load prints
# the names of such processes that are not this script or its descendants (so
# our own wrk does not count), comma-separated; empty when the machine is quiet.
SELF_PID=$$
is_ours() {  # PID: is it this script or a descendant of it?
  local p=$1 i
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
# wait_quiet: wait (bounded by --quiet-wait) until foreign_load has been empty
# for 3 s in a row. Returns what was still running if it gave up.
QUIET_WAITED_TOTAL=0
wait_quiet() {
  ((QUIET_WAIT > 0)) || return 0
  local quiet=0 waited=0 f announced=0
  while ((waited < QUIET_WAIT)); do
    f=$(foreign_load)
    if [[ -z $f ]]; then
      quiet=$((quiet + 1))
      ((quiet >= 3)) && { QUIET_WAITED_TOTAL=$((QUIET_WAITED_TOTAL + waited)); return 0; }
    else
      quiet=0
      ((announced)) || { log "other load running ($f); waiting up to ${QUIET_WAIT}s for it to stop"; announced=1; }
    fi
    sleep 1; waited=$((waited + 1))
  done
  QUIET_WAITED_TOTAL=$((QUIET_WAITED_TOTAL + waited))
  log "WARNING: still other load after ${QUIET_WAIT}s ($(foreign_load)); measuring anyway (reported as contended)"
}

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

# nginx_conf DIR WORKERS PORT -> DIR/nginx.conf
nginx_conf() {
  local d=$1 workers=$2 port=$3
  mkdir -p "$d"
  {
    ((EUID == 0)) && echo "user root;"
    cat <<EOF
worker_processes $workers;
worker_rlimit_nofile $NOFILE;
pid $d/nginx.pid;
error_log $d/error.log warn;
events {
    worker_connections $NGINX_WCONN;
}
http {
    access_log off;
    client_body_temp_path $d/client_body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:$port backlog=4096;
        location / {
            include $UWSGI_PARAMS;
            uwsgi_pass 127.0.0.1:$UWSGI_PORT;
        }
    }
}
EOF
  } >"$d/nginx.conf"
}

# start_front KIND WORKERS -> sets TGT_PID TGT_PORT TGT_LOG TGT_ADMIN TGT_DIR;
# returns non-zero if the front did not come up (logs shown).
TGT_PID="" TGT_PORT="" TGT_LOG="" TGT_ADMIN="" TGT_DIR=""
start_front() {
  local kind=$1 n=$2
  free_port; TGT_PORT=$FREE_PORT
  TGT_ADMIN=""
  TGT_DIR="$TMP/$kind-$n-$TGT_PORT"
  mkdir -p "$TGT_DIR"
  case $kind in
    nginx)
      nginx_conf "$TGT_DIR" "$n" "$TGT_PORT"
      if ! nginx -t -q -p "$TGT_DIR/" -c "$TGT_DIR/nginx.conf" -e "$TGT_DIR/error.log" >"$TGT_DIR/check.log" 2>&1; then
        show_log "$TGT_DIR/check.log"
        return 1
      fi
      start_bg "nginx" "$TGT_DIR/stdout.log" nginx -p "$TGT_DIR/" -c "$TGT_DIR/nginx.conf" -e "$TGT_DIR/error.log" -g 'daemon off;'
      TGT_LOG="$TGT_DIR/error.log"
      TGT_PID=$LAST_PID
      wait_http "http://127.0.0.1:$TGT_PORT/" "$TGT_PID" 100 || { show_log "$TGT_LOG"; show_log "$TGT_DIR/stdout.log"; return 1; }
      ;;
    usher)
      free_port; TGT_ADMIN=$FREE_PORT
      local -a jopts=()
      [[ -n $USHER_JAVA_OPTS ]] && read -r -a jopts <<<"$USHER_JAVA_OPTS"
      TGT_LOG="$TGT_DIR/usher.log"
      start_bg "usher" "$TGT_LOG" java -Xmx256m "${jopts[@]+"${jopts[@]}"}" -jar "$JAR_RUN" \
        --listen "127.0.0.1:$TGT_PORT" --admin "127.0.0.1:$TGT_ADMIN" \
        --upstream "127.0.0.1:$UWSGI_PORT" --protocol uwsgi --event-loops "$n"
      TGT_PID=$LAST_PID
      if ! wait_http "http://127.0.0.1:$TGT_ADMIN/readyz" "$TGT_PID" $((USHER_READY_TIMEOUT * 5)); then
        log "usher: /readyz on 127.0.0.1:$TGT_ADMIN did not answer 200 within ${USHER_READY_TIMEOUT}s (or the JVM exited)"
        show_log "$TGT_LOG"
        return 1
      fi
      # Ready on admin; the data port must answer too.
      wait_http "http://127.0.0.1:$TGT_PORT/" "$TGT_PID" 50 || { log "usher: ready but 127.0.0.1:$TGT_PORT/ does not answer 2xx"; show_log "$TGT_LOG"; return 1; }
      ;;
    *) die "internal: unknown front $kind" ;;
  esac
  # The front must really pass requests to uWSGI and return the app's bytes.
  local got
  got=$(curl -fsS --max-time 5 "http://127.0.0.1:$TGT_PORT/" 2>&1) || true
  if [[ $got != "$BODY" ]]; then
    log "$kind: unexpected response through the front: ${got:0:200}"
    return 1
  fi
  log "$kind ($n workers) on 127.0.0.1:$TGT_PORT, pid $TGT_PID: returns the app's exact ${#BODY}-byte body"
}

stop_front() {
  [[ -n $TGT_PID ]] || return 0
  stop_pid "$TGT_PID"
  wait_port_free "$TGT_PORT"
  [[ -z $TGT_ADMIN ]] || wait_port_free "$TGT_ADMIN"
  TGT_PID=""
}

# ---------------------------------------------------------------- wrk runs --
declare -A RPS=() P50=() P99=() REQS=() NON2XX=() SOCKERR=() SOCKERR_LINE=() STATUS=()
declare -A CONTENDED=() CPU_FRONT=() CPU_UWSGI=() QFULL=() UWSGI_ERRLINES=() FRONT_ERRLINES=() TW_AFTER=()

# parse_wrk FILE -> "rps p50_ms p99_ms requests non2xx socket_errors"
parse_wrk() {
  awk '
    function ms(v,   n, u) {
      n = v; sub(/[a-z]+$/, "", n)
      u = v; sub(/^[0-9.]+/, "", u)
      if (u == "us") return n / 1000
      if (u == "ms") return n + 0
      if (u == "s")  return n * 1000
      if (u == "m")  return n * 60000
      if (u == "h")  return n * 3600000
      return -1
    }
    /^Requests\/sec:/               { rps = $2 }
    $1 == "50%"                     { p50 = ms($2) }
    $1 == "99%"                     { p99 = ms($2) }
    / requests in /                 { req = $1 }
    /Non-2xx or 3xx responses:/     { non2xx = $NF }
    /Socket errors:/                { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
    END {
      if (rps == "" || p50 == "" || p99 == "") { print "FAIL"; exit }
      printf "%.2f %.3f %.3f %d %d %d\n", rps, p50, p99, req, non2xx, err
    }' "$1"
}

# run_wrk PORT OUTFILE DURATION
run_wrk() {
  local port=$1 outf=$2 dur=$3 secs
  secs=$(dur_secs "$dur")
  timeout -k 5 $((secs + 60)) \
    wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"$dur" "http://127.0.0.1:$port/" >"$outf" 2>&1
}

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }
# log_since FILE OFFSET: what was appended to FILE after byte OFFSET
log_since() { tail -c +"$(($2 + 1))" "$1" 2>/dev/null || true; }

# measure FRONT WORKERS: wrk against the running front, plus what uWSGI and
# the front logged and how much CPU each used meanwhile.
measure() {
  local front=$1 n=$2 key="$1:$2"
  local raw="$OUT/raw/uwsgi-wrk-$front-w$n.txt"
  local u_off f_off u0 f0 u1 f1 secs
  u_off=$(file_size "$UWSGI_LOG"); f_off=$(file_size "$TGT_LOG")
  u0=$(cpu_ticks "$UWSGI_PID"); f0=$(cpu_ticks "$TGT_PID")
  log "wrk $front ($n workers): -t$THREADS -c$CONNECTIONS -d$DURATION"
  local wrk_ok=1 wpid f seen=""
  run_wrk "$TGT_PORT" "$raw" "$DURATION" &
  wpid=$!
  # Once a second: did any other benchmark or build run meanwhile?
  while is_alive "$wpid"; do
    f=$(foreign_load)
    [[ -n $f && $seen != *"$f"* ]] && seen+="${seen:+; }$f"
    sleep 1
  done
  wait "$wpid" || wrk_ok=0
  CONTENDED[$key]=${seen:-}
  [[ -z $seen ]] || log "WARNING: other load ran during this measurement: $seen"
  u1=$(cpu_ticks "$UWSGI_PID"); f1=$(cpu_ticks "$TGT_PID")
  TW_AFTER[$key]=$(time_wait_count)
  secs=$DUR_S
  CPU_UWSGI[$key]=$(awk -v a="$u0" -v b="$u1" -v h="$CLK_TCK" -v s="$secs" 'BEGIN { printf "%.0f", (b - a) / h / s * 100 }')
  CPU_FRONT[$key]=$(awk -v a="$f0" -v b="$f1" -v h="$CLK_TCK" -v s="$secs" 'BEGIN { printf "%.0f", (b - a) / h / s * 100 }')
  # What uWSGI and the front logged during this measurement (request logging
  # is off in both, so anything here is a warning or an error).
  local ulog="$TMP/uwsgi-log-$front-w$n.txt" flog="$TMP/front-log-$front-w$n.txt"
  log_since "$UWSGI_LOG" "$u_off" >"$ulog"
  log_since "$TGT_LOG" "$f_off" >"$flog"
  QFULL[$key]=$(grep -c 'listen queue' "$ulog" || true)
  UWSGI_ERRLINES[$key]=$(grep -c . "$ulog" || true)
  FRONT_ERRLINES[$key]=$(grep -Eci 'error|warn|exception|crit|alert|emerg' "$flog" || true)
  [[ -s $ulog ]] && cp "$ulog" "$OUT/raw/uwsgi-server-log-$front-w$n.txt"
  [[ -s $flog ]] && cp "$flog" "$OUT/raw/uwsgi-front-log-$front-w$n.txt"
  if ((QFULL[$key] > 0)); then
    log "WARNING: uWSGI reported its listen queue full ${QFULL[$key]} time(s) during $front ($n)"
  fi
  if ((wrk_ok == 0)); then
    log "wrk failed for $front ($n):"; show_log "$raw"
    STATUS[$key]="wrk-failed"
    return 0
  fi
  local parsed
  parsed=$(parse_wrk "$raw")
  if [[ $parsed == FAIL ]]; then
    log "could not parse wrk output for $front ($n):"; show_log "$raw"
    STATUS[$key]="parse-failed"
    return 0
  fi
  local rps p50 p99 reqs non2xx sockerr
  read -r rps p50 p99 reqs non2xx sockerr <<<"$parsed"
  RPS[$key]=$rps P50[$key]=$p50 P99[$key]=$p99 REQS[$key]=$reqs NON2XX[$key]=$non2xx SOCKERR[$key]=$sockerr
  SOCKERR_LINE[$key]=$(grep -m1 'Socket errors:' "$raw" | sed 's/^[[:space:]]*//' || true)
  STATUS[$key]="ok"
  if ((non2xx > 0 || sockerr > 0)); then
    STATUS[$key]="errors"
    log "WARNING: $front ($n): $non2xx non-2xx responses, $sockerr socket errors (${SOCKERR_LINE[$key]:-})"
  fi
  log "  -> ${RPS[$key]} req/s, p50 ${P50[$key]} ms, p99 ${P99[$key]} ms; CPU: front ${CPU_FRONT[$key]}%, uWSGI ${CPU_UWSGI[$key]}%; TIME_WAIT after: ${TW_AFTER[$key]}"
}

FRONTS=(nginx usher)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
DATE_START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
TW_START=$(time_wait_count)

start_uwsgi

for n in "${WORKERS[@]}"; do
  log "===== workers / event loops = $n ====="
  for kind in "${FRONTS[@]}"; do
    wait_quiet
    if ! start_front "$kind" "$n"; then
      stop_front
      die "$kind ($n workers) did not start or did not return the app's body through uwsgi"
    fi
    if [[ $kind == usher ]] && ((WARMUP_S > 0)); then
      log "usher: JVM warm-up, wrk for $WARMUP (not recorded)"
      run_wrk "$TGT_PORT" "$OUT/raw/uwsgi-wrk-usher-w$n-warmup.txt" "$WARMUP" || log "warm-up wrk failed (continuing)"
      sleep 1
    fi
    measure "$kind" "$n"
    if [[ $kind == usher ]]; then  # Usher's own counters, for checking a surprising number
      curl -sS --max-time 5 "http://127.0.0.1:$TGT_ADMIN/metrics" >"$OUT/raw/uwsgi-usher-w$n-metrics.txt" 2>&1 || true
    fi
    is_alive "$UWSGI_PID" || { show_log "$UWSGI_LOG"; die "uWSGI died during the $kind ($n) measurement"; }
    # The front must still answer correctly after the load.
    got=$(curl -fsS --max-time 5 "http://127.0.0.1:$TGT_PORT/" 2>&1) || true
    if [[ $got != "$BODY" ]]; then
      log "WARNING: $kind ($n) no longer returns the app's body after the load: ${got:0:200}"
      STATUS["$kind:$n"]="broken-after"
    fi
    stop_front
    if [[ $kind == usher ]]; then  # after the stop, so shutdown lines are in it
      cp "$TGT_LOG" "$OUT/raw/uwsgi-usher-w$n.log" 2>/dev/null || true
    fi
    sleep 1
  done
done

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
stop_pid "$UWSGI_PID"
cp "$UWSGI_LOG" "$OUT/raw/uwsgi-server.log" 2>/dev/null || true

# ----------------------------------------------------------------- reports --
ver_nginx=$(nginx -v 2>&1 | sed 's/^nginx version: nginx\///' || true)
ver_uwsgi=$(uwsgi --version 2>/dev/null || true)
ver_python=$(awk '/^Python version:/ {sub(/^Python version: /, ""); print; exit}' "$UWSGI_LOG" 2>/dev/null || true)
ver_wrk=$({ wrk -v 2>&1 || true; } | awk 'NR == 1 {print $2}')
ver_java=$({ java -version 2>&1 || true; } | awk 'NR == 1' | tr -d '"')
ver_java_rt=$({ java -version 2>&1 || true; } | awk 'NR == 2')
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
TW_REUSE=$(cat /proc/sys/net/ipv4/tcp_tw_reuse 2>/dev/null || echo "?")
PORT_RANGE=$(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo "?")

ratio() {  # A B -> A/B with 2 decimals, or n/a
  awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
    if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b; else printf "n/a" }'
}
fmt_int() { awk -v v="${1:-}" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.0f", v; else printf "n/a" }'; }
fmt2() { awk -v v="${1:-}" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.2f", v; else printf "n/a" }'; }

CSV="$OUT/uwsgi-bench.csv"
MD="$OUT/uwsgi-bench.md"
PNG="$OUT/uwsgi-bench.png"

# A run is valid only if every measurement ran and saw no errors.
VALID=1
for n in "${WORKERS[@]}"; do
  for t in "${FRONTS[@]}"; do
    [[ ${STATUS[$t:$n]:-} == ok ]] || VALID=0
  done
done

{
  echo "front,workers,req_per_sec,p50_ms,p99_ms,requests,non_2xx,socket_errors,front_cpu_pct,uwsgi_cpu_pct,uwsgi_listen_queue_full,other_load_during,status"
  for n in "${WORKERS[@]}"; do
    for t in "${FRONTS[@]}"; do
      k="$t:$n"
      echo "$t,$n,${RPS[$k]:-},${P50[$k]:-},${P99[$k]:-},${REQS[$k]:-},${NON2XX[$k]:-},${SOCKERR[$k]:-},${CPU_FRONT[$k]:-},${CPU_UWSGI[$k]:-},${QFULL[$k]:-},\"${CONTENDED[$k]:-}\",${STATUS[$k]:-not-run}"
    done
  done
} >"$CSV"

# --- chart
CHART_NOTE=""
make_chart() {
  local present=() t n
  for t in "${FRONTS[@]}"; do
    for n in "${WORKERS[@]}"; do
      if [[ -n ${RPS[$t:$n]:-} ]]; then present+=("$t"); break; fi
    done
  done
  ((${#present[@]})) || { CHART_NOTE="not drawn (no data)"; return 0; }
  local dat_rps="$TMP/rps.dat" dat_p99="$TMP/p99.dat"
  {
    printf 'workers'; printf ' %s' "${present[@]}"; echo
    for n in "${WORKERS[@]}"; do
      printf '"%s worker%s"' "$n" "$([[ $n == 1 ]] || echo s)"
      for t in "${present[@]}"; do printf ' %s' "${RPS[$t:$n]:-?}"; done
      echo
    done
  } >"$dat_rps"
  {
    printf 'workers'; printf ' %s' "${present[@]}"; echo
    for n in "${WORKERS[@]}"; do
      printf '"%s worker%s"' "$n" "$([[ $n == 1 ]] || echo s)"
      for t in "${present[@]}"; do printf ' %s' "${P99[$t:$n]:-?}"; done
      echo
    done
  } >"$dat_p99"
  local ns=${#present[@]}
  if ! command -v gnuplot >/dev/null 2>&1; then
    CHART_NOTE="not drawn (gnuplot not installed: apt-get install gnuplot-nox)"
    warn_loud "chart $CHART_NOTE"
    return 0
  fi
  local term="pngcairo size 1280,560 font 'DejaVu Sans,10'"
  gnuplot -e "set terminal pngcairo" >/dev/null 2>&1 </dev/null || term="png size 1280,560"
  cat >"$TMP/chart.gp" <<EOF
set terminal $term
set output '$PNG'
set datafile missing '?'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9 relative
set grid ytics
set key top right
set key autotitle columnheader
set yrange [0:*]
set xrange [-0.6:${#WORKERS[@]} - 0.4]
set offsets 0, 0, graph 0.12, 0
set xtics nomirror
ns = $ns
xpos(i) = column(0) + (i - 2 - (ns - 1) / 2.0) / (ns + 1.0)
set multiplot layout 1,2 title "Usher vs nginx in front of one uWSGI ($UWSGI_PROCESSES proc x $UWSGI_THREADS thr) — wrk -t$THREADS -c$CONNECTIONS -d$DURATION, 127.0.0.1, nproc $(nproc) (same-run comparison only)"
set title "Throughput (req/s, higher is better)"
plot for [i=2:ns+1] '$dat_rps' using i:xtic(1) title columnheader(i), \
     for [i=2:ns+1] '$dat_rps' using (xpos(i)):i:(sprintf("%.0f", column(i))) with labels offset 0,0.6 font ',8' notitle
set title "p99 latency (ms, lower is better)"
plot for [i=2:ns+1] '$dat_p99' using i:xtic(1) title columnheader(i), \
     for [i=2:ns+1] '$dat_p99' using (xpos(i)):i:(sprintf("%.2f", column(i))) with labels offset 0,0.6 font ',8' notitle
unset multiplot
EOF
  if gnuplot "$TMP/chart.gp" >"$TMP/gnuplot.log" 2>&1 </dev/null && [[ -s $PNG ]]; then
    CHART_NOTE="gnuplot"
    return 0
  fi
  log "gnuplot failed:"; show_log "$TMP/gnuplot.log"
  CHART_NOTE="not drawn (gnuplot failed)"
  warn_loud "chart $CHART_NOTE"
}
make_chart

UWSGI_CMD_SHOWN=$(printf '%q ' "${UWSGI_CMD[@]}")
UWSGI_CMD_SHOWN=${UWSGI_CMD_SHOWN% }
UWSGI_CMD_SHOWN=${UWSGI_CMD_SHOWN//$TMP\/app\//bench\/}
UWSGI_CMD_SHOWN=${UWSGI_CMD_SHOWN//$UWSGI_PORT/PORT}

# --- markdown
{
  echo "# Usher uwsgi benchmark: Usher \`--protocol uwsgi\` vs nginx \`uwsgi_pass\`"
  echo
  if ((VALID)); then
    echo "**Valid run**: every measurement completed with 0 non-2xx responses and 0 socket errors."
  else
    echo "**INVALID RUN**: at least one measurement failed or saw non-2xx responses / socket errors (see the status column); its figures must not be used."
  fi
  echo
  echo "- Command: \`$ORIG_CMD\`"
  echo "- Date: $DATE_START (finished $(date -u '+%H:%M:%S UTC'))"
  echo "- Machine: \`nproc\` = $(nproc); ${cpu_model:-unknown CPU}; Linux $(uname -r); load average at start $LOAD_START, at end $LOAD_END"
  echo "- Versions: nginx $ver_nginx; uWSGI $ver_uwsgi (python3 plugin, Python ${ver_python:-?}); wrk $ver_wrk; java: $ver_java ($ver_java_rt)"
  echo "- Repo: $GIT_REV (at start); Usher jar (copied at start, the copy was run): $JAR_INFO"
  echo "- Backend (one server shared by both fronts, started once): \`$UWSGI_CMD_SHOWN\` — the app returns a fixed ${#BODY}-byte \`text/plain\` body with Content-Length"
  echo "- nginx: \`worker_processes N\`, \`location / { include /etc/nginx/uwsgi_params; uwsgi_pass 127.0.0.1:PORT; }\`, access_log off, client keep-alive (\`keepalive_requests 10000000\`)"
  echo "- Usher: \`java -Xmx256m${USHER_JAVA_OPTS:+ $USHER_JAVA_OPTS} -jar ${JAR#"$REPO_ROOT"/} --listen … --admin … --upstream 127.0.0.1:PORT --protocol uwsgi --event-loops N\`, ready when \`/readyz\` answers 200, then a $WARMUP unrecorded wrk warm-up"
  echo "- Load: \`wrk --latency -t$THREADS -c$CONNECTIONS -d$DURATION http://127.0.0.1:PORT/\` per front, one front at a time (nginx then Usher for each worker count), everything on 127.0.0.1; each front is checked to return the app's exact body before and after its measurement"
  echo "- TCP: the uwsgi protocol has no keep-alive, so both fronts open one connection to uWSGI per request (inherent, as with nginx's \`uwsgi_pass\`). \`net.ipv4.tcp_tw_reuse\` = $TW_REUSE, ephemeral ports $PORT_RANGE, \`net.core.somaxconn\` = $SOMAXCONN; TIME_WAIT sockets on the machine: $TW_START at start"
  if ((${#KILLED[@]})); then
    echo "- **Shutdown: did not exit within ${STOP_GRACE_S}s of SIGTERM and were SIGKILLed: $(printf '%s\n' "${KILLED[@]}" | sort | uniq -c | awk '{printf "%s%s ×%d", (NR > 1 ? ", " : ""), $2, $1}')**"
  fi
  echo
  echo "> Shared, noisy machine: wrk, the front, and uWSGI all compete for the same $(nproc) cores."
  echo "> Absolute numbers are not comparable across runs; compare the ratios from this run only."
  echo
  echo "## Throughput and latency"
  echo
  echo "| front | workers | req/s | p50 ms | p99 ms | non-2xx | socket errors | front CPU % | uWSGI CPU % | uWSGI listen queue full | other load during | status |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
  for n in "${WORKERS[@]}"; do
    for t in "${FRONTS[@]}"; do
      k="$t:$n"
      echo "| $t | $n | $(fmt_int "${RPS[$k]:-}") | $(fmt2 "${P50[$k]:-}") | $(fmt2 "${P99[$k]:-}") | ${NON2XX[$k]:-n/a} | ${SOCKERR[$k]:-n/a} | ${CPU_FRONT[$k]:-n/a} | ${CPU_UWSGI[$k]:-n/a} | ${QFULL[$k]:-n/a} | ${CONTENDED[$k]:-none} | ${STATUS[$k]:-not-run} |"
    done
  done
  echo
  echo "\"workers\" is \`worker_processes\` for nginx and \`--event-loops\` for Usher. non-2xx and socket errors are wrk's \"Non-2xx or 3xx responses\" and \"Socket errors\" (connect + read + write + timeout) lines; a valid run has none."
  echo "CPU % is user + system CPU time of all the server's processes during the measurement divided by its duration (100 % = one core)."
  echo "\"other load during\" names any other benchmark (wrk, proxy-bench.sh, uwsgi-bench.sh) or Maven build seen running during the measurement (checked once a second); such a row is contended and less trustworthy. Before each front the script waited for the machine to be free of them (up to ${QUIET_WAIT}s; ${QUIET_WAITED_TOTAL}s waited in all)."
  echo "\"uWSGI listen queue full\" counts uWSGI's \`*** uWSGI listen queue of socket ... full !!! ***\` warnings during the measurement (its backlog is \`--listen $UWSGI_LISTEN\`)."
  echo
  echo "## Ratios (same run)"
  echo
  echo "Throughput ratio > 1 means Usher served more req/s than nginx; p99 ratio < 1 means Usher had the lower tail latency."
  echo
  echo "| workers | req/s usher/nginx | p50 usher/nginx | p99 usher/nginx |"
  echo "|---:|---:|---:|---:|"
  for n in "${WORKERS[@]}"; do
    echo "| $n | $(ratio "${RPS[usher:$n]:-}" "${RPS[nginx:$n]:-}") | $(ratio "${P50[usher:$n]:-}" "${P50[nginx:$n]:-}") | $(ratio "${P99[usher:$n]:-}" "${P99[nginx:$n]:-}") |"
  done
  echo
  if [[ -s $PNG && $CHART_NOTE == gnuplot ]]; then
    echo "![req/s and p99 per front]($(basename "$PNG"))"
  else
    echo "Chart: $CHART_NOTE"
  fi
  echo
  echo "## Errors and server messages"
  echo
  any=0
  for n in "${WORKERS[@]}"; do
    for t in "${FRONTS[@]}"; do
      k="$t:$n"
      if [[ -n ${SOCKERR_LINE[$k]:-} ]]; then echo "- $t ($n): wrk: \`${SOCKERR_LINE[$k]}\`"; any=1; fi
      if ((${NON2XX[$k]:-0} > 0)); then echo "- $t ($n): wrk: ${NON2XX[$k]} non-2xx or 3xx responses"; any=1; fi
      if ((${UWSGI_ERRLINES[$k]:-0} > 0)); then
        echo "- $t ($n): uWSGI logged ${UWSGI_ERRLINES[$k]} line(s) (of which ${QFULL[$k]:-0} listen-queue-full warnings): \`raw/uwsgi-server-log-$t-w$n.txt\`"; any=1
      fi
      if ((${FRONT_ERRLINES[$k]:-0} > 0)); then
        echo "- $t ($n): the front logged ${FRONT_ERRLINES[$k]} warning/error line(s): \`raw/uwsgi-front-log-$t-w$n.txt\`"; any=1
      fi
    done
  done
  ((any)) || echo "None: no wrk errors, and neither uWSGI nor the fronts logged anything during the measurements."
  echo
  echo "TIME_WAIT sockets on the machine right after each measurement: $(for n in "${WORKERS[@]}"; do for t in "${FRONTS[@]}"; do printf '%s (%s): %s; ' "$t" "$n" "${TW_AFTER[$t:$n]:-?}"; done; done | sed 's/; $//')."
  echo
  echo "Raw files in \`raw/\`: wrk output \`uwsgi-wrk-FRONT-wN.txt\` (and Usher's warm-ups), Usher's logs \`uwsgi-usher-wN.log\`, uWSGI's whole log \`uwsgi-server.log\`; the figures as CSV: \`$(basename "$CSV")\`."
} >"$MD"

log "wrote $MD"
log "wrote $CSV"
[[ -s $PNG && $CHART_NOTE == gnuplot ]] && log "wrote $PNG"
cat "$MD"
if ((VALID == 0)); then
  warn_loud "INVALID RUN: some measurement failed or saw errors; see $MD"
  exit 2
fi
