#!/bin/bash
# Ray head node (ray[default] in its own venv) with the dashboard/Jobs API on 127.0.0.1:8265.
# Usage: bash tools/testbed/ray.sh install|up|down
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
D="$NR_TESTBED_DIR/ray"
VENV=${NR_TESTBED_RAY_VENV:-/opt/nr-testbed/ray-venv}
RAY_SPEC=${NR_TESTBED_RAY_SPEC:-ray[default]}
DASH_PORT=8265
GCS_PORT=${NR_TESTBED_RAY_GCS_PORT:-6379}

ray_install() {
  [ -x "$VENV/bin/ray" ] && return 0
  tb_apt_install python3-venv
  tb_log "pip install '$RAY_SPEC' into $VENV"
  mkdir -p "$(dirname "$VENV")"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "$RAY_SPEC" >"$NR_TESTBED_DIR/log/ray-pip.log" 2>&1 \
    || { tail -20 "$NR_TESTBED_DIR/log/ray-pip.log" >&2; rm -rf "$VENV"; tb_die "pip install $RAY_SPEC failed"; }
}

ray_down() {
  # `ray start --block` runs as the leader of its own session (see ray_up); every Ray process it starts stays
  # in that session. SIGTERM the whole session at once (by pid), SIGKILL whatever is left after 10 s.
  local sid pids
  sid=$(tb_pidfile_pid "$D/ray.pid")
  if [ -n "$sid" ]; then
    pids=$(ps -eo pid=,sid= | awk -v s="$sid" '$2==s {print $1}')
    # shellcheck disable=SC2086
    NR_TB_QUIET=1 tb_kill_pids 5 $pids   # some Ray processes ignore SIGTERM; state is throwaway anyway
    pids=$(ps -eo pid=,sid= | awk -v s="$sid" '$2==s {print $1}')
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
  fi
  rm -f "$D/ray.pid"
  tb_env_clear ray
}

ray_up() {
  ray_down
  [ -x "$VENV/bin/ray" ] || ray_install
  mkdir -p "$D/tmp"
  rm -rf "$D/tmp/session_"*
  # RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0: otherwise Ray swaps --node-ip-address=127.0.0.1 for the host's routable IP
  rm -f "$D/ray.pid"
  # bash writes its own pid, then execs setsid, which (not being a process-group leader here) execs ray in
  # place: the pid file holds the `ray start --block` pid, which is also the session id of every Ray process.
  tb_ns env RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 RAY_USAGE_STATS_ENABLED=0 RAY_DISABLE_USAGE_STATS=1 \
    bash -c 'echo $$ >"$0"; exec setsid "$@"' "$D/ray.pid" \
    "$VENV/bin/ray" start --head --block --port="$GCS_PORT" --node-ip-address=127.0.0.1 \
    --dashboard-host=127.0.0.1 --dashboard-port=$DASH_PORT --include-dashboard=true --num-cpus=2 \
    --temp-dir="$D/tmp" --disable-usage-stats </dev/null >"$D/ray-start.log" 2>&1 &
  tb_wait 10 "ray pid file" test -s "$D/ray.pid"
  local i ok=0
  for ((i = 0; i < 600; i++)); do
    tb_pid_alive "$(cat "$D/ray.pid")" || { tail -30 "$D/ray-start.log" >&2; tb_die "ray start exited, see $D/ray-start.log"; }
    if tb_ns "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$DASH_PORT/api/version', timeout=2)" 2>/dev/null; then
      ok=1; break
    fi
    sleep 0.2
  done
  [ $ok = 1 ] || tb_die "Ray dashboard did not answer on 127.0.0.1:$DASH_PORT within 120s, see $D/ray-start.log"
  tb_env_set ray NR_TESTBED_RAY=1 NR_TESTBED_RAY_ADDRESS="http://127.0.0.1:$DASH_PORT" \
    NR_TESTBED_RAY_GCS_ADDRESS="127.0.0.1:$GCS_PORT" NR_TESTBED_RAY_PYTHON="$VENV/bin/python" \
    NR_TESTBED_RAY_BIN="$VENV/bin"
}

case "${1:-}" in
  install) tb_require_root; tb_init_dirs; ray_install ;;
  up) tb_require_root; tb_init_dirs; tb_netns_up; ray_up ;;
  down) tb_require_root; ray_down ;;
  *) echo "usage: $0 install|up|down" >&2; exit 2 ;;
esac
