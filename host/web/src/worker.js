// The component's own thread: it runs the jco-transpiled stepwasm component,
// serves its synchronous `http.send` with synchronous XHR to the gateway, and
// keeps the `storage` files in memory, written through to IndexedDB.
//
// The page talks to it with messages {id, op, ...} and gets {id, ok, value}
// or {id, ok: false, error} back; see main.js for the callers.

import * as shim from "@bytecodealliance/preview2-shim";
import { instantiate } from "../build/jco/stepwasm.js";
import { FileStore, checkPath } from "./store.js";

const store = new FileStore();
let config = null; // {caUrl, fingerprint} from the gateway
let component = null; // the instantiated component, or null after a trap
let transient = new Map(); // files visible to one run only (prompted passwords)
const modules = new Map(); // compiled core modules, kept across re-instantiations

// -- the http import -------------------------------------------------------

class HttpError {
  constructor(tag, val) {
    this.tag = tag;
    if (val !== undefined) this.val = val;
  }
}

// Headers the browser sets itself or refuses to let a script set.
const SKIPPED_HEADERS = new Set(["host", "content-length", "connection", "user-agent"]);

function gatewayPath(url) {
  let target;
  try {
    target = new URL(url);
  } catch {
    throw new HttpError("denied", `invalid url: ${url}`);
  }
  const ca = new URL(config.caUrl);
  if (target.origin !== ca.origin || target.username || target.password) {
    throw new HttpError(
      "denied",
      `${target.origin}: this page reaches only the CA at ${ca.origin}`,
    );
  }
  return "/ca" + target.pathname + target.search;
}

function decodeChain(value) {
  if (!value) return [];
  return value
    .split(",")
    .filter((part) => part.length > 0)
    .map((part) => Uint8Array.from(atob(part.trim()), (c) => c.charCodeAt(0)));
}

