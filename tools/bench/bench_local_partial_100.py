"""100 local Partial jobs in one experiment end to end, beside the floor (target <= 2 s).

See :mod:`sweeps` for the keys; ``--quick`` runs 20 jobs.
"""

import sweeps


def run(quick: bool) -> dict[str, object]:
    return sweeps.local_sweep("partial", 20 if quick else 100, 2.0, 3 if quick else 10)
