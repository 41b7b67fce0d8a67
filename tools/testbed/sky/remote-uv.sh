#!/bin/bash
# TEST-ONLY `uv` for SkyPilot's remote user on the offline testbed (installed by tools/testbed/sky.sh
# as ~skyci/.ci/bin/uv; SkyPilot's per-cluster ~/.local/bin/uv is a symlink to it, see remote-curl.sh).
# - SkyPilot asks for `uv venv --python 3.10`; Debian 12 has 3.11 and uv must never download Python.
# - The testbed netns has no route to a package index: packages come from the wheelhouse built at
#   install time (UV_OFFLINE + UV_FIND_LINKS) through a uv cache that install already warmed.
ci=$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")
args=() prev=""
for a in "$@"; do
  if [ "$prev" = --python ] && [ "$a" = 3.10 ]; then a=/usr/bin/python3; fi
  args+=("$a"); prev=$a
done
export UV_PYTHON_DOWNLOADS=never UV_OFFLINE=1 UV_FIND_LINKS="$ci/wheelhouse" UV_CACHE_DIR="$ci/uv-cache"
exec "$ci/libexec/uv" "${args[@]}"
