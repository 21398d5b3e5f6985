"""Which key to make, as `--kty`, `--curve` and `--size` say it."""

from __future__ import annotations

from .crypto import keys
from .errors import InputError

__all__ = ["RSA_MAX_BITS", "RSA_MIN_BITS", "key_spec", "new_key"]

# Pure-Python RSA key generation takes minutes beyond 4096 bits, longer than
# a token lives.
RSA_MIN_BITS, RSA_MAX_BITS = 2048, 4096


def key_spec(kty: str, curve: str, size: int) -> tuple[str, str, int]:
    """Check the flags and fill in step's defaults: P-256 for EC, Ed25519 for OKP."""
    kty = kty.upper()
    if kty == "EC":
        curve = curve or "P-256"
        if curve not in ("P-256", "P-384", "P-521"):
            raise InputError(f"--curve {curve}: EC keys take P-256, P-384 or P-521")
    elif kty == "OKP":
        curve = curve or "Ed25519"
        if curve != "Ed25519":
            raise InputError(f"--curve {curve}: OKP keys take Ed25519")
    elif kty == "RSA":
        if curve:
            raise InputError(f"--curve {curve}: RSA keys take --size, not a curve")
        if not (RSA_MIN_BITS <= size <= RSA_MAX_BITS) or size % 8:
            raise InputError(
                f"--size {size}: RSA keys here take {RSA_MIN_BITS} to "
                f"{RSA_MAX_BITS} bits, in steps of 8"
            )
    else:
        raise InputError(f"--kty {kty}: expected EC, OKP or RSA")
    return kty, curve, size


def new_key(kty: str, curve: str, size: int) -> keys.PrivateKey:
    """A fresh key of the kind the flags name."""
    return keys.generate_key(*key_spec(kty, curve, size))
