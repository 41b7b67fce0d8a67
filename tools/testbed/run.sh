#!/bin/bash
# Run a command inside the testbed's loopback-only netns with testbed.env exported.
# Usage: sudo bash tools/testbed/run.sh <command...>
# e.g.   bash tools/testbed/run.sh python3 -m pytest tests/testbed -q
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -gt 0 ] || { echo "usage: $0 <command...>" >&2; exit 2; }
tb_require_root
[ -e "$(tb_netns_path)" ] || tb_die "netns $NR_TESTBED_NETNS does not exist; start the testbed: sudo bash tools/testbed/up.sh all"
[ -s "$NR_TESTBED_ENV_FILE" ] || tb_die "$NR_TESTBED_ENV_FILE missing; start the testbed: sudo bash tools/testbed/up.sh all"
set -a; . "$NR_TESTBED_ENV_FILE"; set +a
export NR_TESTBED_ENV="$NR_TESTBED_ENV_FILE"
[ -n "${NR_TESTBED_DOCKER_HOST:-}" ] && export DOCKER_HOST="$NR_TESTBED_DOCKER_HOST"
set +e
exec nsenter --net="$(tb_netns_path)" -- "$@"
