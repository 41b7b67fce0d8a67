#!/bin/bash
# SkyPilot (its own venv) with its API server on 127.0.0.1:$NR_TESTBED_SKY_PORT (default 46580) in the
# netns, and SkyPilot's Slurm infra `slurm/localslurm` pointing at the testbed's Slurm through an sshd
# of its own (127.0.0.1:$NR_TESTBED_SKY_SSH_PORT, default 2223) for the remote user skyci.
# Usage: bash tools/testbed/sky.sh install|up|down      (up.sh/down.sh call this)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib.sh"
S="$NR_TESTBED_DIR/sky"
VENV=${NR_TESTBED_SKY_VENV:-/opt/nr-testbed/sky-venv}
WHEELHOUSE=${NR_TESTBED_SKY_WHEELHOUSE:-/opt/nr-testbed/sky-wheelhouse}
SKY_VERSION=0.14.1
SKY_SPEC="skypilot==$SKY_VERSION"
UV_SPEC="uv==0.13.9"
PORT=${NR_TESTBED_SKY_PORT:-46580}
SSH_PORT=${NR_TESTBED_SKY_SSH_PORT:-2223}
# The memory SkyPilot sizes its API server for (its own pod-limit knob). Sized from the host's 24 GB it
# starts 12 managed-jobs controllers (~160 MB and a full `import sky` each) on this 2-core box at boot.
MEMORY_GB=${NR_TESTBED_SKY_MEMORY_GB:-6}
RUSER=skyci                          # SkyPilot's "remote" user on the Slurm login node (this host)
RHOME=/home/$RUSER
CI="$RHOME/.ci"                      # the remote user's offline shims (uv, curl), wheelhouse link, uv cache
SKY_HOME="$S/home"                   # isolated HOME of the API server and of its clients (tests)
CLUSTER=localslurm
INFRA="slurm/$CLUSTER"
API_URL="http://127.0.0.1:$PORT"
LOG="$NR_TESTBED_DIR/log"
TELEMETRY_OFF=(SKYPILOT_DISABLE_USAGE_COLLECTION=1 DO_NOT_TRACK=1 SCARF_NO_ANALYTICS=1)
# Everything SkyPilot's remote runtime needs (uv pip install "<sky wheel>[slurm,remote]"), plus what
# `uv venv --seed` and the API server's `pip wheel` of SkyPilot need (pip, setuptools, wheel).
WHEEL_REQS=("skypilot[slurm,remote]==$SKY_VERSION" pip setuptools wheel)

sky_fail() {  # sky_fail log message: show the log's tail, then die naming it
  [ -s "$1" ] && tail -25 "$1" >&2
  tb_die "$2 (log: $1)"
}

# --- install (normal namespace: the registries are reachable) ----------------------------------------
sky_venv_ok() {
  [ -x "$VENV/bin/sky" ] && [ -x "$VENV/bin/uv" ] && [ "$("$VENV/bin/python" -I -c \
    'import importlib.metadata as m; print(m.version("skypilot"))' 2>/dev/null)" = "$SKY_VERSION" ]
}

sky_install_venv() {
  sky_venv_ok && return 0
  tb_log "pip install $SKY_SPEC $UV_SPEC into $VENV (never in the same venv as Ray)"
  mkdir -p "$(dirname "$VENV")"
  [ -x "$VENV/bin/pip" ] || /usr/bin/python3 -m venv "$VENV" || tb_die "python3 -m venv $VENV failed"
  "$VENV/bin/pip" install -q "$SKY_SPEC" "$UV_SPEC" >"$LOG/sky-pip.log" 2>&1 \
    || { rm -rf "$VENV"; sky_fail "$LOG/sky-pip.log" "pip install $SKY_SPEC $UV_SPEC failed"; }
}

