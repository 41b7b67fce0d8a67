"""Log paths holding a ``%`` (from a title, a job name or a log folder) stay literal."""

from collections.abc import Callable

import pytest
from nr_config import Script
from nr_exec.slurm import SlurmBackend, SlurmExecutor
from nr_exec.slurm.logs import expand_log_path
from nr_exec.slurm.quoting import log_dir


@pytest.mark.parametrize(
    ("pattern", "job_id", "expanded"),
    [
        ("/r/100%%/sbatch_a%%jb_%j.out", "7", "/r/100%/sbatch_a%jb_7.out"),
        ("/r/x/sbatch_n_%A_%a.out", "7_3", "/r/x/sbatch_n_7_3.out"),
        ("/r/%%%%j/sbatch_%j.out", "12", "/r/%%j/sbatch_12.out"),
    ],
)
def test_expand_log_path_reads_escaped_percent(pattern: str, job_id: str, expanded: str) -> None:
    assert expand_log_path(pattern, job_id) == expanded


def test_log_dir_is_the_literal_directory() -> None:
    assert log_dir("/r/100%% of %%x/logs/sbatch_a%%j_%j.out") == "/r/100% of %x/logs"


def test_percent_in_experiment_and_job_names_is_escaped_in_the_script(
    backend_of: Callable[[SlurmExecutor], SlurmBackend],
    make_executor: Callable[..., SlurmExecutor],
) -> None:
    executor = make_executor(experiment_id="100% %x_1")
    spec = executor.to_job_spec(Script(inline="true"), name="a%j", job_id="a%j-id")
    script = backend_of(executor).dryrun(spec).materialize()
    root = executor.remote_root()
    job_dir = f"{root}/100% %x_1/a%j-id"
    assert f'#SBATCH --output="{root}/100%% %%x_1/a%%j-id/logs/sbatch_a_j_%j.out"' in script
    assert f"nr_job_dir='{job_dir}'" in script
    assert f"--chdir='{job_dir}'" in script
