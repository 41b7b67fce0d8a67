"""Pieces of error messages: argument paths and value descriptions.

Kept apart from `nr_config.errors` (which re-exports them) and free of imports, so the in-job
runner's lean decoder can name paths without loading the error classes until it raises one.
"""

__all__ = ["describe_value", "join_path"]


def join_path(prefix: str, path: str) -> str:
    """Join two path fragments: ``join_path("model", "size")`` is ``"model.size"``.

    Args:
        prefix: The outer path (may be empty).
        path: The inner path (may be empty, or start with ``[``).

    Returns:
        The joined path.
    """
    if not prefix:
        return path
    if not path:
        return prefix
    if path.startswith("["):
        return prefix + path
    return f"{prefix}.{path}"


def describe_value(value: object) -> str:
    """Describe a value for an error message: its repr (shortened) and its type name."""
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{text} ({type(value).__name__})"
