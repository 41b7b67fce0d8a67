#!/bin/bash
# Stop testbed backends by pid. `all` (default) also ends any process still inside the netns and removes it.
# Usage: sudo bash tools/testbed/down.sh [all|slurm|ssh|docker|ray|podman|sky ...]
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib.sh"
tb_require_root
sel=("$@"); [ ${#sel[@]} -eq 0 ] && sel=(all)
backends=(); all=0
for b in "${sel[@]}"; do
  case "$b" in
    all) backends+=($TB_BACKENDS); all=1 ;;
    slurm|ssh|docker|ray|podman|sky) backends+=("$b") ;;
    *) tb_die "unknown backend '$b' (expected: all $TB_BACKENDS)" ;;
  esac
done
T0=$(tb_now)
mkdir -p "$TB_ENVD"
# reverse order of up: sky, podman, ray, docker, ssh, slurm
for ((i = ${#backends[@]} - 1; i >= 0; i--)); do
  b=${backends[$i]}; t=$(tb_now)
  bash "$HERE/$b.sh" down || tb_log "down $b reported an error"
  tb_log "down $b: $(tb_since "$t")s"
done
if [ $all = 1 ] && [ -e "$(tb_netns_path)" ]; then
  # Anything still in the netns (test runs, ssh sessions, job steps) is listed; with NR_TESTBED_SWEEP=1 (CI)
  # it is also ended by pid. Default 0: on a shared dev box those may be another engineer's test processes.
  left=()
  for p in $(ip netns pids "$NR_TESTBED_NETNS" 2>/dev/null); do
    [ "$p" = $$ ] || ! tb_pid_alive "$p" && continue
    left+=("$p"); tb_log "still in netns: pid $p ($(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-80))"
  done
  if [ "${NR_TESTBED_SWEEP:-0}" = 1 ]; then tb_kill_pids 5 "${left[@]}"; fi
  tb_netns_down
  tb_env_write
fi
tb_log "down (${backends[*]}) in $(tb_since "$T0")s"
