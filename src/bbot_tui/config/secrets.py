"""Where a profile's API key is kept: the system keyring when there is one, else settings.json.

As ``gh`` does it: on save, each profile's key goes to the system keyring (macOS Keychain,
Windows Credential Locker, the Secret Service on a Linux desktop) under the service
:data:`SERVICE` and the profile's name, and ``settings.json`` keeps only the marker
``"key_store": "keyring"``; on load the key is read back from there. Where no keyring is
available (the usual case on a headless Linux, over ssh, in a container) or it refuses, the
key stays in the 0600 settings file as before, without a warning at every launch: the
connection form and ``bbot-tui doctor`` say where the key lives (:func:`describe_store`).

Every call here may block (D-Bus, a keychain prompt): callers run them off the event loop
(:func:`bbot_tui.config.settings.asave_settings` and the app's load do).
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = [
    "SERVICE",
    "KeyStore",
    "delete_key",
    "describe_store",
    "keyring_available",
    "keyring_backend",
    "load_key",
    "store_key",
]

SERVICE = "bbot-tui"
"""The keyring service name; the account name is the profile's name."""

KeyStore: TypeAlias = Literal["keyring", "file"]
"""Where a saved key lives: the system keyring, or the settings file."""

_lock = threading.Lock()
_known: weakref.WeakKeyDictionary[KeyringBackend, dict[str, str]] = weakref.WeakKeyDictionary()
"""What this process knows each keyring holds (backend → profile → key): a save that changes
nothing makes no keyring call."""


def keyring_backend() -> KeyringBackend | None:
    """The system keyring, or None when there is none that works here.

    The ``keyring`` package's fallback backends (``fail``: none found; ``null``: turned off
    with ``PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring``) count as none.
    """
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:  # a broken keyring configuration must not stop the app
        return None
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    try:
        if float(backend.priority) <= 0:  # e.g. a chainer with no backend in it
            return None
    except Exception:
        return None
    return backend


def keyring_available() -> bool:
    """Whether a system keyring is there to keep keys in."""
    return keyring_backend() is not None


def store_key(profile: str, key: str) -> bool:
    """Keep ``key`` in the keyring for ``profile``.

    Returns:
        True if the keyring holds it now; False (no keyring, or it refused): keep it in the
        file instead.
    """
    backend = keyring_backend()
    if backend is None:
        return False
    with _lock:
        known = _known.setdefault(backend, {})
        if known.get(profile) == key:
            return True
        try:
            backend.set_password(SERVICE, profile, key)
        except Exception:  # locked, refused, no D-Bus session: the file keeps it
            return False
        known[profile] = key
    return True


def load_key(profile: str) -> str | None:
    """The key the keyring holds for ``profile``, or None (none there, or no keyring)."""
    backend = keyring_backend()
    if backend is None:
        return None
    try:
        key = backend.get_password(SERVICE, profile)
    except Exception:
        return None
    if key:
        with _lock:
            _known.setdefault(backend, {})[profile] = key
    return key or None


def delete_key(profile: str) -> None:
    """Remove ``profile``'s key from the keyring, if it is there (errors are ignored)."""
    backend = keyring_backend()
    if backend is None:
        return
    with _lock:
        _known.get(backend, {}).pop(profile, None)
    try:
        backend.delete_password(SERVICE, profile)
    except Exception:  # not there, or the keyring refused: nothing to undo
        return


def describe_store(store: KeyStore | None, *, has_key: bool) -> str:
    """Where a key lives, for people: ``in the system keyring`` or ``in settings.json``.

    Args:
        store: the profile's :attr:`~bbot_tui.config.settings.Profile.key_store` (None: not
            saved yet: where the next save will put it).
        has_key: whether the profile has a key at all.
    """
    if not has_key:
        return "no key"
    if store is None:
        store = "keyring" if keyring_available() else "file"
    if store == "keyring":
        return "in the system keyring"
    return "in settings.json" + ("" if keyring_available() else " (no system keyring here)")