sky_install_wheelhouse() {
  # Wheels for the remote runtime, pinned to the versions in the venv (so both sides match), built
  # here because the netns has no route to the index. Stamped with the requirement list.
  local stamp="$WHEELHOUSE/.complete" want="${WHEEL_REQS[*]}"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  tb_log "pip wheel ${WHEEL_REQS[*]} into $WHEELHOUSE"
  rm -rf "$WHEELHOUSE"; mkdir -p "$WHEELHOUSE"
  "$VENV/bin/pip" freeze --all | grep -v -e '^uv==' -e '^-e ' >"$WHEELHOUSE/constraints.txt"
  "$VENV/bin/pip" wheel -q --wheel-dir "$WHEELHOUSE" -c "$WHEELHOUSE/constraints.txt" "${WHEEL_REQS[@]}" \
    >"$LOG/sky-wheelhouse.log" 2>&1 || sky_fail "$LOG/sky-wheelhouse.log" "pip wheel for the sky wheelhouse failed"
  chmod -R a+rX "$WHEELHOUSE"
  echo "$want" >"$stamp"
}

sky_install_remote_user() {
  id -u "$RUSER" >/dev/null 2>&1 || useradd -m -d "$RHOME" -s /bin/bash "$RUSER" || tb_die "useradd $RUSER failed"
  usermod -p '*' "$RUSER"   # a fresh useradd account is locked; '*' = no password but not locked (key-only)
  mkdir -p "$CI/bin" "$CI/libexec"
  install -m 755 "$HERE/sky/remote-uv.sh" "$CI/bin/uv"
  install -m 755 "$HERE/sky/remote-curl.sh" "$CI/bin/curl"
  install -m 755 "$VENV/bin/uv" "$CI/libexec/uv"
  ln -sfn "$WHEELHOUSE" "$CI/wheelhouse"
  # First line of the rc files, so it also applies to non-interactive ssh commands.
  local f line="export PATH=$CI/bin:\$PATH ${TELEMETRY_OFF[*]} UV_PYTHON_DOWNLOADS=never  # nr-testbed-sky"
  for f in "$RHOME/.bashrc" "$RHOME/.profile"; do
    { echo "$line"; grep -v '# nr-testbed-sky$' "$f" 2>/dev/null || true; } >"$f.tmp"; mv "$f.tmp" "$f"
  done
  chown -R "$RUSER:" "$RHOME"
}

sky_install_prewarm() {
  # Run the remote runtime install once, as skyci and offline, through the shims: it proves the
  # wheelhouse is complete now (not at the first launch) and fills the uv cache the launches use.
  local stamp="$CI/uv-cache/.warm" want; want=$(cat "$WHEELHOUSE/.complete")
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  tb_log "warming $RUSER's uv cache from the wheelhouse (offline)"
  rm -rf "$CI/uv-cache"
  # shellcheck disable=SC2016  # the script is for the inner bash
  runuser -u "$RUSER" -- env -i HOME="$RHOME" PATH="$CI/bin:/usr/bin:/bin" bash -c '
    set -e; t=$(mktemp -d); trap "rm -rf $t" EXIT
    uv venv -q --seed "$t/venv" --python 3.10
    VIRTUAL_ENV="$t/venv" UV_LINK_MODE=copy uv pip install -q "skypilot[slurm,remote]"
    HOME="$t" "$t/venv/bin/python" -c "import sky, hostlist, grpc"' >"$LOG/sky-prewarm.log" 2>&1 \
    || sky_fail "$LOG/sky-prewarm.log" "offline install of the SkyPilot runtime from $WHEELHOUSE failed"
  echo "$want" >"$stamp"; chown "$RUSER:" "$stamp"
}

sky_install() {
  tb_apt_install python3-venv openssh-server openssh-client rsync netcat-openbsd
  sky_install_venv
  # test-only startup hook (telemetry off, offline network-probe redirect): see sky/nr_testbed_sky_shim.py
  local site="$VENV/lib/python3.11/site-packages"
  install -m 644 "$HERE/sky/nr_testbed_sky_shim.py" "$site/nr_testbed_sky_shim.py"
  echo 'import nr_testbed_sky_shim' >"$site/nr_testbed_sky_shim.pth"
  sky_install_wheelhouse
  sky_install_remote_user
  sky_install_prewarm
}

