"""The store's JSON format: strict reads, and durable writes through :mod:`nr_exec.durable`.

A write goes to a temporary file in the target's directory, is fsynced, renamed over the
target and the directory is fsynced (the one writer of the project, shared with the exit
markers): a reader, or a process killed half-way, sees the old content or the new one, never a
mix. Reads never "repair" anything: a file that does not parse raises
:class:`CorruptMetadataError` naming it.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nr_exec.durable import fsync_dir, write_text_atomic

from nr_experiment.store.errors import CorruptMetadataError
from nr_experiment.store.syncs import DEFERRED

__all__ = [
    "decode_json",
    "decode_json_object",
    "dumps_json",
    "fsync_dir",
    "read_json",
    "read_json_object",
    "write_json_atomic",
    "write_text_atomic",
]


def dumps_json(data: Any) -> str:
    """Serialise ``data`` the way every store file is written (sorted keys, newline at the end).

    An object is written one key per line, each value on its line in compact JSON; any other
    value on one line. Every value goes through the C encoder (an indented dump is the pure
    Python one, ~10x slower): a store file stays readable, and a launcher writing thousands of
    ``job.json`` pays little for it. Any JSON reader reads it; older, fully indented files are
    read the same way.

    Args:
        data: A JSON-serialisable value.

    Returns:
        The JSON text.

    Raises:
        TypeError: ``data`` holds a value JSON cannot represent.
        ValueError: ``data`` holds a NaN or infinite float.
    """
    if not isinstance(data, dict) or not data or not all(isinstance(k, str) for k in data):
        return _dumps(data) + "\n"
    encode, key_text = _value_encoder(), json.encoder.encode_basestring
    lines = [f"  {key_text(key)}: {encode(data[key])}" for key in sorted(data)]
    return "{\n" + ",\n".join(lines) + "\n}\n"


#: One encoder for every value (``json.dumps`` builds one per call).
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False)
_dumps = _ENCODER.encode


def _value_encoder() -> Callable[[Any], str]:
    """A function encoding values as :data:`_dumps` does, through one C encoder.

    ``encode`` makes a C encoder per value; this makes one per file (not one for all: a failed
    encoding may leave its marks behind). Without the C accelerator it is :data:`_dumps`.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _dumps
    encoder = make(
        {}, _ENCODER.default, json.encoder.encode_basestring, None, ": ", ", ", True, False, False
    )  # fmt: skip
    return lambda value: "".join(encoder(value, 0))


def write_json_atomic(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` as JSON (:func:`dumps_json`), atomically and durably.

    Inside :meth:`~nr_experiment.store.Store.deferred_syncs` (in the calling thread) the write
    is atomic at once and durable at the next flush (:mod:`nr_experiment.store.syncs`).

    Args:
        path: The file to write; its directory must exist.
        data: A JSON-serialisable value.

    Raises:
        TypeError: ``data`` holds a value JSON cannot represent (nothing is written).
        ValueError: ``data`` holds a NaN or infinite float (nothing is written).
    """
    DEFERRED.write_text(path, dumps_json(data))


def read_json(path: Path) -> Any:
    """Read a JSON file strictly.

    Args:
        path: The file to read.

    Returns:
        The decoded value.

    Raises:
        FileNotFoundError: The file does not exist.
        CorruptMetadataError: The file is empty, not UTF-8 or not valid JSON.
    """
    return decode_json(path, path.read_bytes())


def decode_json(path: Path, raw: bytes) -> Any:
    """Decode the bytes read from a JSON file strictly.

    Args:
        path: The file they were read from (named in errors).
        raw: Its bytes.

    Returns:
        The decoded value.

    Raises:
        CorruptMetadataError: The bytes are empty, not UTF-8 or not valid JSON.
    """
    if not raw.strip():
        raise CorruptMetadataError(path, "the file is empty (truncated?)")
    try:
        return json.loads(raw.decode())
    except UnicodeDecodeError as error:
        raise CorruptMetadataError(
            path, f"not UTF-8 ({error.reason} at byte {error.start})"
        ) from error
    except json.JSONDecodeError as error:
        raise CorruptMetadataError(
            path, f"invalid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from error


def read_json_object(path: Path) -> dict[str, Any]:
    """Read a JSON file that must hold an object.

    Args:
        path: The file to read.

    Returns:
        The decoded object.

    Raises:
        FileNotFoundError: The file does not exist.
        CorruptMetadataError: The file does not parse, or holds something other than an object.
    """
    return decode_json_object(path, path.read_bytes())


def decode_json_object(path: Path, raw: bytes) -> dict[str, Any]:
    """Decode the bytes of a JSON file that must hold an object (see :func:`decode_json`).

    Raises:
        CorruptMetadataError: The bytes do not parse, or hold something other than an object.
    """
    data = decode_json(path, raw)
    if not isinstance(data, dict):
        raise CorruptMetadataError(path, f"expected a JSON object, found {type(data).__name__}")
    return data
