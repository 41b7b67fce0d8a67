"""require_extra: lazy SDK imports with an error naming the extra to install."""

import json

import pytest
from nr_exec import MissingExtraError, require_extra


def test_present_module_is_returned() -> None:
    assert require_extra("json", "json") is json


def test_missing_module_names_the_extra() -> None:
    with pytest.raises(MissingExtraError) as info:
        require_extra("nr_exec_no_such_sdk", "docker")
    message = str(info.value)
    assert message.startswith(
        "the docker backend needs the 'docker' extra: pip install 'nr-exec[docker]'"
    )
    assert "nr_exec_no_such_sdk" in message
    assert isinstance(info.value, ImportError)


def test_feature_and_distribution_in_message() -> None:
    with pytest.raises(
        MissingExtraError,
        match=r"the TorchX adapter needs the 'torchx' extra: pip install 'nemo-run\[torchx\]'",
    ):
        require_extra("nr_exec_no_such_sdk", "torchx", "nemo-run", feature="the TorchX adapter")
