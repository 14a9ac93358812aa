# shellcheck shell=bash
# shellcheck disable=SC2015 # ("A && B || die" is intended: die when either fails)
# shellcheck disable=SC2034,SC2154 # globals shared with the sourcing script
# Shared code of bench/proxy-bench.sh and bench/uwsgi-bench.sh, sourced by both
# (`source "$(dirname "$0")/lib.sh"`). Sourcing it sets SCRIPT_DIR, REPO_ROOT
# and ORIG_CMD and defines functions and empty result tables: it starts
# nothing, and installs no trap until the script calls install_cleanup_traps.
# Source it without arguments and before the options are parsed, so that "$@"
# is still the script's command line (ORIG_CMD, for the report).
#
# Set by the sourcing script: BENCH_NAME (error prefix, before sourcing), the
# options (DURATION ROUNDS CONNECTIONS THREADS WARMUP WORKERS_LIST OUT JAR
# KEEP_TMP USHER_JAVA_OPTS USHER_READY_TIMEOUT), and later TMP, NOFILE,
# NGINX_WCONN, NGINX_HAS_UWSGI, NGINX_HAS_SCGI, PNG, GIT_REV, LOAD_START,
# LOAD_END, DATE_START.

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)  # bench/, as the scripts
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
ORIG_CMD=$(printf '%q ' bash "$0" "$@")
ORIG_CMD=${ORIG_CMD% }

# ------------------------------------------------------------------ output --
die() { printf '%s: ERROR: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn_loud() {
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
  printf '!!! WARNING: %s\n' "$@" >&2
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
}

show_log() {
  local f=$1
  [[ -f $f ]] || return 0
  echo "----- last lines of $f -----" >&2
  tail -n 25 "$f" >&2 || true
  echo "-----" >&2
}

# ----------------------------------------------------------------- options --
need_arg() { [[ $# -ge 2 && -n $2 ]] || die "option $1 needs a value (see --help)"; }

# common_opt ARGS...: handles an option both scripts take (the load, --out,
# --jar, --keep-tmp, --help; `usage` is the script's). Sets OPT_SHIFT to how
# many arguments it used; returns 1 for any other argument.
OPT_SHIFT=0
common_opt() {
  OPT_SHIFT=2
  case $1 in
    --duration) need_arg "$@"; DURATION=$2 ;;
    --rounds) need_arg "$@"; ROUNDS=$2 ;;
    --connections) need_arg "$@"; CONNECTIONS=$2 ;;
    --threads) need_arg "$@"; THREADS=$2 ;;
    --warmup) need_arg "$@"; WARMUP=$2 ;;
    --workers) need_arg "$@"; WORKERS_LIST=$2 ;;
    --out) need_arg "$@"; OUT=$2 ;;
    --jar) need_arg "$@"; JAR=$2 ;;
    --keep-tmp) KEEP_TMP=1; OPT_SHIFT=1 ;;
    -h|--help) usage; exit 0 ;;
    *) return 1 ;;
  esac
}

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

