"""1,000 local Partial jobs in one experiment end to end, beside the floor (target <= 10 s).

See :mod:`sweeps` for the keys; ``--quick`` runs 50 jobs.
"""

import sweeps


def run(quick: bool) -> dict[str, object]:
    return sweeps.local_sweep("partial", 50 if quick else 1000, 10.0, 3 if quick else 10)
