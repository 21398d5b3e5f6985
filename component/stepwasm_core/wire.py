"""Typed records of the step-ca HTTP API, and their JSON forms."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .errors import CAError

__all__ = [
    "MAX_JSON_DEPTH",
    "Provisioner",
    "ProvisionerPage",
    "RevokeRequest",
    "SignRequest",
    "SignResponse",
    "parse_json",
]

#: No answer of step-ca nests deeper than a few levels. CPython's parser
#: recurses per level and, inside WebAssembly, a few thousand levels exhaust
#: the stack (a trap, not an exception), so deeper input is refused first.
MAX_JSON_DEPTH = 64
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def parse_json(data: bytes) -> object:
    """`json.loads` of UTF-8 `data`, refusing (ValueError) deep nesting."""
    text = data.decode("utf-8")
    depth = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return json.loads(text)


def _expect_dict(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise CAError(0, f"unexpected {what} from the CA: not a JSON object")
    return value


@dataclass(frozen=True)
class Provisioner:
    """One entry of `GET /provisioners`; `raw` keeps every field."""

    type: str
    name: str
    kid: str
    key: dict
    encrypted_key: str
    raw: dict = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, obj: object) -> Provisioner:
        obj = _expect_dict(obj, "provisioner")
        key = obj.get("key") if isinstance(obj.get("key"), dict) else {}
        return cls(
            type=str(obj.get("type", "")),
            name=str(obj.get("name", "")),
            kid=str(key.get("kid", "")),
            key=key,
            encrypted_key=str(obj.get("encryptedKey", "")),
            raw=obj,
        )


@dataclass(frozen=True)
class ProvisionerPage:
    provisioners: list[Provisioner]
    next_cursor: str

    @classmethod
    def from_json(cls, obj: object) -> ProvisionerPage:
        obj = _expect_dict(obj, "provisioner list")
        items = obj.get("provisioners") or []
        if not isinstance(items, list):
            raise CAError(0, "unexpected provisioner list from the CA")
        return cls(
            provisioners=[Provisioner.from_json(item) for item in items],
            next_cursor=str(obj.get("nextCursor") or ""),
        )


@dataclass(frozen=True)
class SignRequest:
    csr_pem: str
    ott: str
    not_before: str = ""
    not_after: str = ""

    def to_json(self) -> dict:
        body = {"csr": self.csr_pem, "ott": self.ott}
        if self.not_before:
            body["notBefore"] = self.not_before
        if self.not_after:
            body["notAfter"] = self.not_after
        return body


@dataclass(frozen=True)
class SignResponse:
    """The answer of /sign and /renew: the leaf and the chain, PEM."""

    crt_pem: str
    chain_pems: list[str]

    @classmethod
    def from_json(cls, obj: object) -> SignResponse:
        obj = _expect_dict(obj, "certificate response")
        crt = obj.get("crt")
        if not isinstance(crt, str) or not crt:
            raise CAError(0, "the CA's answer has no certificate ('crt')")
        chain = obj.get("certChain")
        if isinstance(chain, list) and chain:
            pems = [str(item) for item in chain]
        else:
            # Older servers send the leaf and its issuer ("ca") only.
            pems = [crt] + ([str(obj["ca"])] if obj.get("ca") else [])
        return cls(crt_pem=crt, chain_pems=pems)


@dataclass(frozen=True)
class RevokeRequest:
    serial: str
    reason_code: int = 0
    reason: str = ""
    ott: str = ""

    def to_json(self) -> dict:
        body: dict = {
            "serial": self.serial,
            "reasonCode": self.reason_code,
            "passive": True,
        }
        if self.reason:
            body["reason"] = self.reason
        if self.ott:
            body["ott"] = self.ott
        return body
