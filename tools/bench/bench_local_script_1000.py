"""1,000 local Script jobs (inline ``true``) in one experiment end to end, beside the floor.

The floor process is ``bash -c true``. See :mod:`sweeps` for the keys; ``--quick`` runs 50.
"""

import sweeps


def run(quick: bool) -> dict[str, object]:
    return sweeps.local_sweep("script", 50 if quick else 1000, None, 3 if quick else 10)
