#!/bin/bash
# TEST-ONLY `curl` first on the PATH of SkyPilot's remote user (installed by tools/testbed/sky.sh as
# ~skyci/.ci/bin/curl). SkyPilot installs uv per cluster with `curl -LsSf https://astral.sh/uv/install.sh
# | UV_INSTALL_DIR=... sh`, which cannot work offline: for that one URL this prints an installer that
# links the local uv (remote-uv.sh) instead. Every other call goes to the real curl.
ci=$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")
for a in "$@"; do
  if [ "$a" = https://astral.sh/uv/install.sh ]; then
    # shellcheck disable=SC2016  # $UV_INSTALL_DIR/$HOME are expanded by the `sh` that runs this
    printf 'd="${UV_INSTALL_DIR:-$HOME/.local/bin}"; mkdir -p "$d" && ln -sf %q "$d/uv"\n' "$ci/bin/uv"
    exit 0
  fi
done
exec /usr/bin/curl "$@"
