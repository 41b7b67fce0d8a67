#!/bin/bash
# Private Docker engine (Debian docker.io) with no host networking changes, plus two locally built images:
#   nr-testbed/python:3  (debootstrap bookworm minbase + python3, rootfs tarball cached under $NR_TESTBED_DIR/cache)
#   nr-testbed/busybox:1 (busybox-static)
# Usage: bash tools/testbed/docker.sh install|up|down
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
D="$NR_TESTBED_DIR/docker"
SOCK="$D/docker.sock"
PY_IMAGE=nr-testbed/python:3
BB_IMAGE=nr-testbed/busybox:1
PY_TAR="$NR_TESTBED_DIR/cache/bookworm-python3-rootfs.tar"
BB_TAR="$NR_TESTBED_DIR/cache/busybox-rootfs.tar"

debian_mirror() {
  local m
  m=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$m" ] || m=$(awk '$1=="deb" && $0 ~ /debian/ && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${m:-http://deb.debian.org/debian}"
}

docker_install() {
  tb_apt_install docker.io debootstrap busybox-static
  # rootfs tarballs are built in the normal namespace (debootstrap needs the Debian mirror)
  if [ ! -s "$PY_TAR" ]; then
    local t0 r; t0=$(tb_now); r="$NR_TESTBED_DIR/cache/rootfs-py.tmp"
    rm -rf "$r"; tb_log "debootstrap bookworm+python3 from $(debian_mirror) (~1 min, cached afterwards)"
    debootstrap --variant=minbase --include=python3 bookworm "$r" "$(debian_mirror)" \
      >"$NR_TESTBED_DIR/log/debootstrap.log" 2>&1 || { tail -20 "$NR_TESTBED_DIR/log/debootstrap.log" >&2; tb_die "debootstrap failed"; }
    rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
    tar -C "$r" -cf "$PY_TAR.tmp" . && mv "$PY_TAR.tmp" "$PY_TAR"
    rm -rf "$r"; tb_log "python rootfs cached ($(du -h "$PY_TAR" | cut -f1)) in $(tb_since "$t0")s"
  fi
  if [ ! -s "$BB_TAR" ]; then
    local r="$NR_TESTBED_DIR/cache/rootfs-bb.tmp" a
    rm -rf "$r"; mkdir -p "$r/bin" "$r/tmp"; cp /bin/busybox "$r/bin/busybox"
    for a in $("$r/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
    tar -C "$r" -cf "$BB_TAR.tmp" . && mv "$BB_TAR.tmp" "$BB_TAR"; rm -rf "$r"
  fi
}

docker_down() {
  local pid; pid=$(tb_pidfile_pid "$D/dockerd.pid")
  if tb_pid_alive "$pid"; then
    # stop leftover containers first so dockerd exits quickly
    DOCKER_HOST="unix://$SOCK" timeout 30 docker ps -q 2>/dev/null | xargs -r env DOCKER_HOST="unix://$SOCK" docker rm -f >/dev/null 2>&1 || true
  fi
  tb_kill_pidfile "$D/dockerd.pid" dockerd 30
  tb_env_clear docker
}

docker_up() {
  docker_down
  [ -s "$PY_TAR" ] && [ -s "$BB_TAR" ] || docker_install
  mkdir -p "$D"
  rm -f "$SOCK"
  tb_ns setsid /usr/sbin/dockerd --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --bridge=none --userland-proxy=false --storage-driver="${NR_TESTBED_DOCKER_STORAGE:-overlay2}" \
    --data-root="$D/root" --exec-root="$D/exec" --pidfile="$D/dockerd.pid" -H "unix://$SOCK" \
    </dev/null >"$D/dockerd.log" 2>&1 &
  export DOCKER_HOST="unix://$SOCK"
  tb_wait 60 "dockerd (see $D/dockerd.log)" docker version
  if ! docker image inspect "$BB_IMAGE" >/dev/null 2>&1; then
    docker import -c 'CMD ["/bin/sh"]' "$BB_TAR" "$BB_IMAGE" >/dev/null || tb_die "docker import $BB_IMAGE failed"
  fi
  if ! docker image inspect "$PY_IMAGE" >/dev/null 2>&1; then
    docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["python3"]' \
      "$PY_TAR" "$PY_IMAGE" >/dev/null || tb_die "docker import $PY_IMAGE failed"
  fi
  local out
  out=$(docker run --rm --network none "$BB_IMAGE" echo busybox-ok) && [ "$out" = busybox-ok ] || tb_die "busybox container failed: $out"
  out=$(docker run --rm --network none "$PY_IMAGE" python3 -c 'print("py-ok")') && [ "$out" = py-ok ] || tb_die "python container failed: $out"
  tb_env_set docker NR_TESTBED_DOCKER=1 NR_TESTBED_DOCKER_HOST="unix://$SOCK" \
    NR_TESTBED_DOCKER_PYTHON_IMAGE="$PY_IMAGE" NR_TESTBED_DOCKER_BUSYBOX_IMAGE="$BB_IMAGE"
}

case "${1:-}" in
  install) tb_require_root; tb_init_dirs; docker_install ;;
  up) tb_require_root; tb_init_dirs; tb_netns_up; docker_up ;;
  down) tb_require_root; docker_down ;;
  *) echo "usage: $0 install|up|down" >&2; exit 2 ;;
esac