# --- processes -----------------------------------------------------------------------------------------
sky_tree() {  # every descendant of pid $1 (not $1 itself)
  ps -eo pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      seen[root] = 1; grew = 1
      while (grew) { grew = 0; for (p in parent) if (!(p in seen) && (parent[p] in seen)) { seen[p] = 1; grew = 1 } }
      for (p in seen) if (p != root) print p
    }'
}

sky_stop_server() {
  # The API server runs below subreaper.py (see sky/subreaper.py): every process it started, detached
  # or not, is below that pid. SIGTERM them all, SIGKILL what is left after 3 s (the server and its
  # executors ignore SIGTERM; `sky api stop` itself SIGKILLs them; the state is throwaway: `up` starts
  # from an empty HOME), twice in case something was spawned meanwhile; then the subreaper.
  local sup pids i
  sup=$(tb_pidfile_pid "$S/api-server.pid")
  if tb_pid_alive "$sup"; then
    for i in 1 2; do
      pids=$(sky_tree "$sup")
      [ -n "$pids" ] || break
      # shellcheck disable=SC2086
      NR_TB_QUIET=1 tb_kill_pids 3 $pids
    done
    tb_kill_pid "$sup" "sky subreaper" 5
  fi
  rm -f "$S/api-server.pid"
}