# check_load_opts: validates the wrk load options; sets DUR_S and WARMUP_S.
check_load_opts() {
  DUR_S=$(dur_secs "$DURATION") || die "--duration must look like 10s, 2m or 30 (got '$DURATION')"
  WARMUP_S=$(dur_secs "$WARMUP") || die "--warmup must look like 5s or 0 (got '$WARMUP')"
  ((DUR_S > 0 && DUR_S <= 600)) || die "--duration must be between 1s and 10m"
  ((WARMUP_S <= 300)) || die "--warmup must be at most 5m"
  is_uint "$ROUNDS" && ((10#$ROUNDS <= 50)) || die "--rounds must be 1..50"
  ROUNDS=$((10#$ROUNDS))
  is_uint "$CONNECTIONS" && ((CONNECTIONS <= 10000)) || die "--connections must be 1..10000"
  is_uint "$THREADS" && ((THREADS <= 64)) || die "--threads must be 1..64"
  ((CONNECTIONS >= THREADS)) || die "--connections must be >= --threads (wrk requirement)"
}

# check_workers_opt: validates --workers into the array WORKERS.
check_workers_opt() {
  local w
  read -r -a WORKERS <<<"$WORKERS_LIST"
  ((${#WORKERS[@]} > 0)) || die "--workers must list at least one count"
  for w in "${WORKERS[@]}"; do
    is_uint "$w" && ((w <= 64)) || die "--workers entries must be 1..64 (got '$w')"
  done
}

# ------------------------------------------------------ process management --
declare -a PIDS=()
declare -a KILLED=()  # servers that needed SIGKILL (reported in the markdown)
STOP_GRACE_S=15
declare -A PNAME=()
LAST_PID=""
CLEANUP_HOOK=""  # a function cleanup runs first (e.g. to stop a background wrk)

is_alive() {  # a zombie (exited, not yet reaped) counts as dead
  local st
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

# start_bg NAME LOGFILE CMD...: runs CMD in its own session/process group
# (setsid), so stopping it also stops every process it forked (nginx and
# uWSGI workers). The script must run with `set +m`: a background job that
# does not lead a process group lets `setsid` exec in place, so that $! is
# the server's own pid.
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

# On exit: CLEANUP_HOOK, stop every server still running, remove TMP (unless
# --keep-tmp), and exit with the script's status.
cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  local p
  [[ -z $CLEANUP_HOOK ]] || "$CLEANUP_HOOK"
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
# install_cleanup_traps: call once TMP exists.
install_cleanup_traps() {
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM
}

# copy_jar: Usher runs from a private copy of the jar (JAR_RUN, in TMP), so a
# rebuild during the run can neither change nor break what is measured;
# JAR_INFO describes the original for the report.
copy_jar() {
  JAR_RUN="$TMP/usher-proxy.jar"
  cp "$JAR" "$JAR_RUN"
  JAR_INFO="\`${JAR#"$REPO_ROOT"/}\`, $(stat -c %s "$JAR_RUN") bytes, modified $(date -u -r "$JAR" '+%Y-%m-%d %H:%M:%S UTC'), sha256 $(sha256sum "$JAR_RUN" | cut -c1-16)…"
}

# ------------------------------------------------------------------- ports --
declare -A USED_PORTS=()
FREE_PORT=""
# free_port: sets FREE_PORT to a currently free 127.0.0.1 port that this run
# has not handed out before (no subshell, so USED_PORTS persists). Ports come
# from outside the kernel's ephemeral range when possible: a port that was just
# the source port of a client connection (wrk, the idle connections, every
# uwsgi request) sits in TIME_WAIT and cannot be bound by a server for a
# minute. The test bind has no SO_REUSEADDR, so it also fails on such
# TIME_WAIT leftovers.
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

# ----------------------------------------------------------- nginx, Usher --
# nginx_conf DIR WORKERS HTTP_BODY -> DIR/nginx.conf (uses NOFILE,
# NGINX_WCONN, NGINX_HAS_UWSGI, NGINX_HAS_SCGI)
nginx_conf() {
  local d=$1 workers=$2 http_body=$3
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
EOF
    ((NGINX_HAS_UWSGI)) && echo "    uwsgi_temp_path $d/uwsgi;"
    ((NGINX_HAS_SCGI)) && echo "    scgi_temp_path $d/scgi;"
    cat <<EOF
    keepalive_requests 10000000;
    keepalive_timeout 300s;
$http_body
}
EOF
  } >"$d/nginx.conf"
}

start_nginx() {  # NAME DIR -> LAST_PID
  start_bg "$1" "$2/stdout.log" nginx -p "$2/" -c "$2/nginx.conf" -e "$2/error.log" -g 'daemon off;'
}

# start_usher LOGFILE PORT ADMIN XMX ARGS...: starts Usher from JAR_RUN
# (-> LAST_PID) listening on PORT with its admin port ADMIN; ARGS are its
# other options (--upstream ...).
start_usher() {
  local logf=$1 port=$2 admin=$3 xmx=$4
  shift 4
  local -a jopts=()
  [[ -n $USHER_JAVA_OPTS ]] && read -r -a jopts <<<"$USHER_JAVA_OPTS"
  start_bg "usher" "$logf" java "-Xmx$xmx" "${jopts[@]+"${jopts[@]}"}" -jar "$JAR_RUN" \
    --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" "$@"
}

# wait_usher PID LOGFILE PORT ADMIN: until /readyz on ADMIN answers 200 and
# then PORT answers 2xx; returns non-zero (log shown) if not.
wait_usher() {
  local pid=$1 logf=$2 port=$3 admin=$4
  if ! wait_http "http://127.0.0.1:$admin/readyz" "$pid" $((USHER_READY_TIMEOUT * 5)); then
    log "usher: /readyz on 127.0.0.1:$admin did not answer 200 within ${USHER_READY_TIMEOUT}s (or the JVM exited)"
    show_log "$logf"
    return 1
  fi
  # Ready on admin; the data port must answer too.
  wait_http "http://127.0.0.1:$port/" "$pid" 50 || { log "usher: ready but 127.0.0.1:$port/ does not answer 2xx"; show_log "$logf"; return 1; }
}

# ---------------------------------------------------------------- wrk runs --
# Per measurement, keyed NAME:WORKERS:ROUND (NAME: the target or front). POS
# is its place in that round's order; CONTENDED the other load seen during it
# (only a script that watches for that fills it).
declare -A RPS=() P50=() P99=() REQS=() NON2XX=() SOCKERR=() STATUS=() POS=() CONTENDED=()
declare -A ROUND_ORDER=()  # ROUND_ORDER[round] = "name1 name2 ..."

# round_orders NAME...: round r measures the NAMEs rotated right by r-1
# places (round 1 as given, round 2 with the last one first, ...), so that no
# one is always measured first or last. (The cyclic order stays the same.)
round_orders() {
  local -a names=("$@") order
  local r i c=$#
  for ((r = 1; r <= ROUNDS; r++)); do
    order=()
    for ((i = 0; i < c; i++)); do
      order+=("${names[(i - (r - 1) % c + c) % c]}")
    done
    ROUND_ORDER[$r]="${order[*]}"
  done
}

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

# record_wrk KEY RAWFILE WHAT: wrk's output in RAWFILE into RPS[KEY] P50 P99
# REQS NON2XX SOCKERR and STATUS[KEY]: "ok", "errors" (it saw non-2xx
# responses or socket errors) or "parse-failed" (output shown; WHAT names the
# measurement).
record_wrk() {
  local key=$1 raw=$2 what=$3 parsed
  parsed=$(parse_wrk "$raw")
  if [[ $parsed == FAIL ]]; then
    log "could not parse wrk output for $what:"; show_log "$raw"
    STATUS[$key]="parse-failed"
    return 0
  fi
  local rps p50 p99 reqs non2xx sockerr
  read -r rps p50 p99 reqs non2xx sockerr <<<"$parsed"
  RPS[$key]=$rps P50[$key]=$p50 P99[$key]=$p99 REQS[$key]=$reqs NON2XX[$key]=$non2xx SOCKERR[$key]=$sockerr
  STATUS[$key]="ok"
  if ((non2xx > 0 || sockerr > 0)); then STATUS[$key]="errors"; fi
}

# ------------------------------------------------------------- aggregation --
# stats V... -> "median min max count" over the numeric arguments (the median
# of an even count is the mean of the middle two), or "NaN NaN NaN 0".
stats() {
  awk 'BEGIN {
    n = 0
    for (i = 1; i < ARGC; i++) if (ARGV[i] ~ /^[0-9.]+$/) v[++n] = ARGV[i] + 0
    if (n == 0) { print "NaN NaN NaN 0"; exit }
    for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
    med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    printf "%.3f %.3f %.3f %d\n", med, v[1], v[n], n
  }' "$@"
}

# aggregate NAME...: per NAME and worker count, across rounds (only rounds with
# status "ok"): MED_* medians, *_MIN/*_MAX ranges, N_OK rounds used, N_CONT
# rounds with other load (CONTENDED); TOT_* totals over every round;
# AGG_STATUS.
declare -A MED_RPS=() MED_P50=() MED_P99=() RPS_MIN=() RPS_MAX=() P99_MIN=() P99_MAX=()
declare -A N_OK=() N_CONT=() TOT_REQS=() TOT_NON2XX=() TOT_SOCKERR=() AGG_STATUS=()
aggregate() {
  local t n r k st
  local -a vr vp50 vp99
  local -A cnt
  for n in "${WORKERS[@]}"; do
    for t in "$@"; do
      k="$t:$n"
      vr=() vp50=() vp99=()
      cnt=()
      local treq=0 tn2=0 tse=0 any=0 ncont=0
      for ((r = 1; r <= ROUNDS; r++)); do
        st=${STATUS[$k:$r]:-not-run}
        cnt[$st]=$(( ${cnt[$st]:-0} + 1 ))
        [[ -z ${CONTENDED[$k:$r]:-} ]] || ncont=$((ncont + 1))
        if [[ -n ${REQS[$k:$r]:-} ]]; then
          any=1
          treq=$((treq + ${REQS[$k:$r]})) tn2=$((tn2 + ${NON2XX[$k:$r]})) tse=$((tse + ${SOCKERR[$k:$r]}))
        fi
        [[ $st == ok ]] || continue
        vr+=("${RPS[$k:$r]}") vp50+=("${P50[$k:$r]}") vp99+=("${P99[$k:$r]}")
      done
      N_CONT[$k]=$ncont
      if ((any)); then TOT_REQS[$k]=$treq TOT_NON2XX[$k]=$tn2 TOT_SOCKERR[$k]=$tse; fi
      local med lo hi c
      read -r med lo hi c <<<"$(stats "${vr[@]+"${vr[@]}"}")"
      N_OK[$k]=$c
      if ((c > 0)); then
        MED_RPS[$k]=$med RPS_MIN[$k]=$lo RPS_MAX[$k]=$hi
        read -r med _ _ _ <<<"$(stats "${vp50[@]}")"; MED_P50[$k]=$med
        read -r med lo hi _ <<<"$(stats "${vp99[@]}")"; MED_P99[$k]=$med P99_MIN[$k]=$lo P99_MAX[$k]=$hi
      fi
      # "ok" when every round was ok, else e.g. "ok 2/3; errors 1" (no commas: CSV)
      if [[ ${cnt[ok]:-0} == "$ROUNDS" ]]; then
        AGG_STATUS[$k]="ok"
      elif ((${#cnt[@]} == 1)); then
        AGG_STATUS[$k]=${!cnt[*]}
      else
        local sum="ok ${cnt[ok]:-0}/$ROUNDS" s2
        for s2 in $(printf '%s\n' "${!cnt[@]}" | sort); do
          [[ $s2 == ok ]] || sum+="; $s2 ${cnt[$s2]}"
        done
        AGG_STATUS[$k]=$sum
      fi
    done
  done
}

# ----------------------------------------------------------------- reports --
ratio() {  # A B -> A/B with 2 decimals, or n/a
  awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
    if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b; else printf "n/a" }'
}
fmt_int() { awk -v v="${1:-}" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.0f", v; else printf "n/a" }'; }
fmt2() { awk -v v="${1:-}" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.2f", v; else printf "n/a" }'; }

# common_versions: sets ver_nginx ver_wrk ver_java ver_java_rt cpu_model.
common_versions() {
  ver_nginx=$(nginx -v 2>&1 | sed 's/^nginx version: nginx\///' || true)
  ver_wrk=$({ wrk -v 2>&1 || true; } | awk 'NR == 1 {print $2}')
  ver_java=$({ java -version 2>&1 || true; } | awk 'NR == 1' | tr -d '"')
  ver_java_rt=$({ java -version 2>&1 || true; } | awk 'NR == 2')
  cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
}

# md_run_info OTHER_VERSIONS: the report's Command, Date, Machine, Versions
# (OTHER_VERSIONS between nginx's and wrk's) and Repo lines.
md_run_info() {
  echo "- Command: \`$ORIG_CMD\`"
  echo "- Date: $DATE_START (finished $(date -u '+%H:%M:%S UTC'))"
  echo "- Machine: \`nproc\` = $(nproc); ${cpu_model:-unknown CPU}; Linux $(uname -r); load average at start $LOAD_START, at end $LOAD_END"
  echo "- Versions: nginx $ver_nginx; $1; wrk $ver_wrk; java: $ver_java ($ver_java_rt)"
  echo "- Repo: $GIT_REV (at start); Usher jar (copied at start, the copy was run): $JAR_INFO"
}

# killed_list: the servers that were SIGKILLed, e.g. "usher ×2, nginx ×1".
killed_list() {
  printf '%s\n' "${KILLED[@]}" | sort | uniq -c | awk '{printf "%s%s ×%d", (NR > 1 ? ", " : ""), $2, $1}'
}

# chart_data NAME...: $TMP/rps.dat (per NAME with data three columns: median /
# min / max req/s over the rounds) and $TMP/p99.dat (per NAME the median
# p99), one row per worker count; CHART_NS is how many NAMEs had data.
# Returns 1 (nothing written) when none had.
CHART_NS=0
chart_data() {
  local present=() t n
  for t in "$@"; do
    for n in "${WORKERS[@]}"; do
      if [[ -n ${MED_RPS[$t:$n]:-} ]]; then present+=("$t"); break; fi
    done
  done
  ((${#present[@]})) || return 1
  {
    printf 'workers'; printf ' %s min max' "${present[@]}"; echo
    for n in "${WORKERS[@]}"; do
      printf '"%s worker%s"' "$n" "$([[ $n == 1 ]] || echo s)"
      for t in "${present[@]}"; do
        printf ' %s %s %s' "${MED_RPS[$t:$n]:-?}" "${RPS_MIN[$t:$n]:-?}" "${RPS_MAX[$t:$n]:-?}"
      done
      echo
    done
  } >"$TMP/rps.dat"
  {
    printf 'workers'; printf ' %s' "${present[@]}"; echo
    for n in "${WORKERS[@]}"; do
      printf '"%s worker%s"' "$n" "$([[ $n == 1 ]] || echo s)"
      for t in "${present[@]}"; do printf ' %s' "${MED_P99[$t:$n]:-?}"; done
      echo
    done
  } >"$TMP/p99.dat"
  CHART_NS=${#present[@]}
}

# gnuplot_chart TITLE: draws chart_data's files into PNG with gnuplot (which
# must be installed): median req/s with min–max bars, and median p99. Sets
# CHART_NOTE=gnuplot, or returns 1 (gnuplot's log shown) if it failed.
gnuplot_chart() {
  local title=$1 dat_rps="$TMP/rps.dat" dat_p99="$TMP/p99.dat"
  local term="pngcairo size 1280,560 font 'DejaVu Sans,10'"
  gnuplot -e "set terminal pngcairo" >/dev/null 2>&1 </dev/null || term="png size 1280,560"
  cat >"$TMP/chart.gp" <<EOF
set terminal $term
set output '$PNG'
set datafile missing '?'
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.9 relative
set grid ytics
set key top right
set key autotitle columnheader
set yrange [0:*]
set xrange [-0.6:${#WORKERS[@]} - 0.4]
set offsets 0, 0, graph 0.12, 0
set xtics nomirror
ns = $CHART_NS
xpos(j) = column(0) + (j - (ns - 1) / 2.0) / (ns + 1.0)
set multiplot layout 1,2 title "$title"
set title "Throughput, median req/s (bars: min–max over rounds; higher is better)"
set style histogram errorbars gap 1 lw 1
plot for [j=0:ns-1] '$dat_rps' using (column(2+3*j)):(column(3+3*j)):(column(4+3*j)):xtic(1) title columnheader(2+3*j), \\
     for [j=0:ns-1] '$dat_rps' using (xpos(j)):(column(4+3*j)):(sprintf("%.0f", column(2+3*j))) with labels offset 0,0.6 font ',8' notitle
set title "Median p99 latency (ms, lower is better)"
set style histogram clustered gap 1
plot for [i=2:ns+1] '$dat_p99' using i:xtic(1) title columnheader(i), \\
     for [i=2:ns+1] '$dat_p99' using (xpos(i-2)):i:(sprintf("%.2f", column(i))) with labels offset 0,0.6 font ',8' notitle
unset multiplot
EOF
  if gnuplot "$TMP/chart.gp" >"$TMP/gnuplot.log" 2>&1 </dev/null && [[ -s $PNG ]]; then
    CHART_NOTE="gnuplot"
    return 0
  fi
  log "gnuplot failed:"; show_log "$TMP/gnuplot.log"
  return 1
}