function send(request) {
  const path = gatewayPath(request.url);
  const xhr = new XMLHttpRequest();
  xhr.open(request.method, path, false);
  xhr.responseType = "arraybuffer";
  if (request.timeoutMs) xhr.timeout = request.timeoutMs;
  for (const [name, value] of request.headers) {
    if (!SKIPPED_HEADERS.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
  }
  // A header no form or foreign page can send without a CORS preflight,
  // which the gateway never grants.
  xhr.setRequestHeader("X-Stepwasm-Gateway", "1");
  try {
    xhr.send(request.body.length ? request.body : null);
  } catch (e) {
    if (e && e.name === "TimeoutError") throw new HttpError("timeout");
    throw new HttpError("connect", `the gateway did not answer: ${e && e.message}`);
  }
  const failure = xhr.getResponseHeader("X-Stepwasm-Error");
  if (failure) {
    const [kind, ...rest] = failure.split(":");
    const message = rest.join(":").trim();
    if (kind === "timeout" || kind === "too-large") throw new HttpError(kind);
    const known = ["denied", "dns", "connect", "tls", "protocol"];
    throw new HttpError(known.includes(kind) ? kind : "protocol", message);
  }
  const headers = [];
  for (const line of xhr.getAllResponseHeaders().trim().split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return {
    status: xhr.status,
    headers,
    body: new Uint8Array(xhr.response || new ArrayBuffer(0)),
    peerChain: decodeChain(xhr.getResponseHeader("X-Stepwasm-Peer-Chain")),
  };
}

const httpImport = {
  // fetch and XHR cannot present a client certificate: renewals use a token.
  supportsClientCertificates: () => false,
  send,
};

// -- the storage import ----------------------------------------------------

class StorageError {
  constructor(tag, val) {
    this.tag = tag;
    this.val = val;
  }
}

// Both scopes, the profile and the files named on the command line, share one
// store: `web.crt` and `certs/root_ca.crt` sit side by side.
function storagePath(path) {
  const problem = checkPath(path);
  if (problem) throw new StorageError("invalid-path", `${path}: ${problem}`);
  return path;
}

const storageImport = {
  read(_scope, path) {
    const key = storagePath(path);
    const data = transient.get(key) ?? store.get(key);
    if (data === undefined) throw new StorageError("not-found", `${path}: no such file`);
    return data;
  },
  write(_scope, path, data, secret) {
    store.put(storagePath(path), new Uint8Array(data), secret);
  },
  listFiles(_scope, prefix) {
    const base = prefix.replace(/\/+$/, "");
    if (base) storagePath(base);
    return store.list(base);
  },
  remove(_scope, path) {
    const key = storagePath(path);
    if (!store.remove(key)) throw new StorageError("not-found", `${path}: no such file`);
  },
};

// -- the component ---------------------------------------------------------

function wasiImports() {
  const camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  const imports = {};
  const names = {
    cli: ["environment", "exit", "stderr", "stdin", "stdout", "terminal-input",
      "terminal-output", "terminal-stderr", "terminal-stdin", "terminal-stdout"],
    clocks: ["monotonic-clock", "wall-clock"],
    filesystem: ["preopens", "types"],
    io: ["error", "poll", "streams"],
    random: ["random"],
    sockets: ["instance-network", "ip-name-lookup", "network", "tcp",
      "tcp-create-socket", "udp", "udp-create-socket"],
  };
  for (const [pkg, ifaces] of Object.entries(names)) {
    for (const iface of ifaces) imports[`wasi:${pkg}/${iface}`] = shim[pkg][camel(iface)];
  }
  return imports;
}

async function coreModule(name) {
  if (!modules.has(name)) {
    // Relative to the worker script, which sits among the assets.
    modules.set(name, WebAssembly.compileStreaming(fetch(name)));
  }
  return modules.get(name);
}

async function load() {
  // The profile sits at the root of the one store: certs/root_ca.crt.
  shim.cli._setEnv({ STEPPATH: "." });
  const root = await instantiate(coreModule, {
    ...wasiImports(),
    "stepwasm:client/http": httpImport,
    "stepwasm:client/storage": storageImport,
  });
  return root.api;
}

function describe(error) {
  if (error && error.payload && error.payload.message) return error.payload.message;
  if (error instanceof WebAssembly.RuntimeError) return `the component trapped: ${error.message}`;
  return `${(error && error.name) || "Error"}: ${(error && error.message) || error}`;
}

async function run(args, secrets) {
  if (component === null) component = await load();
  transient = new Map(Object.entries(secrets || {}).map(([k, v]) => [storagePath(k), v]));
  try {
    const result = component.run(args);
    return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  } catch (error) {
    // A trap leaves the instance unusable: the next command starts a new one.
    component = null;
    return { exitCode: 2, stdout: "", stderr: `stepwasm: ${describe(error)}\n`, trapped: true };
  } finally {
    transient = new Map();
    await store.flushed();
  }
}

// -- messages --------------------------------------------------------------

const ops = {
  async init(message) {
    config = message.config;
    await store.open();
    const started = performance.now();
    component = await load();
    return { loadMs: performance.now() - started, files: store.list("") };
  },
  run: (message) => run(message.args, message.secrets),
  readFile: (message) => {
    const data = store.get(storagePath(message.path));
    if (data === undefined) throw new Error(`${message.path}: no such file`);
    return data;
  },
  async writeFile(message) {
    store.put(storagePath(message.path), message.data, !!message.secret);
    await store.flushed();
  },
  async removeFile(message) {
    if (!store.remove(storagePath(message.path))) throw new Error(`${message.path}: no such file`);
    await store.flushed();
  },
  listFiles: () => store.listDetailed(),
  // When to renew a stored certificate, by the core's schedule: null when
  // this component has none (the page then uses its own rule).
  async schedule(message) {
    if (component === null) component = await load();
    if (typeof component.nextRenewal !== "function") return null;
    const chain = store.get(storagePath(message.path));
    if (chain === undefined) throw new Error(`${message.path}: no such file`);
    const last = message.lastRenewal ?? undefined;
    const renewal = component.nextRenewal(chain, { expiresIn: "", renewPeriod: "" }, last);
    return { renewAt: renewal.renewAt * 1000, warnings: renewal.warnings };
  },
  getMeta: (message) => store.getMeta(message.key),
  setMeta: (message) => store.setMeta(message.key, message.value),
};

// Messages are handled one at a time, in order: a command never overlaps
// another one or a file operation.
let queue = Promise.resolve();
self.onmessage = (event) => {
  const message = event.data;
  queue = queue.then(async () => {
    try {
      const value = await ops[message.op](message);
      self.postMessage({ id: message.id, ok: true, value });
    } catch (error) {
      self.postMessage({ id: message.id, ok: false, error: describe(error) });
    }
  });
};