sky_stop_remote() {
  # What the clusters left on the "remote" side: Slurm jobs of the remote user (by job id; their
  # batch scripts clean up the cluster's directories on exit, so give them time), then any process of
  # that user still running (skylet, subprocess daemons, ssh sessions) by pid, then what the batch
  # scripts did not clean: ~skyci/.sky_clusters/<c> and the runtime dirs /tmp/<c> (owned by skyci and
  # marked by SkyPilot with .sky/.sky_slurm_cluster). The user is the testbed's own.
  id -u "$RUSER" >/dev/null 2>&1 || return 0
  local jobs pids d i
  if [ -e "$(tb_netns_path)" ]; then
    jobs=$(tb_ns squeue -h -u "$RUSER" -o %A 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      tb_log "scancel $RUSER's Slurm jobs: ${jobs//$'\n'/ }"
      # shellcheck disable=SC2086
      tb_ns scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do
        [ -z "$(tb_ns squeue -h -u "$RUSER" -o %A 2>/dev/null)" ] && break
        sleep 0.2
      done
    fi
  fi
  pids=$(ps -o pid= -u "$RUSER" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [ -z "$pids" ] || NR_TB_QUIET=1 tb_kill_pids 5 $pids
  rm -rf "$RHOME/.sky_clusters"
  for d in /tmp/*/.sky/.sky_slurm_cluster; do
    [ -f "$d" ] || continue
    d=${d%/.sky/.sky_slurm_cluster}
    if [ "$(stat -c %U "$d")" = "$RUSER" ]; then rm -rf "$d"; fi
  done
}

sky_down() {
  sky_stop_server
  sky_stop_remote
  tb_kill_pidfile "$S/sshd/sshd.pid" "sky sshd" 10
  tb_env_clear sky
}

# --- up (daemons in the netns) -------------------------------------------------------------------------
sky_client_env() {  # the environment of an SDK/CLI client of the testbed's server (as conftest's sky_env)
  printf '%s\n' PATH="$VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    HOME="$SKY_HOME" LANG=C.UTF-8 "${TELEMETRY_OFF[@]}" SKYPILOT_API_SERVER_ENDPOINT="$API_URL" \
    SKYPILOT_API_SERVER_LOCAL_PORT="$PORT" SKYPILOT_DISABLE_LOCAL_API_SERVER=1
}

sky_sshd_up() {
  # SkyPilot's login node. An sshd of its own: the testbed's sshd (ssh.sh) allows only root and nrtest
  # (AllowUsers) and rewrites its authorized_keys at every start, and must not be reconfigured here.
  local d="$S/sshd"
  mkdir -p "$d" /run/sshd
  chmod 711 "$d"   # sshd reads AuthorizedKeysFile as the target user: traversable, not listable
  [ -f "$d/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/host_ed25519" -C nr-testbed-sky-host
  [ -f "$d/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$d/client_ed25519" -C nr-testbed-sky-client
  chmod 600 "$d/host_ed25519" "$d/client_ed25519"
  install -m 644 "$d/client_ed25519.pub" "$d/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$d/host_ed25519.pub")" >"$d/known_hosts"
  chmod 644 "$d/known_hosts"
  cat >"$d/sshd_config" <<EOC
# written by tools/testbed/sky.sh: the login node of SkyPilot's Slurm infra $INFRA
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/host_ed25519
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys .ssh/authorized_keys
AllowUsers $RUSER
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
GatewayPorts no
X11Forwarding no
PrintMotd no
UseDNS no
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp internal-sftp
LogLevel INFO
EOC
  tb_port_open "$SSH_PORT" && tb_die "127.0.0.1:$SSH_PORT is already in use in netns $NR_TESTBED_NETNS (set NR_TESTBED_SKY_SSH_PORT)"
  /usr/sbin/sshd -t -f "$d/sshd_config" || tb_die "sshd config test failed ($d/sshd_config)"
  tb_ns /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log" || sky_fail "$d/sshd.log" "sky sshd failed to start"
  tb_wait 10 "sky sshd pid file" test -s "$d/sshd.pid"
  # The remote user logs in and can submit to the testbed's Slurm (--test-only: nothing is queued).
  tb_ns ssh -F none -p "$SSH_PORT" -i "$d/client_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$d/known_hosts" -o ConnectTimeout=10 \
    "$RUSER@127.0.0.1" 'sbatch --test-only --wrap true' >"$d/login-check.log" 2>&1 \
    || sky_fail "$d/login-check.log" "$RUSER cannot log in over 127.0.0.1:$SSH_PORT and sbatch (sshd log: $d/sshd.log)"
}

sky_write_home() {
  # A fresh HOME at every up: clusters of an earlier run were cancelled by down, so their state is stale.
  rm -rf "$SKY_HOME"
  mkdir -p "$SKY_HOME/.sky" "$SKY_HOME/.slurm"
  cat >"$SKY_HOME/.sky/config.yaml" <<EOC
# written by tools/testbed/sky.sh
allowed_clouds: [slurm]
jobs:
  controller:
    consolidation_mode: true   # the managed-jobs controller runs inside the API server
slurm:
  sbatch_options:
    time: "2:00:00"            # partition debug has neither MaxTime nor DefaultTime
EOC
  cat >"$SKY_HOME/.slurm/config" <<EOC
# written by tools/testbed/sky.sh: SkyPilot's Slurm infra $INFRA
Host $CLUSTER
  HostName 127.0.0.1
  Port $SSH_PORT
  User $RUSER
  IdentityFile $S/sshd/client_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $S/sshd/known_hosts
  StrictHostKeyChecking yes
EOC
}

sky_server_up() {
  tb_port_open "$PORT" && tb_die "127.0.0.1:$PORT is already in use in netns $NR_TESTBED_NETNS (another SkyPilot API server?); set NR_TESTBED_SKY_PORT"
  rm -f "$S/api-server.pid"
  # env -i: nothing of the caller's environment (SKYPILOT_*, PIP_*) reaches the server.
  # PIP_NO_INDEX/PIP_FIND_LINKS: the server builds SkyPilot's wheel with `pip wheel` (build isolation
  # fetches setuptools) and the netns has no index. SKY_NETCHECK_URL: see sky/nr_testbed_sky_shim.py.
  # `sky api start --foreground` execs the server in place, below the subreaper (sky/subreaper.py).
  tb_ns setsid env -i PATH="$VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    HOME="$SKY_HOME" LANG=C.UTF-8 "${TELEMETRY_OFF[@]}" SKYPILOT_API_SERVER_LOCAL_PORT="$PORT" \
    SKYPILOT_POD_MEMORY_GB_LIMIT="$MEMORY_GB" SKY_NETCHECK_URL="$API_URL/api/health" \
    PIP_NO_INDEX=1 PIP_FIND_LINKS="$WHEELHOUSE" PIP_DISABLE_PIP_VERSION_CHECK=1 \
    /usr/bin/python3 -I "$HERE/sky/subreaper.py" "$S/api-server.pid" \
    "$VENV/bin/sky" api start --foreground --host 127.0.0.1 </dev/null >"$S/api-server.log" 2>&1 &
  tb_wait 30 "sky API server pid file" test -s "$S/api-server.pid"
  local i sup; sup=$(tb_pidfile_pid "$S/api-server.pid")
  for ((i = 0; i < 360; i++)); do
    tb_pid_alive "$sup" || sky_fail "$S/api-server.log" "SkyPilot API server exited"
    tb_ns "$VENV/bin/python" -I -c "import urllib.request; urllib.request.urlopen('$API_URL/api/health', timeout=2)" \
      2>/dev/null && return 0
    sleep 0.5
  done
  sky_fail "$S/api-server.log" "SkyPilot API server did not answer $API_URL/api/health within 180s"
}

sky_check_infra() {
  # What `sky check slurm` does, through the SDK: the server must report the Slurm infra enabled.
  local env; mapfile -t env < <(sky_client_env)
  tb_ns env -i "${env[@]}" "$VENV/bin/python" - "$CLUSTER" >"$S/check.log" 2>&1 <<'PY' \
    || sky_fail "$S/check.log" "SkyPilot does not see the Slurm infra as enabled"
import sys
from sky.client import sdk
result = sdk.get(sdk.check(("slurm",), verbose=True))
enabled = sdk.get(sdk.enabled_clouds(expand=True))
print("check:", result)
print("enabled:", enabled)
want = f"slurm/{sys.argv[1]}"
if want not in [str(c).lower() for c in enabled]:
    sys.exit(f"{want} is not among the enabled infra {enabled}")
PY
}

sky_up() {
  local t
  sky_down
  [ -s "$TB_ENVD/slurm.env" ] || tb_die "sky needs the testbed's Slurm, which is not up: sudo bash $HERE/up.sh slurm sky"
  if ! sky_venv_ok || [ ! -f "$CI/uv-cache/.warm" ]; then sky_install; fi
  mkdir -p "$S"
  t=$(tb_now); sky_sshd_up; tb_log "sky: sshd + $RUSER login + sbatch check $(tb_since "$t")s"
  sky_write_home
  t=$(tb_now); sky_server_up; tb_log "sky: API server healthy at $API_URL after $(tb_since "$t")s"
  t=$(tb_now); sky_check_infra; tb_log "sky: $INFRA enabled (check $(tb_since "$t")s)"
  tb_env_set sky NR_TESTBED_SKY=1 NR_TESTBED_SKY_API_URL="$API_URL" NR_TESTBED_SKY_PYTHON="$VENV/bin/python" \
    NR_TESTBED_SKY_BIN="$VENV/bin" NR_TESTBED_SKY_HOME="$SKY_HOME" NR_TESTBED_SKY_INFRA="$INFRA" \
    NR_TESTBED_SKY_REMOTE_USER="$RUSER" NR_TESTBED_SKY_SSH_PORT="$SSH_PORT"
}

case "${1:-}" in
  install) tb_require_root; tb_init_dirs; sky_install ;;
  up) tb_require_root; tb_init_dirs; tb_netns_up; sky_up ;;
  down) tb_require_root; sky_down ;;
  *) echo "usage: $0 install|up|down" >&2; exit 2 ;;
esac
