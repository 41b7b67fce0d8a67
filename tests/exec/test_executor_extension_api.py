"""NeMo-Run's executor and launcher extension API, used as NeMo-Run users' code uses it (item 9).

Custom executors subclass ``run.Executor``/``run.SlurmExecutor`` and override the hooks;
custom templates subclass ``run.SlurmTemplate``. The job specs made from them show the hooks
took effect (the real-Slurm run is in ``tests/slurm/test_slurm_custom_executor.py``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nemo_run as run
import pytest
from nr_exec import ExecError, make_job_spec


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEMORUN_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _inner(argv: tuple[str, ...]) -> list[str]:
    """The command inside the exit-marker wrapper (``sh -c <wrapper> nr-exec <command>``)."""
    return list(argv[argv.index("nr-exec") + 1 :]) if "nr-exec" in argv else list(argv)


@dataclass(kw_only=True)
class ClusterExecutor(run.SlurmExecutor):
    """A site's executor: profiles under its own tool and names its own rank variable."""

    def get_launcher_prefix(self) -> list[str] | None:
        return ["--output", f"{self.job_dir}/trace"]

    def get_nsys_entrypoint(self) -> tuple[str, str]:
        return ("sitetrace", "")

    def macro_values(self) -> run.ExecutorMacros:
        return run.ExecutorMacros(
            head_node_ip_var="MASTER",
            nproc_per_node_var="SLURM_NTASKS_PER_NODE",
            num_nodes_var="SLURM_NNODES",
            node_rank_var="SLURM_PROCID",
        )


def test_base_executor_hooks_are_views_with_nemo_run_defaults(tmp_path: Path) -> None:
    executor = run.LocalExecutor(ntasks_per_node=2)
    executor.assign("exp-1", str(tmp_path / "exp"), "train", "train")
    assert executor.experiment_id == "exp-1"
    assert executor.experiment_dir == str(tmp_path / "exp")
    assert executor.job_dir == str(tmp_path / "exp" / "train")
    assert (executor.nnodes(), executor.nproc_per_node()) == (1, 2)
    assert executor.macro_values() is None
    assert executor.get_launcher_prefix() is None
    assert executor.get_nsys_entrypoint() == ("nsys", "")
    assert executor.cleanup("local://localhost/job") is None
    assert executor.supports_launcher_transform() is False
    profiled = run.LocalExecutor(launcher=run.Torchrun(nsys_profile=True), job_dir="/j")
    assert profiled.get_launcher_prefix() == [
        "profile",
        "-s",
        "none",
        "-t",
        "nvtx,cuda",
        "-o",
        "/j/nsys_profile/profile_%p",
        "--force-overwrite=true",
        "--capture-range=cudaProfilerApi",
        "--capture-range-end=stop",
        "--cuda-graph-trace=node",
        "--cuda-event-trace=false",
    ]
    spec = make_job_spec(run.Script(path="t.sh"), profiled, name="t")
    assert _inner(spec.argv)[:2] == ["nsys", "profile"]
    assert any(f.path == "nsys_profile/.init" for f in spec.files)


def test_executor_macros_substitute_like_nemo_run() -> None:
    macros = run.SlurmExecutor().macro_values()
    assert macros == run.ExecutorMacros(
        head_node_ip_var="head_node_ip",
        nproc_per_node_var="SLURM_NTASKS_PER_NODE",
        num_nodes_var="SLURM_NNODES",
        node_rank_var="SLURM_NODEID",
        het_group_host_var="het_group_host",
    )
    assert run.ExecutorMacros.HEAD_NODE_IP_VAR == "${head_node_ip_var}"
    assert macros.substitute("$$" + run.ExecutorMacros.HEAD_NODE_IP_VAR) == "$head_node_ip"
    assert macros.substitute(run.ExecutorMacros.group_host(1)) == "$het_group_host_1"
    assert macros.substitute("$$${num_nodes_var} $HOME ${other}") == "$SLURM_NNODES $HOME ${other}"
    assert run.LocalExecutor().macro_values() is None


def test_custom_slurm_executor_hooks_shape_the_job() -> None:
    executor = ClusterExecutor(
        nodes=2, launcher=run.Torchrun(rdzv_id=7), env_vars={"RANK_VAR": "$$${node_rank_var}"}
    )
    executor.assign("exp-1", "/store/exp-1", "train", "train")
    assert executor.job_name == "train"
    script = run.Script(path="train.py", entrypoint="python", args=["--rank=$$${node_rank_var}"])
    spec = make_job_spec(script, executor, name="train")
    command = _inner(spec.argv)
    assert command[:3] == ["sitetrace", "--output", "/store/exp-1/train/trace"]
    assert command[command.index("--rdzv-endpoint") + 1] == "${MASTER}:29500"
    assert command[command.index("--node-rank") + 1] == "${SLURM_PROCID}"
    assert command[-1] == "--rank=$SLURM_PROCID"
    assert spec.env["RANK_VAR"] == "$SLURM_PROCID"


