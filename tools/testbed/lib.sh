#!/bin/bash
# Shared helpers for the nr testbed scripts. Source it; do not run it.
# Everything the testbed creates lives under $NR_TESTBED_DIR; every server runs in netns $NR_TESTBED_NETNS.
set -euo pipefail

NR_TESTBED_DIR=${NR_TESTBED_DIR:-/tmp/nr-testbed}
NR_TESTBED_NETNS=${NR_TESTBED_NETNS:-nrtest}
NR_TESTBED_ENV_FILE="$NR_TESTBED_DIR/testbed.env"
TB_ENVD="$NR_TESTBED_DIR/env.d"          # one fragment per running backend, merged into testbed.env
TB_BACKENDS="slurm ssh docker ray podman sky"
export NR_TESTBED_DIR NR_TESTBED_NETNS DEBIAN_FRONTEND=noninteractive

tb_log()  { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
tb_die()  { printf '[testbed] ERROR: %s\n' "$*" >&2; exit 1; }
tb_now()  { date +%s.%N; }
tb_since() { awk -v a="$1" -v b="$(tb_now)" 'BEGIN{printf "%.1f", b-a}'; }

tb_require_root() { [ "$(id -u)" = 0 ] || tb_die "run as root (sudo bash $0 ...)"; }

# --- installs (normal namespace; only what is missing) ---------------------------------------------
tb_apt_updated=0
tb_apt_install() {  # tb_apt_install pkg...   installs only packages that are not yet installed
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  tb_log "apt-get install ${missing[*]}"
  if [ "$tb_apt_updated" = 0 ]; then
    # third-party lists on this machine may be unreachable; Debian's own lists are what we need
    apt-get update -qq >/dev/null 2>&1 || tb_log "apt-get update reported errors (continuing)"
    tb_apt_updated=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$NR_TESTBED_DIR/log/apt.log" 2>&1 \
    || { tail -20 "$NR_TESTBED_DIR/log/apt.log" >&2; tb_die "apt-get install ${missing[*]} failed"; }
}

# --- network namespace ---------------------------------------------------------------------------------
tb_netns_path() { echo "/run/netns/$NR_TESTBED_NETNS"; }
tb_netns_up() {
  if [ ! -e "$(tb_netns_path)" ]; then
    ip netns add "$NR_TESTBED_NETNS" || tb_die "ip netns add $NR_TESTBED_NETNS failed (need root + CAP_SYS_ADMIN)"
  fi
  ip -n "$NR_TESTBED_NETNS" link set lo up
  # A second loopback address: glibc's getaddrinfo(AI_ADDRCONFIG) ignores 127.0.0.1 itself, so in a lo-only
  # netns a passive lookup (slurmdbd/slurmctld listening on "any") fails with "Address family not supported".
  ip -n "$NR_TESTBED_NETNS" -4 addr show dev lo | grep -q '127\.0\.0\.2/' \
    || ip -n "$NR_TESTBED_NETNS" addr add 127.0.0.2/8 dev lo
  # sanity: only loopback, no routes off the box
  if ip -n "$NR_TESTBED_NETNS" -o link show | grep -v ': lo:' | grep -q .; then
    tb_die "netns $NR_TESTBED_NETNS has non-loopback interfaces"
  fi
}
tb_netns_down() { [ -e "$(tb_netns_path)" ] && ip netns del "$NR_TESTBED_NETNS" || true; }
# Run a command inside the testbed netns. nsenter --net (not `ip netns exec`): `ip netns exec` also
# unshares the mount namespace and remounts /sys, which hides /sys/fs/cgroup (dockerd/runc need it).
tb_ns() { nsenter --net="$(tb_netns_path)" -- "$@"; }

# --- processes -----------------------------------------------------------------------------------------
tb_pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
tb_pidfile_pid() { [ -s "$1" ] && tr -dc '0-9' <"$1" || true; }
tb_kill_pid() {  # tb_kill_pid pid [name] [timeout_s]: SIGTERM, wait, then SIGKILL
  local pid=$1 name=${2:-process} t=${3:-20} i
  tb_pid_alive "$pid" || return 0
  kill "$pid" 2>/dev/null || true
  for ((i = 0; i < t * 10; i++)); do tb_pid_alive "$pid" || return 0; sleep 0.1; done
  tb_log "$name (pid $pid) ignored SIGTERM for ${t}s; SIGKILL"
  kill -9 "$pid" 2>/dev/null || true
}
tb_kill_pids() {  # tb_kill_pids timeout_s pid...: SIGTERM all at once, wait, SIGKILL survivors
  local t=$1 i p alive; shift
  [ $# -gt 0 ] || return 0
  kill "$@" 2>/dev/null || true
  for ((i = 0; i < t * 10; i++)); do
    alive=""; for p in "$@"; do tb_pid_alive "$p" && alive="$alive $p"; done
    [ -z "$alive" ] && return 0
    sleep 0.1
  done
  [ "${NR_TB_QUIET:-0}" = 1 ] || tb_log "pids$alive ignored SIGTERM for ${t}s; SIGKILL"
  kill -9 $alive 2>/dev/null || true
}
tb_kill_pidfile() {  # tb_kill_pidfile file [name] [timeout]
  local pid; pid=$(tb_pidfile_pid "$1")
  [ -n "$pid" ] && tb_kill_pid "$pid" "${2:-$1}" "${3:-20}"
  rm -f "$1"
}
tb_wait() {  # tb_wait timeout_s description cmd...: poll every 0.2 s until cmd succeeds
  local t=$1 what=$2 i; shift 2
  for ((i = 0; i < t * 5; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  tb_die "timed out after ${t}s waiting for $what"
}
tb_port_open() { tb_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# --- env file ------------------------------------------------------------------------------------------
tb_env_set() {  # tb_env_set backend KEY=VALUE...   (fragment for one backend)
  local b=$1; shift
  mkdir -p "$TB_ENVD"
  printf '%s\n' "$@" >"$TB_ENVD/$b.env"
  tb_env_write
}
tb_env_clear() { rm -f "$TB_ENVD/$1.env"; tb_env_write; }
tb_env_write() {
  local tmp="$NR_TESTBED_ENV_FILE.tmp" b
  {
    echo "# written by tools/testbed; KEY=VALUE, no quoting, sourceable by bash"
    echo "NR_TESTBED_DIR=$NR_TESTBED_DIR"
    echo "NR_TESTBED_NETNS=$NR_TESTBED_NETNS"
    for b in $TB_BACKENDS; do
      if [ -s "$TB_ENVD/$b.env" ]; then cat "$TB_ENVD/$b.env"; else echo "NR_TESTBED_${b^^}=0"; fi
    done
  } >"$tmp"
  mv "$tmp" "$NR_TESTBED_ENV_FILE"
}

tb_init_dirs() { mkdir -p "$NR_TESTBED_DIR"/{log,cache} "$TB_ENVD"; chmod 755 "$NR_TESTBED_DIR"; }
