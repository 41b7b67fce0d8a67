#!/bin/bash
# Install (if missing) and start testbed backends in the loopback-only netns.
# Usage: sudo bash tools/testbed/up.sh [all|slurm|ssh|docker|ray|podman|sky ...]   (default: all)
# Phase 1 installs everything in the normal namespace (apt, pip, debootstrap need the registries);
# phase 2 creates netns $NR_TESTBED_NETNS (only lo) and starts every server inside it.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib.sh"
tb_require_root
sel=("$@"); [ ${#sel[@]} -eq 0 ] && sel=(all)
backends=()
for b in "${sel[@]}"; do
  case "$b" in
    all) backends+=($TB_BACKENDS) ;;
    slurm|ssh|docker|ray|podman|sky) backends+=("$b") ;;
    *) tb_die "unknown backend '$b' (expected: all $TB_BACKENDS)" ;;
  esac
done
T0=$(tb_now)
tb_init_dirs
tb_apt_install graphviz  # the 'dot' program, so the config-drawing tests draw (not only refuse)
tb_apt_install zsh fish  # the shells the completion tests load `nemorun completion zsh|fish` in
for b in "${backends[@]}"; do
  t=$(tb_now); bash "$HERE/$b.sh" install || tb_die "install of $b failed"
  tb_log "install $b: $(tb_since "$t")s"
done
tb_netns_up
tb_env_write
for b in "${backends[@]}"; do
  t=$(tb_now)
  bash "$HERE/$b.sh" up || tb_die "backend $b did not come up (logs under $NR_TESTBED_DIR)"
  tb_log "up $b: $(tb_since "$t")s"
done
tb_log "testbed up (${backends[*]}) in $(tb_since "$T0")s; env file: $NR_TESTBED_ENV_FILE"
tb_log "run tests with: bash $HERE/run.sh python3 -m pytest ..."
