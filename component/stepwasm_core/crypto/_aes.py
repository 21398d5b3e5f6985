"""The AES block function, from tlslite-ng's pure-Python Rijndael.

tlslite decorates ``Rijndael.__init__`` with a deprecation shim that reads
the caller's source line through ``inspect`` on every construction. That is
slow, and it fails outright where source lines are unavailable (code run
from a snapshot or ``python -c``), so the undecorated ``__init__`` kept by
``functools.wraps`` is called directly.
"""

from __future__ import annotations

from tlslite.utils.rijndael import Rijndael

from ..errors import CryptoError

__all__ = ["AES"]

_RIJNDAEL_INIT = getattr(Rijndael.__init__, "__wrapped__", Rijndael.__init__)


class AES:
    """One AES key schedule: encrypts or decrypts single 16-byte blocks."""

    __slots__ = ("_decrypt", "_encrypt")

    def __init__(self, key: bytes) -> None:
        if len(key) not in (16, 24, 32):
            raise CryptoError(f"an AES key has 16, 24 or 32 bytes, not {len(key)}")
        cipher = Rijndael.__new__(Rijndael)
        _RIJNDAEL_INIT(cipher, bytes(key), 16)
        self._encrypt = cipher.encrypt
        self._decrypt = cipher.decrypt

    def encrypt_block(self, block: bytes) -> bytes:
        """Encrypt one 16-byte block."""
        return bytes(self._encrypt(block))

    def decrypt_block(self, block: bytes) -> bytes:
        """Decrypt one 16-byte block."""
        return bytes(self._decrypt(block))
