#!/usr/bin/env bash
# Usher (--protocol uwsgi) vs nginx (uwsgi_pass) in front of one uWSGI server running
# bench/uwsgi_app.py, driven by wrk, all on 127.0.0.1. This script starts and stops the servers and
# runs wrk; bench/report.py writes bench/results/uwsgi-bench.{md,csv,png}. See bench/README.md.
set -euo pipefail
set +m  # see start_bg in lib.sh
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

DURATION=10s ROUNDS=3 CONNECTIONS=50 THREADS=1 WORKERS="1 2" WARMUP=20s
UWSGI_PROCESSES=2 UWSGI_LISTEN=100 PROFILE=0
OUT=$REPO_ROOT/bench/results
JAR=$REPO_ROOT/proxy-image/target/usher-proxy.jar

usage() {
  cat <<EOF
Usage: bash bench/uwsgi-bench.sh [options]
  --duration D         wrk run per front and round ($DURATION)
  --rounds N           interleaved rounds per worker count; the report gives medians ($ROUNDS)
  --connections C      wrk connections ($CONNECTIONS)
  --threads T          wrk threads ($THREADS)
  --workers "1 2"      nginx worker processes / Usher event loops ($WORKERS)
  --warmup D           wrk on a fresh Usher before the rounds, not counted ($WARMUP)
  --uwsgi-processes P  uWSGI worker processes ($UWSGI_PROCESSES)
  --uwsgi-listen N     uWSGI's listen backlog: above the requests in flight, or SYNs drop ($UWSGI_LISTEN)
  --profile            one more run of Usher per worker count under JFR (CPU and allocation)
  --jar PATH           Usher's jar (proxy-image/target/usher-proxy.jar)
  --out DIR            reports here, raw files in DIR/raw/uwsgi ($OUT)
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
    --warmup) WARMUP=$2 ;;
    --uwsgi-processes) UWSGI_PROCESSES=$2 ;;
    --uwsgi-listen) UWSGI_LISTEN=$2 ;;
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
RAW=$OUT/raw/uwsgi

need_tools nginx uwsgi wrk java curl python3 setsid timeout
((PROFILE == 0)) || need_tools jcmd jfr
setup_run uwsgi-bench
copy_jar
cp "$SCRIPT_DIR/uwsgi_app.py" "$TMP/"
BODY=$(cd "$TMP" && python3 -B -c 'import uwsgi_app, sys; sys.stdout.write(uwsgi_app.BODY.decode())')

UWSGI_PORT=$(free_port)
# --need-app: exit rather than serve 500s; --die-on-term: SIGTERM stops it (uWSGI 2.0 would reload).
UWSGI_CMD=(uwsgi --strict --plugin python3 --uwsgi-socket "127.0.0.1:$UWSGI_PORT" --master
  --processes "$UWSGI_PROCESSES" --threads 1 --listen "$UWSGI_LISTEN" --disable-logging
  --die-on-term --need-app --wsgi-file "$TMP/uwsgi_app.py")
{
  echo "nginx: $(nginx -v 2>&1 | cut -d/ -f2)"
  echo "uwsgi: $(uwsgi --version)"
  echo "load: wrk --latency -t$THREADS -c$CONNECTIONS -d${DURATION_S}s, $ROUNDS interleaved rounds"
  echo "backend: ${UWSGI_CMD[*]:0:2} … --processes $UWSGI_PROCESSES --threads 1 --listen $UWSGI_LISTEN, bench/uwsgi_app.py (fixed 100-byte body)"
  echo "usher: java $(usher_jvm_flags) ${USHER_JAVA_OPTS:-}-jar usher-proxy.jar --protocol uwsgi --event-loops N ${USHER_ARGS:-}, after ${WARMUP_S}s of wrk (not counted)"
} >>"$RAW/meta.txt"
start_bg "$TMP/uwsgi.log" "${UWSGI_CMD[@]}"
UWSGI_PID=$LAST_PID
wait_tcp "$UWSGI_PORT" "$UWSGI_PID" || { cat "$TMP/uwsgi.log" >&2; die "uWSGI did not start"; }

declare -A PID PORT
for n in $WORKERS; do
  log "===== $n worker(s) / event loop(s) ====="
  PORT[nginx]=$(free_port) PORT[usher]=$(free_port)
  nginx_start "$TMP/nginx-w$n" "$n" "
    server {
        listen 127.0.0.1:${PORT[nginx]} backlog=4096;
        location / {
            include /etc/nginx/uwsgi_params;
            uwsgi_pass 127.0.0.1:$UWSGI_PORT;
        }
    }"
  PID[nginx]=$LAST_PID
  usher_start "$TMP/usher-w$n.log" "${PORT[usher]}" "$(free_port)" \
    --upstream "127.0.0.1:$UWSGI_PORT" --protocol uwsgi --event-loops "$n"
  PID[usher]=$LAST_PID
  for t in nginx usher; do
    wait_http "http://127.0.0.1:${PORT[$t]}/" "${PID[$t]}" || die "$t did not start (logs in $TMP)"
  done
  snap "$RAW/usher-w$n.started" "usher=${PID[usher]}"
  log "usher: ${WARMUP_S}s warm-up"
  start_bg "$RAW/usher-w$n.warmup.wrk" timeout -k 5 $((WARMUP_S + 30)) \
    wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP_S}s" "http://127.0.0.1:${PORT[usher]}/"
  wpid=$LAST_PID
  wait "$wpid" || die "warm-up wrk failed"
  stop_pid "$wpid"
  sleep 1
  for ((r = 1; r <= ROUNDS; r++)); do
    pos=0
    for t in $(rotated "$r" nginx usher); do
      pos=$((pos + 1))
      measure "$t" "$n" "$r" "$pos" "${PORT[$t]}" "$BODY" "target=${PID[$t]}" "backend=$UWSGI_PID"
      alive "$UWSGI_PID" || die "uWSGI died"
      sleep 1
    done
  done
  if ((PROFILE)); then
    profile_usher "$n" "${PORT[usher]}" "${PID[usher]}" "backend=$UWSGI_PID"
  fi
  sleep 2
  snap "$RAW/idle-w$n.after" "nginx=${PID[nginx]}" "usher=${PID[usher]}"
  stop_pid "${PID[nginx]}"
  stop_pid "${PID[usher]}"
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RAW/meta.txt"
stop_pid "$UWSGI_PID"

"$PYTHON" "$SCRIPT_DIR/report.py" uwsgi "$RAW" "$OUT"
