"""Exceptions mirroring the store's Status codes; all are systore.Error."""
from __future__ import annotations

import functools

from . import _systore


class Error(Exception):
    """A systore operation failed; str(e) is the store's message (file, row, field)."""
    code = "Error"


class InvalidArgument(Error, ValueError):
    code = "InvalidArgument"


class NotFound(Error, KeyError):
    code = "NotFound"

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AlreadyExists(Error):
    code = "AlreadyExists"


class Corruption(Error):
    code = "Corruption"


class IOError(Error, OSError):  # noqa: A001 - mirrors StatusCode::kIOError
    code = "IOError"


class Conflict(Error):
    code = "Conflict"


class Unavailable(Error):
    code = "Unavailable"


class NotImplemented(Error):  # noqa: A001 - mirrors StatusCode::kNotImplemented
    code = "NotImplemented"


class Internal(Error):
    code = "Internal"


_BY_CODE = {c.code: c for c in (InvalidArgument, NotFound, AlreadyExists, Corruption, IOError,
                                 Conflict, Unavailable, NotImplemented, Internal)}


def translate(fn):
    """Re-raises the extension's StatusError as the matching systore.Error subclass."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except _systore.StatusError as e:
            code, message = e.args
            raise _BY_CODE.get(code, Error)(message) from None
    return wrapper
