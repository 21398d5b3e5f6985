// Runs the jco-transpiled dist/stepwasm-cli.wasm under Node.js, lending it
// what `wasmtime run --dir STEPPATH::/step --dir .::. --env STEPPATH=/step`
// lends: usage: node run-cli.mjs TRANSPILED_JS STEPPATH_DIR ARGS...
// The runtime's HTTP client (wasi:http) is Node's https, which trusts Node's
// roots plus NODE_EXTRA_CA_CERTS.
import process, { argv, cwd, exit } from "node:process";
import { pathToFileURL } from "node:url";
import { _setArgs, _setCwd, _setEnv } from "@bytecodealliance/preview2-shim/cli";
import { _setPreopens, types } from "@bytecodealliance/preview2-shim/filesystem";
import { tcpCreateSocket } from "@bytecodealliance/preview2-shim/sockets";

// TODO: drop when preview2-shim accepts it. wasi-libc asks for the
// `mutate-directory` descriptor flag on writable opens, and preview2-shim
// 0.26.1 (the newest) answers every such open "unsupported", where wasmtime
// opens the file. The flag only grants rights on directory entries, which this
// shim never restricts, so the open goes on without it.
const openAt = types.Descriptor.prototype.openAt;
types.Descriptor.prototype.openAt = function (pathFlags, path, openFlags, flags) {
  return openAt.call(this, pathFlags, path, openFlags, { ...flags, mutateDirectory: false });
};

// STEPWASM_NO_SOCKETS=1 stands in for a runtime that lends wasi:http but no
// sockets (some edge runtimes): every TCP socket is refused, as access-denied.
if (process.env.STEPWASM_NO_SOCKETS) {
  tcpCreateSocket.createTcpSocket = () => {
    throw "access-denied";
  };
}

// WASI 0.2 has no file modes: files get 0666 less the umask, so keys are
// owner-only only under umask 077, which this runner sets for all it writes.
process.umask(0o077);

const [transpiled, steppath, ...args] = argv.slice(2);
if (!transpiled || !steppath) {
  console.error("usage: node run-cli.mjs TRANSPILED_JS STEPPATH_DIR ARGS...");
  exit(2);
}
_setPreopens({ "/step": steppath, ".": cwd() });
// The shim calls every stream a terminal: without one, ask for no colours.
const env = { STEPPATH: "/step", STEPWASM_UMASK: "077" };
if (!process.stderr.isTTY) {
  env.NO_COLOR = "1";
}
for (const name of ["STEPWASM_DEBUG", "STEPWASM_TIMEOUT"]) {
  if (process.env[name]) {
    env[name] = process.env[name];
  }
}
_setEnv(env);
_setArgs(["stepwasm", ...args]);
_setCwd("/");

const { run } = await import(pathToFileURL(transpiled).href);
try {
  run.run();
} catch (error) {
  // The component already printed its one line; `run` returned an error.
  exit(1);
}