def test_slurm_merge_job_name_and_job_details_paths() -> None:
    one = run.SlurmExecutor(account="acct", nodes=2)
    merged = run.SlurmExecutor.merge([one], num_tasks=3)
    assert merged.run_as_group
    assert merged.resource_group == []
    assert merged is not one
    assert not one.run_as_group
    two = run.SlurmExecutor(account="acct", gpus_per_node=8, heterogeneous=True)
    het = run.SlurmExecutor.merge([one, two], num_tasks=2)
    assert [(r.nodes, r.gpus_per_node) for r in het.resource_group] == [(2, None), (1, 8)]
    with pytest.raises(ValueError, match="1 or 3 executors"):
        run.SlurmExecutor.merge([one, two], num_tasks=3)
    assert run.SlurmExecutor().job_name == "nemo-job"
    details = run.SlurmExecutor().job_details
    with pytest.raises(ValueError, match="folder/job_name"):
        _ = details.stdout
    details.job_name, details.folder = "train", "/logs"
    assert details.stdout == "/logs/sbatch_train_%j.out"
    assert details.stderr == "/logs/sbatch_train_%j.err"
    assert details.srun_stdout == "/logs/log-train_%j_${SLURM_RESTART_COUNT:-0}.out"
    assert details.srun_stderr == "/logs/log-train_%j_${SLURM_RESTART_COUNT:-0}.err"
    assert details.ls_term == "/logs/log*"


def test_a_job_details_subclass_chooses_the_log_files() -> None:
    @dataclass(kw_only=True)
    class SiteLogs(type(run.SlurmExecutor().job_details)):  # NeMo-Run's SlurmJobDetails
        @property
        def stdout(self) -> str:
            return f"{self.folder}/site-{self.job_name}-%j.log"

    executor = run.SlurmExecutor(job_details=SiteLogs(), experiment_id="exp-1")
    settings = executor.settings("/store/exp-1/train")
    folder = f"{executor.remote_root()}/exp-1/train/logs"
    assert settings.log_files("train", "/ignored") == (
        f"{folder}/site-train-%j.log",
        f"{folder}/sbatch_train_%j.err",
    )
    assert run.SlurmExecutor().settings("/store/x").log_paths is None


def test_custom_slurm_template_and_slurm_ray(tmp_path: Path) -> None:
    @dataclass(kw_only=True)
    class SiteTemplate(run.SlurmTemplate):
        def get_template_content(self) -> str:
            return "#!/bin/bash\nmodule load {{ module }}\n{{ command }}\n"

    template = SiteTemplate(template_vars={"module": "cuda"})
    rendered = template.render_template(["python", "t.py", "a b", "${head_node_ip}:1"])
    assert rendered == "#!/bin/bash\nmodule load cuda\npython t.py 'a b' \"${head_node_ip}\":1\n"
    assert template.transform(["echo"]).inline == "#!/bin/bash\nmodule load cuda\necho\n"
    inline = run.SlurmTemplate(template_inline="{{ command }}")
    assert inline.get_template_content() == "{{ command }}"
    assert run.SlurmExecutor(launcher=template).supports_launcher_transform()
    assert not run.SlurmExecutor().supports_launcher_transform()
    with pytest.raises(ValueError, match="exactly one"):
        run.SlurmTemplate()
    ray = run.SlurmRay(gcs_server_port=6400, head_setup="echo head-setup")
    script = ray.render_template(["python", "-m", "job"])
    for part in ("ray start --head", "--port=6400", "echo head-setup", "python -m job"):
        assert part in script
    assert 'export HEAD_NODE_ADDR="${HEAD_NODE_ADDR:-${head_node_ip}}"' in script
    assert run.SlurmExecutor(launcher="slurm_ray").get_launcher() == run.SlurmRay()


def test_devspace_is_refused_with_what_to_use_instead() -> None:
    with pytest.raises(ExecError, match=r"DevSpace is not supported.*salloc"):
        run.DevSpace("space", run.SlurmExecutor())


def test_import_executor_from_the_executors_file(home: Path, tmp_path: Path) -> None:
    home.mkdir(parents=True)
    (home / "executors.py").write_text(
        textwrap.dedent(
            """
            import nemo_run as run

            local = run.LocalExecutor(ntasks_per_node=2)

            def cluster(nodes=1):
                return run.SlurmExecutor(account="acct", nodes=nodes)
            """
        )
    )
    user = tmp_path / "user.py"
    user.write_text(
        textwrap.dedent(
            """
            import nemo_run as run

            print(run.import_executor("local").ntasks_per_node)
            print(run.import_executor("cluster", nodes=4).nodes)
            print(callable(run.import_executor("cluster", call=False)))
            try:
                run.import_executor("clustr")
            except LookupError as error:
                print(error)
            """
        )
    )
    result = subprocess.run(
        [sys.executable, str(user)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["2", "4", "True"]
    assert "defines no 'clustr'; did you mean 'cluster'?" in lines[3]
    other = tmp_path / "site_executors.py"
    other.write_text("import nemo_run as run\ngpu = run.LocalExecutor(nodes=1)\n")
    assert run.import_executor("gpu", file_path=str(other)).nodes == 1
    with pytest.raises(LookupError, match="no executors file"):
        run.import_executor("gpu", file_path=str(tmp_path / "missing.py"))
