"""Issue 14 item 2: the seed documents' code blocks run as shown, from ``import nemo_run as run``.

Each block is copied verbatim from ../shared/seeds. A block runs in a fresh interpreter after a
preamble defining what the document leaves to the reader (``train_model``, ``common_envs()``);
placeholders (hosts, images) are replaced by the testbed's values, each replacement spelled out.
Blocks that are not valid Python in the seed itself are not run (docs/migrating.md lists them).
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TASKS = """
def train_model(model=None, training=None, model_size=0):
    print(f"trained model_size={model_size}")
    return model_size
"""


def run_block(
    tmp_path: Path, block: str, *, preamble: str = "", after: str = "", check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``preamble + block + after`` as a user's script in ``tmp_path``."""
    (tmp_path / "tasks.py").write_text(TASKS, encoding="utf-8")
    script = tmp_path / "seed_block.py"
    script.write_text(
        "\n".join(textwrap.dedent(part) for part in (preamble, block, after)), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={
            "NEMORUN_HOME": str(tmp_path / "home"),
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": os.environ.get("HOME", str(tmp_path)),
        },
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def git_project(root: Path) -> None:
    """A small git repository: committed code and configs, an untracked generated file."""
    files = {
        "train.py": "print('train')\n",
        "configs/base.yaml": "lr: 1\n",
        "data.json": "{}\n",
        "tests/test_train.py": "def test(): pass\n",
        "src/lib/mod.py": "X = 1\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    (root / "generated.json").write_text("[]\n", encoding="utf-8")


# 002 (technical overview), "Configuration System Example"
CONFIGURATION = """
from dataclasses import dataclass
import nemo_run as run

@dataclass
class ModelConfig:
    hidden_size: int = 512
    num_layers: int = 12
    dropout: float = 0.1

@dataclass
class TrainingConfig:
    learning_rate: float = 1e-4
    batch_size: int = 32
    epochs: int = 100

# Direct configuration
config = run.Config(ModelConfig, hidden_size=1024, num_layers=24)
model = config.build()  # Returns ModelConfig instance

# Partial configuration
train_fn = run.Partial(train_model, model=ModelConfig(), training=TrainingConfig())

# CLI usage: python train.py model.hidden_size=1024 training.learning_rate=2e-4
"""


def test_configuration_system_example(tmp_path: Path) -> None:
    result = run_block(
        tmp_path,
        CONFIGURATION,
        preamble="from tasks import train_model",
        after="""
        assert (model.hidden_size, model.num_layers) == (1024, 24)
        assert run.build(train_fn)() == 0
        # configuration export, reachable from run.* (issue 14 item 2)
        print(run.dumps_yaml(config))
        assert run.loads_toml(run.dumps_toml(config)) == config
        assert run.loads_json(run.dumps_json(config)) == config
        print(run.to_code(config))
        other = run.Config(ModelConfig, hidden_size=2048, num_layers=24)
        print(run.format_diff(run.diff(config, other)))
        assert run.walk(config, hidden_size=lambda size: size * 2).hidden_size == 2048
        assert run.broadcast(config, dropout=0.5).dropout == 0.5
        """,
    )
    assert "hidden_size: 1024" in result.stdout  # YAML
    assert "Config(__main__.ModelConfig, hidden_size=1024, num_layers=24)" in result.stdout
    assert "hidden_size: 1024 -> 2048" in result.stdout  # the diff


# 002, "Packaging System Example"
PACKAGING = """
import nemo_run as run

# Git archive packaging
git_packager = run.GitArchivePackager()

# Pattern-based packaging
pattern_packager = run.PatternPackager(
    include=["*.py", "*.yaml", "*.json"],
    exclude=["__pycache__", "*.pyc", "tests/"]
)

# Hybrid packaging
hybrid_packager = run.HybridPackager([
    git_packager,
    pattern_packager
])

# Use with executor
executor = run.SlurmExecutor(packager=hybrid_packager)
"""


def test_packaging_system_example_packages_a_repository(tmp_path: Path) -> None:
    # committed: docs only; the pattern packager ships the (untracked) *.py, *.yaml, *.json
    (tmp_path / "README.md").write_text("readme\n", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    for name in ("train.py", "conf/base.yaml", "data.json", "tests/test_train.py", "m.pyc"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n", encoding="utf-8")
    result = run_block(
        tmp_path,
        PACKAGING,
        after="""
        import tarfile
        from pathlib import Path
        packed = executor.packager.package(Path.cwd(), Path("out"), "job", use_cache=False)
        with tarfile.open(packed.archive) as archive:
            print(sorted(m.name for m in archive.getmembers() if m.isfile()))
        """,
    )
    names = eval(result.stdout.strip().splitlines()[-1])  # noqa: S307 - our own print
    # Patterns are anchored at the relative path, as NeMo-Run's `find <pattern>`: "*.yaml" does
    # not reach conf/base.yaml; "tests/" and "*.pyc" are left out.
    assert names == ["README.md", "data.json", "seed_block.py", "tasks.py", "train.py"]


def test_packaging_system_example_refuses_to_overwrite(tmp_path: Path) -> None:
    git_project(tmp_path)  # train.py is committed and matched by "*.py": shipped twice
    result = run_block(
        tmp_path,
        PACKAGING,
        after="""
        from pathlib import Path
        executor.packager.package(Path.cwd(), Path("out"), "job", use_cache=False)
        """,
        check=False,
    )
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("nr_package.errors.PackagerConflictError"), result.stderr
    assert "both write" in last, last


# 003 (execution guide), HybridPackager example (as extracted from the page)
HYBRID = """
import nemo_run as run
import os
hybrid_packager = run.HybridPackager(
sub_packagers={
"code": run.GitArchivePackager(subpath="src"),
"configs": run.PatternPackager(include_pattern="configs/*.yaml", relative_path=os.getcwd())
}
)
# Usage with an executor:
# executor.packager = hybrid_packager
"""


def test_hybrid_packager_example_layout(tmp_path: Path) -> None:
    git_project(tmp_path)
    result = run_block(
        tmp_path,
        HYBRID,
        after="""
        import tarfile
        from pathlib import Path
        packed = hybrid_packager.package(Path.cwd(), Path("out"), "job", use_cache=False)
        with tarfile.open(packed.archive) as archive:
            print(sorted(m.name for m in archive.getmembers() if m.isfile()))
        """,
    )
    names = eval(result.stdout.strip().splitlines()[-1])  # noqa: S307 - our own print
    # Archive paths of a PatternPackager are relative to its relative_path (configs/base.yaml),
    # and its key adds the folder: as in NeMo-Run, the file lands at configs/configs/base.yaml.
    assert names == ["code/lib/mod.py", "configs/configs/base.yaml"]


# 001 (execution guide), "DockerExecutor"
DOCKER = """
run.DockerExecutor(
    container_image="python:3.12",
    num_gpus=-1,
    runtime="nvidia",
    ipc_mode="host",
    shm_size="30g",
    volumes=["/local/path:/path/in/container"],
    env_vars={"PYTHONUNBUFFERED": "1"},
    packager=run.Packager(),
)
"""


def test_docker_executor_example(tmp_path: Path) -> None:
    run_block(tmp_path, DOCKER, preamble="import nemo_run as run")


# 001, "SlurmExecutor" (the document defines, then calls, a factory of executors)
SLURM = """
def your_slurm_executor(nodes: int = 1, container_image: str = DEFAULT_IMAGE):
    # SSH Tunnel
    ssh_tunnel = run.SSHTunnel(
        host="your-slurm-host",
        user="your-user",
        job_dir="directory-to-store-runs-on-the-slurm-cluster",
        identity="optional-path-to-your-key-for-auth",
    )
    # Local Tunnel to use if you're already on the cluster
    local_tunnel = run.LocalTunnel()

    packager = GitArchivePackager(
        # This will also be the working directory in your task.
        # If empty, the working directory will be toplevel of your git repo
        subpath="optional-subpath-from-toplevel-of-your-git-repo"
    )

    executor = run.SlurmExecutor(
        # Most of these parameters are specific to slurm
        account="your-account",
        partition="your-partition",
        ntasks_per_node=8,
        gpus_per_node=8,
        nodes=nodes,
        tunnel=ssh_tunnel,
        container_image=container_image,
        time="00:30:00",
        env_vars=common_envs(),
        container_mounts=mounts_for_your_hubs(),
        packager=packager,
    )

# You can then call the executor in your script like
executor = your_slurm_cluster(nodes=8, container_image="your-nemo-image")
"""

SLURM_PREAMBLE = """
import nemo_run as run
from nemo_run import GitArchivePackager
DEFAULT_IMAGE = "nvcr.io/nvidia/nemo:dev"
def common_envs():
    return {"TRANSFORMERS_OFFLINE": "1"}
def mounts_for_your_hubs():
    return ["/data:/data"]
"""


def test_slurm_executor_example(tmp_path: Path, testbed) -> None:
    block = (
        SLURM.replace('"your-slurm-host"', repr(testbed.ssh_host))
        .replace('"your-user"', repr(testbed.ssh_user))
        .replace('"your-partition"', repr(testbed.slurm_partition))
        # the document calls the factory by another name than it defines
        .replace("your_slurm_cluster(", "your_slurm_executor(")
    )
    run_block(tmp_path, block, preamble=SLURM_PREAMBLE, after="assert executor is None")


# 002, "Plugin System Example" (config and executor come from the page's earlier examples)
PLUGIN = """
import nemo_run as run

class LoggingPlugin(run.Plugin):
    def setup(self, task, executor):
        # Add logging configuration
        if hasattr(executor, 'env_vars'):
            executor.env_vars['LOG_LEVEL'] = 'DEBUG'

        # Modify task configuration
        if hasattr(task, 'config'):
            task.config.logging = True

# Use plugin
plugin = LoggingPlugin()
run.run(config, executor=executor, plugins=[plugin])
"""


def test_plugin_example_runs_locally(tmp_path: Path) -> None:
    result = run_block(
        tmp_path,
        PLUGIN,
        preamble="""
        import nemo_run as run
        from tasks import train_model
        config = run.Partial(train_model, model_size=1024)
        executor = run.LocalExecutor(env_vars={"CUDA_VISIBLE_DEVICES": "0,1"}, working_dir=".")
        """,
    )
    logs = "".join(p.read_text() for p in (tmp_path / "home").rglob("*.log"))
    assert "trained model_size=1024" in logs, result.stdout + result.stderr + logs


# 002, "Ray Integration Example": nr-ray does not provide RayCluster/RayJob yet
RAY = """
from nemo_run.run.ray import RayCluster, RayJob

# Create Ray cluster
cluster = RayCluster(
    name="ml-cluster",
    executor=kuberay_executor
)
cluster.start(timeout=900)
"""


def test_ray_example_says_not_available_yet(tmp_path: Path) -> None:
    result = run_block(
        tmp_path,
        RAY,
        preamble="import nemo_run as run\nkuberay_executor = None",
        check=False,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("nemo_run.errors.NotAvailableYetError: RayCluster is not available yet")
    assert "pip install 'nemo-run[ray]'" in last


# 002, "Tunneling System Example" (config comes from the page's earlier examples)
TUNNEL = """
import nemo_run as run

# SSH tunnel to remote cluster
ssh_tunnel = run.SSHTunnel(
    host="login.cluster.com",
    user="username",
    identity="~/.ssh/id_rsa",
    job_dir="/scratch/username/runs"
)

# Use with executor
executor = run.SlurmExecutor(tunnel=ssh_tunnel)
run.run(config, executor=executor)
"""


@pytest.mark.slurm
@pytest.mark.ssh
def test_tunneling_example_runs_on_the_testbed_slurm(tmp_path: Path, testbed) -> None:
    git_project(tmp_path)
    job_root = f"/tmp/nr-seed-{tmp_path.name}"
    block = (
        TUNNEL.replace(
            'host="login.cluster.com"',
            f"host={testbed.ssh_host!r}, port={testbed.ssh_port}, "
            f"known_hosts={testbed.ssh_known_hosts!r}",
        )
        .replace('user="username"', f"user={testbed.ssh_root_user!r}")
        .replace('identity="~/.ssh/id_rsa"', f"identity={testbed.ssh_key!r}")
        .replace('job_dir="/scratch/username/runs"', f"job_dir={job_root!r}")
        # the testbed's nodes find this interpreter (with the repo's packages) on their PATH
        .replace(
            "run.SlurmExecutor(tunnel=ssh_tunnel)",
            f"run.SlurmExecutor(tunnel=ssh_tunnel, env_vars={{'PATH': {PATH!r}}})",
        )
    )
    (tmp_path / "tasks.py").write_text(TASKS, encoding="utf-8")  # the job imports it
    (tmp_path / ".gitignore").write_text("home/\n__pycache__/\nseed_block.py\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-C",
            str(tmp_path),
            "commit",
            "-qm",
            "tasks",
        ],
        check=True,
    )
    result = run_block(
        tmp_path,
        block,
        preamble="""
        import nemo_run as run
        from tasks import train_model
        config = run.Partial(train_model, model_size=1024)
        """,
    )
    assert "SUCCEEDED" in result.stdout + result.stderr, result.stdout + result.stderr


PATH = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
