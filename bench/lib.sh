# shellcheck shell=bash
# shellcheck disable=SC2034 # PYTHON, TMP and LAST_PID are for the scripts that source this
# Sourced by proxy-bench.sh and uwsgi-bench.sh. Shell only starts and stops processes, runs wrk and
# copies raw counters into $RAW; bench/report.py computes every figure from those files.
#
# $RAW/runs.tsv lists each measurement (target, workers, round, position, status); for each one
# KEY=TARGET-wN-rR there is $RAW/KEY.wrk (wrk's output) and $RAW/KEY.{before,mid,after}, snapshots
# of the processes' /proc counters (see snap).

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
CMD=$(printf '%q ' bash "bench/$(basename "$0")" "$@")
CMD=${CMD% }
# report.py draws with matplotlib, which setup.sh installs for Debian's python3: another python3
# first on PATH (pyenv, a venv) may lack it.
PYTHON=python3
python3 -c 'import matplotlib' 2>/dev/null || PYTHON=/usr/bin/python3

die() { printf '%s: ERROR: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

need_tools() {
  local t missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  ((${#missing[@]} == 0)) || die "missing: ${missing[*]} (run: bash bench/setup.sh; java: a JDK 17+)"
}

# wrk takes 10s, 2m or 30; whole seconds, at most 10 minutes, so every load is bounded.
secs() {
  [[ $1 =~ ^([0-9]+)([sm]?)$ ]] || die "not a duration: $1"
  local n=$((10#${BASH_REMATCH[1]}))
  [[ ${BASH_REMATCH[2]} != m ]] || n=$((n * 60))
  ((n > 0 && n <= 600)) || die "durations are 1s..10m, got $1"
  echo "$n"
}

# ------------------------------------------------------------------ processes --
# Every server runs in its own session (setsid), so its pid is also its session and process group:
# stopping it stops the workers it forked, and `ps -s PID` lists them for the CPU and RSS counters.
# Needs `set +m`, so that setsid execs in place and $! is the server's own pid.
PIDS=()
start_bg() {  # LOGFILE CMD... -> LAST_PID
  local logf=$1
  shift
  setsid "$@" >"$logf" 2>&1 </dev/null &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

alive() { [[ -e /proc/$1 ]] && ! grep -q '^State:.*[ZX]' "/proc/$1/status" 2>/dev/null; }

stop_pid() {  # PID: SIGTERM to its group, SIGKILL after 15 s
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then log "pid $pid ignored SIGTERM for 15 s; SIGKILL"; fi
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  PIDS=("${keep[@]+"${keep[@]}"}")
}

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$p"; done
  rm -rf "$TMP"
  exit "$rc"
}

# setup_run NAME: TMP, RAW (emptied: no stale file can be taken for this run's), the traps, and
# $RAW/meta.txt with what the report says about the machine; the caller adds its versions to it.
setup_run() {
  TMP=$(mktemp -d "/tmp/usher-$1.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  rm -rf "$RAW"
  mkdir -p "$RAW"
  local hard
  hard=$(ulimit -Hn)
  ulimit -Sn "$([[ $hard == unlimited ]] && echo 65536 || echo "$hard")"
  {
    echo "command: $CMD"
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "machine: nproc $(nproc), $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), Linux $(uname -r)"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "repo: $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO_ROOT" diff --quiet HEAD -- proxy-image 2>/dev/null || echo ' (proxy-image modified)')"
    echo "wrk: $(wrk -v 2>&1 | head -1 | cut -d' ' -f2)"
    echo "java: $(java -version 2>&1 | sed -n 2p)"
    echo "clk_tck: $(getconf CLK_TCK)"
  } >"$RAW/meta.txt"
  printf 'target\tworkers\tround\tposition\tstatus\n' >"$RAW/runs.tsv"
}

# Usher runs from a copy of the jar, so a rebuild meanwhile neither changes nor breaks the run.
copy_jar() {
  [[ -f $JAR ]] || die "no $JAR: build it first (mvn -B -q -DskipTests package)"
  cp "$JAR" "$TMP/usher-proxy.jar"
  echo "jar: ${JAR#"$REPO_ROOT"/}, $(stat -c %s "$JAR") bytes, sha256 $(sha256sum "$JAR" | cut -c1-12)" >>"$RAW/meta.txt"
}

# ---------------------------------------------------------------------- ports --
# A free 127.0.0.1 port below the ephemeral range: a port that was just a client's source port can
# sit in TIME_WAIT and fail the server's bind.
free_port() {
  python3 -c '
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(500):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randint(10000, lo - 1)))
        print(s.getsockname()[1]); break
    except OSError:
        pass
    finally:
        s.close()'
}

wait_http() {  # URL PID: until URL answers 2xx (30 s at most), or PID exits
  local i
  for ((i = 0; i < 150; i++)); do
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    alive "$2" || break
    sleep 0.2
  done
  return 1
}

wait_tcp() {  # PORT PID: until 127.0.0.1:PORT accepts (30 s at most); fails only if PID exits first
  local i
  for ((i = 0; i < 150; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    alive "$2" || return 1
    sleep 0.2
  done
  return 0
}

# ---------------------------------------------------------------------- nginx --
nginx_start() {  # DIR WORKERS HTTP_BLOCK -> LAST_PID
  local d=$1
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<EOF
$( ((EUID == 0)) && echo "user root;")
worker_processes $2;
worker_rlimit_nofile 65536;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
$3
}
EOF
  start_bg "$d/stdout.log" nginx -p "$d/" -c "$d/nginx.conf" -e "$d/error.log" -g 'daemon off;'
}

# The JVM flags the proxy image ships with (its Dockerfile's JAVA_TOOL_OPTIONS), under -XX:MaxRAM=256m standing in
# for the default container limit of 256 MiB: the benchmark measures the proxy as a pod runs it.
usher_jvm_flags() {
  echo "-XX:MaxRAM=256m $(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\(.*\)"$/\1/p' "$REPO_ROOT/proxy-image/Dockerfile")"
}

usher_start() {  # LOGFILE PORT ADMIN ARGS... -> LAST_PID; JAVA_OPTS in USHER_JAVA_OPTS, more flags in USHER_ARGS
  local logf=$1 port=$2 admin=$3
  shift 3
  # shellcheck disable=SC2046,SC2086 # lists of flags
  start_bg "$logf" java $(usher_jvm_flags) ${USHER_JAVA_OPTS:-} -jar "$TMP/usher-proxy.jar" \
    --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" "$@" ${USHER_ARGS:-}
}

# ------------------------------------------------------------------ measuring --
# snap FILE NAME=PID...: the wall clock, then for each named server every process of its session:
# "stat NAME <its /proc/PID/stat>" (utime and stime) and "status NAME <its VmRSS line>"; and the
# kernel's TcpExt counters (ListenDrops).
snap() {
  local f=$1 g p
  shift
  {
    echo "time $(date +%s.%N)"
    for g in "$@"; do
      for p in $(ps -o pid= -s "${g#*=}"); do
        echo "stat ${g%%=*} $(cat "/proc/$p/stat" 2>/dev/null)"
        echo "status ${g%%=*} $(grep '^VmRSS' "/proc/$p/status" 2>/dev/null)"
      done
    done
    grep '^TcpExt:' /proc/net/netstat | sed 's/^/netstat /'
  } >"$f"
}

# measure TARGET WORKERS ROUND POSITION PORT EXPECTED NAME=PID...: checks that the target answers
# EXPECTED, then one bounded wrk run with snapshots before, halfway and after.
measure() {
  local target=$1 n=$2 r=$3 pos=$4 port=$5 expected=$6 key="$1-w$2-r$3" got status=ok
  shift 6
  got=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/" 2>&1) || true
  if [[ $got != "$expected" ]]; then
    log "$target: wrong answer before round $r: ${got:0:200}"
    status=bad-response
  else
    log "wrk $target, $n worker(s), round $r: -t$THREADS -c$CONNECTIONS -d${DURATION_S}s"
    snap "$RAW/$key.before" "$@"
    start_bg "$RAW/$key.wrk" timeout -k 5 $((DURATION_S + 30)) \
      wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION_S}s" "http://127.0.0.1:$port/"
    local wpid=$LAST_PID
    sleep "$((DURATION_S / 2)).$((DURATION_S % 2 * 5))"
    snap "$RAW/$key.mid" "$@"
    wait "$wpid" || status=wrk-failed
    snap "$RAW/$key.after" "$@"
    stop_pid "$wpid"
    grep -E '^(Requests/sec| +99%)' "$RAW/$key.wrk" | tr -s ' ' | paste -sd' ' >&2 || true
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$target" "$n" "$r" "$pos" "$status" >>"$RAW/runs.tsv"
}

# profile_usher WORKERS PORT PID BACKEND=PID: one more measured run of Usher (round "profile", not in the
# medians) under JFR with bench/profile.jfc, the recording kept as $RAW/usher-wWORKERS.jfr. A JVM's first
# recording costs several times the usual CPU while JFR loads and compiles its own code: that one runs
# under a few seconds of load and is thrown away.
profile_usher() {
  local n=$1 port=$2 pid=$3 backend=$4
  jcmd "$pid" JFR.start name=jfr-warmup settings="$SCRIPT_DIR/profile.jfc" >/dev/null
  timeout 60 wrk -t"$THREADS" -c"$CONNECTIONS" -d5s "http://127.0.0.1:$port/" >/dev/null
  jcmd "$pid" JFR.stop name=jfr-warmup >/dev/null
  jcmd "$pid" JFR.start name=bench settings="$SCRIPT_DIR/profile.jfc" >/dev/null
  measure usher "$n" profile 0 "$port" "$BODY" "target=$pid" "$backend"
  jcmd "$pid" JFR.stop name=bench filename="$RAW/usher-w$n.jfr" >/dev/null
}

# Round R measures the targets rotated by R-1 places, so that none is always first or last.
rotated() {  # ROUND TARGET...
  local r=$1 i
  shift
  local list=("$@")
  for ((i = 0; i < $#; i++)); do printf '%s ' "${list[(i - (r - 1) % $# + $#) % $#]}"; done
}
