"""A toy component for the `embedded` world whose behaviour the host tests
know: `wasi:cli/run` prints its argv, tries one HTTP request that must fail,
and writes then reads a secret file; `api.run` echoes its arguments; every
other `api` function returns nothing where a record is due, so it traps."""

import os
import sys

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import api
from wit_world.imports import http, storage


class Run(exports.Run):
    def run(self) -> None:
        print("argv", sys.argv, os.environ.get("STEPPATH"))
        try:
            response = http.send(
                http.Request("GET", "https://127.0.0.1:1/x", [], b"", None, 1000)
            )
            print(response.status)
        except Err as exc:
            print("http err", exc.value)
        storage.write(storage.Scope.PROFILE, "a/b.txt", b"hi", True)
        print(storage.read(storage.Scope.PROFILE, "a/b.txt"))
        sys.stdout.flush()


def _nothing(self, *args):
    return None


class Api(exports.Api):
    def run(self, args):
        return api.RunResult(0, "out:" + " ".join(args), "")

    bootstrap = certificate = inspect = read_profile = _nothing
    renew = revoke = token = _nothing
    next_renewal = plan_daemon = renew_files = _nothing
