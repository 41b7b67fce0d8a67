"""Telling whether the process that drives an experiment still runs."""

import dataclasses
import subprocess
import sys

from nr_experiment.processes import ProcessIdentity


def test_a_live_process_and_the_same_pid_reused() -> None:
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as child:
        try:
            identity = ProcessIdentity.of_pid(child.pid)
            assert identity.is_running() is True
            assert not identity.is_current()
            assert ProcessIdentity.from_record(identity.to_record()) == identity
            assert identity.started is not None
            reused = dataclasses.replace(identity, started=identity.started - 3600)
            assert reused.is_running() is False  # the pid now names a later process
        finally:
            child.kill()
    assert identity.is_running() is False  # gone (and reaped)


def test_another_host_cannot_be_told_and_bad_records_are_none() -> None:
    here = ProcessIdentity.current()
    assert here.is_current()
    assert dataclasses.replace(here, host=f"not-{here.host}").is_running() is None
    assert ProcessIdentity.from_record(None) is None
    assert ProcessIdentity.from_record({"host": "h", "pid": "12"}) is None
