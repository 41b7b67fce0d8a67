#!/bin/bash
# Podman 4.x serving the Docker-compatible API on a unix socket, with the testbed's two images:
#   localhost/nr-testbed/python:3  (the rootfs tarball docker.sh builds: bookworm minbase + python3)
#   localhost/nr-testbed/busybox:1 (busybox-static)
# Rootful, runc, cgroupfs, vfs storage, everything under $NR_TESTBED_DIR/podman. containers.conf lowers the
# default rlimits to what this host allows (podman asks for nofile=1048576, which runc cannot set here).
# Usage: bash tools/testbed/podman.sh install|up|down
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
D="$NR_TESTBED_DIR/podman"
SOCK="$D/podman.sock"
PY_IMAGE=nr-testbed/python:3
BB_IMAGE=nr-testbed/busybox:1
PY_TAR="$NR_TESTBED_DIR/cache/bookworm-python3-rootfs.tar"
BB_TAR="$NR_TESTBED_DIR/cache/busybox-rootfs.tar"

pm() {
  CONTAINERS_CONF="$D/containers.conf" podman --root "$D/storage" --runroot "$D/run" \
    --storage-driver="${NR_TESTBED_PODMAN_STORAGE:-vfs}" "$@"
}

podman_install() {
  # catatonit: podman's --init binary (the docker backend asks for an init process)
  tb_apt_install podman catatonit runc conmon
  # the rootfs tarballs are shared with docker.sh, which builds them (debootstrap needs the mirror)
  [ -s "$PY_TAR" ] && [ -s "$BB_TAR" ] || bash "$HERE/docker.sh" install
}

podman_down() {
  tb_kill_pidfile "$D/service.pid" "podman system service" 20
  tb_env_clear podman
}

podman_up() {
  podman_down
  [ -s "$PY_TAR" ] && [ -s "$BB_TAR" ] && command -v podman >/dev/null || podman_install
  mkdir -p "$D"
  local hard; hard=$(ulimit -Hn)
  cat >"$D/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$hard:$hard", "nproc=32768:32768"]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
  pm image exists "$BB_IMAGE" || pm import -c 'CMD ["/bin/sh"]' "$BB_TAR" "$BB_IMAGE" >/dev/null \
    || tb_die "podman import $BB_IMAGE failed"
  pm image exists "$PY_IMAGE" || pm import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["python3"]' \
    "$PY_TAR" "$PY_IMAGE" >/dev/null || tb_die "podman import $PY_IMAGE failed"
  rm -f "$SOCK"
  # conmon writes an "oom" file into its working directory when a container is OOM-killed:
  # run the service (and so conmon) from its own state directory, not the caller's checkout.
  cd "$D" || tb_die "cannot enter $D"
  CONTAINERS_CONF="$D/containers.conf" tb_ns setsid podman --root "$D/storage" --runroot "$D/run" \
    --storage-driver="${NR_TESTBED_PODMAN_STORAGE:-vfs}" system service --time=0 "unix://$SOCK" \
    </dev/null >"$D/service.log" 2>&1 &
  echo $! >"$D/service.pid"
  cd - >/dev/null || true
  tb_wait 30 "podman API socket (see $D/service.log)" test -S "$SOCK"
  local out
  out=$(tb_ns env CONTAINERS_CONF="$D/containers.conf" podman --root "$D/storage" --runroot "$D/run" \
    --storage-driver="${NR_TESTBED_PODMAN_STORAGE:-vfs}" run --rm --network none "$PY_IMAGE" \
    python3 -c 'print("py-ok")') && [ "$out" = py-ok ] || tb_die "podman python container failed: $out"
  tb_env_set podman NR_TESTBED_PODMAN=1 NR_TESTBED_PODMAN_HOST="unix://$SOCK" \
    NR_TESTBED_PODMAN_PYTHON_IMAGE="localhost/$PY_IMAGE" NR_TESTBED_PODMAN_BUSYBOX_IMAGE="localhost/$BB_IMAGE"
}

case "${1:-}" in
  install) tb_require_root; tb_init_dirs; podman_install ;;
  up) tb_require_root; tb_init_dirs; tb_netns_up; podman_up ;;
  down) tb_require_root; podman_down ;;
  *) echo "usage: $0 install|up|down" >&2; exit 2 ;;
esac
