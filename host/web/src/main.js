// The page: a terminal that runs stepwasm commands in the component, a tree
// of the stored files, and a rotation panel that renews certificates.
//
// `window.stepwasm` is the page's script API; the terminal, the tree and the
// panel use it themselves.

import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { LineEditor, flagValue, positionals, splitWords } from "./shell.js";

const started = performance.now();
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const $ = (id) => document.getElementById(id);

// -- the worker that runs the component -------------------------------------

const worker = new Worker("assets/worker.js");
const waiting = new Map();
let nextId = 1;

function call(op, fields = {}, transfer = []) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker.postMessage({ id, op, ...fields }, transfer);
  });
}

worker.onmessage = (event) => {
  const { id, ok, value, error } = event.data;
  const caller = waiting.get(id);
  waiting.delete(id);
  if (ok) caller.resolve(value);
  else caller.reject(new Error(error));
};

worker.onerror = (event) => {
  event.preventDefault();
  const message = `the component's worker failed: ${event.message || "unknown error"}`;
  for (const caller of waiting.values()) caller.reject(new Error(message));
  waiting.clear();
  say(`stepwasm: ${message}`, "error");
};

// -- the script API ----------------------------------------------------------

const listeners = new Set();

function changed() {
  for (const listener of listeners) listener();
}

const api = {
  /** Run one command line (a list of words); resolves to its result. */
  async run(args, { secrets } = {}) {
    if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
      throw new TypeError("run(args): args is a list of strings");
    }
    try {
      const result = await call("run", { args, secrets });
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
    } finally {
      changed();
    }
  },
  /** The bytes of a stored file. */
  readFile: (path) => call("readFile", { path }),
  /** Store a file: bytes, or text (UTF-8). */
  async writeFile(path, data, { secret = false } = {}) {
    const bytes = typeof data === "string" ? encoder.encode(data) : new Uint8Array(data);
    await call("writeFile", { path, data: bytes, secret });
    changed();
  },
  async removeFile(path) {
    await call("removeFile", { path });
    changed();
  },
  /** Every stored file: [{path, size, secret, modified}]. */
  listFiles: () => call("listFiles"),
  onChange(listener) {
    listeners.add(listener);
  },
  timings: {},
  config: null,
  rotation: null,
};
window.stepwasm = api;

// -- the terminal ------------------------------------------------------------

const term = new Terminal({
  convertEol: false,
  cursorBlink: true,
  fontSize: 13,
  scrollback: 5000,
  theme: { background: "#111418" },
});
const fit = new FitAddon();
term.loadAddon(fit);
term.open($("terminal"));
fit.fit();
window.addEventListener("resize", () => fit.fit());

// Copy with Ctrl+C (or Ctrl+Shift+C) while text is selected, paste with Ctrl+V
// (the browser's paste event reaches the terminal).
term.attachCustomKeyEventHandler((event) => {
  if (event.type !== "keydown") return true;
  const key = event.key.toLowerCase();
  if ((event.ctrlKey || event.metaKey) && key === "c" && term.hasSelection()) {
    navigator.clipboard?.writeText(term.getSelection()).catch(() => {});
    return false;
  }
  if ((event.ctrlKey || event.metaKey) && key === "v") return false;
  return true;
});

const editor = new LineEditor(term, "\x1b[32mstepwasm\x1b[0m$ ");
const COLORS = { error: "\x1b[31m", note: "\x1b[36m", rotation: "\x1b[35m" };

function say(text, kind) {
  const color = COLORS[kind];
  editor.print(color ? color + text.replace(/\n$/, "") + "\x1b[0m\n" : text);
}

// -- commands ----------------------------------------------------------------

// Flags of the stepwasm CLI that take a value (to find positional words).
const VALUE_FLAGS = new Set([
  "--ca-url", "--fingerprint", "--root", "--provisioner", "--issuer", "--kid",
  "--password-file", "--san", "--not-before", "--not-after", "--output-file",
  "--token", "--kty", "--curve", "--size", "--out", "--format", "--cert",
  "--key", "--reason", "--reasonCode",
]);

const HELP = `Commands run in the stepwasm component, as on the command line:
  ca bootstrap --ca-url URL --fingerprint FP
  ca certificate SUBJECT CRT KEY --provisioner NAME --password-file FILE
  certificate inspect CRT          ca renew CRT KEY --mtls=false
  ca token, ca revoke, ca root, ca health, ca provisioner list, certificate fingerprint
A --password-file that is not stored is asked for (masked) and kept for that
command only. Page commands:
  password FILE   store a password file (asked for, masked)
  ls              list the stored files
  rm FILE         remove a stored file
  rotate CRT KEY  let the rotation panel renew CRT
  clear           clear the screen
Files named on the command line and the profile share one store: the root is
certs/root_ca.crt.`;

async function askPassword(prompt) {
  return editor.read(prompt, { masked: true });
}

async function runCommand(args) {
  if (args[0] === "step" || args[0] === "stepwasm") args = args.slice(1);
  const secrets = {};
  const passwordFile = flagValue(args, "--password-file");
  if (passwordFile) {
    const stored = (await api.listFiles()).some((f) => f.path === passwordFile);
    if (!stored) {
      const password = await askPassword(`Password for ${passwordFile} (not stored): `);
      if (password === null) return;
      secrets[passwordFile] = encoder.encode(password);
    }
  }
  const result = await api.run(args, { secrets });
  if (result.stdout) say(result.stdout);
  if (result.stderr) say(result.stderr, result.exitCode ? "error" : undefined);

  const words = positionals(args, VALUE_FLAGS);
  if (result.exitCode === 0 && words[0] === "ca" && words[1] === "certificate" && words.length >= 5) {
    await rotation.watch(words[3], words[4]);
  } else if (result.exitCode === 0 && words[0] === "ca" && words[1] === "renew") {
    await rotation.refresh(flagValue(args, "--out") || words[2]);
  }
}

async function pageCommand(args) {
  switch (args[0]) {
    case "help":
      say(HELP);
      return true;
    case "clear":
      term.clear();
      return true;
    case "ls": {
      const files = await api.listFiles();
      say(files.map((f) => `${String(f.size).padStart(6)}  ${f.path}`).join("\n") || "(no files)");
      return true;
    }
    case "rm":
      if (args.length !== 2) throw new Error("usage: rm FILE");
      await api.removeFile(args[1]);
      await rotation.forget(args[1]);
      return true;
    case "password": {
      if (args.length !== 2) throw new Error("usage: password FILE");
      const first = await askPassword(`Password for ${args[1]}: `);
      if (first === null) return true;
      const again = await askPassword("Again: ");
      if (again === null) return true;
      if (first !== again) throw new Error("the passwords differ; nothing stored");
      await api.writeFile(args[1], first, { secret: true });
      say(`Stored ${args[1]} (owner-only, in this browser's store).`, "note");
      return true;
    }
    case "rotate":
      if (args.length !== 3) throw new Error("usage: rotate CRT KEY");
      await rotation.watch(args[1], args[2]);
      return true;
    default:
      return false;
  }
}

let commandsDone = 0;

async function repl() {
  let line = await editor.read();
  for (;;) {
    if (line === null || !line.trim()) {
      line = await editor.read();
      continue;
    }
    try {
      const args = splitWords(line);
      if (!(await pageCommand(args))) await runCommand(args);
    } catch (error) {
      say(`stepwasm: ${error.message}`, "error");
    }
    // The next prompt is up and every write has reached the screen: embedders
    // and tests wait for this count to change.
    const next = editor.read();
    await new Promise((resolve) => term.write("", resolve));
    document.body.dataset.commands = String(++commandsDone);
    line = await next;
  }
}

/** The terminal's text, one string per logical line (wrapped rows joined). */
api.terminalText = () => {
  const buffer = term.buffer.active;
  const lines = [];
  for (let i = 0; i < buffer.length; i++) {
    const row = buffer.getLine(i);
    const text = row.translateToString(true);
    if (row.isWrapped && lines.length) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  return lines.join("\n").replace(/\n+$/, "");
};

// -- the file tree and viewer ------------------------------------------------

let selected = null;

async function refreshTree() {
  const files = await api.listFiles();
  const tree = $("files");
  tree.replaceChildren();
  for (const file of files) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    const depth = file.path.split("/").length - 1;
    button.textContent = file.path.split("/").at(-1);
    button.title = file.path;
    button.dataset.path = file.path;
    button.style.paddingLeft = `${0.4 + depth * 1.1}em`;
    if (file.secret) button.classList.add("secret");
    if (file.path === selected) button.classList.add("selected");
    button.addEventListener("click", () => show(file.path));
    const dir = file.path.split("/").slice(0, -1).join("/");
    if (dir) {
      const label = document.createElement("span");
      label.className = "dir";
      label.textContent = dir + "/";
      button.prepend(label);
    }
    item.append(button);
    tree.append(item);
  }
  $("file-count").textContent = `${files.length} file${files.length === 1 ? "" : "s"}`;
  if (selected && !files.some((f) => f.path === selected)) {
    selected = null;
    $("viewer").hidden = true;
  } else if (selected) {
    await show(selected);
  }
}

function looksLikeKey(text) {
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) || /"d"\s*:/.test(text);
}

async function show(path) {
  selected = path;
  const files = await api.listFiles();
  const entry = files.find((f) => f.path === path);
  const data = await api.readFile(path);
  const text = decoder.decode(data);
  let body;
  if (entry.secret || looksLikeKey(text)) {
    const kind = text.match(/-----BEGIN ([A-Z ]*)-----/);
    body = `${kind ? kind[1].toLowerCase() : "secret"}, ${data.length} bytes: not shown.\n` +
      "Download it to use it elsewhere.";
  } else if (text.includes("-----BEGIN CERTIFICATE") || text.includes("-----BEGIN CERTIFICATE REQUEST")) {
    const result = await call("run", { args: ["certificate", "inspect", path] });
    body = result.exitCode === 0 ? result.stdout : result.stderr;
  } else {
    body = text;
  }
  $("viewer-path").textContent = path;
  $("viewer-body").textContent = body;
  $("viewer").hidden = false;
  $("download").onclick = () => {
    const url = URL.createObjectURL(new Blob([data], { type: "application/octet-stream" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = path.split("/").at(-1);
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  for (const button of document.querySelectorAll("#files button")) {
    button.classList.toggle("selected", button.dataset.path === path);
  }
}

// -- the rotation panel ------------------------------------------------------

// The core's renewal schedule (api.next-renewal) decides when to renew.
// TODO: drop this fallback once every component has next-renewal (issue 4);
// without it the page renews at 2/3 of the lifetime. A failed renewal is
// retried after a tenth of what is left (at least 5 s).
const RENEW_FRACTION = 2 / 3;

const rotation = {
  entries: [], // {crt, key, serial, notBefore, notAfter, state, renewals, nextTry}

  async load() {
    this.entries = ((await call("getMeta", { key: "rotation" })) || []).map((e) => ({
      ...e,
      state: "waiting",
      nextTry: 0,
    }));
    for (const entry of this.entries) await this.inspect(entry);
    this.render();
  },

  async save() {
    const kept = this.entries.map(({ crt, key, renewals, lastRenewal }) => ({ crt, key, renewals, lastRenewal }));
    await call("setMeta", { key: "rotation", value: kept });
  },

  async watch(crt, key) {
    let entry = this.entries.find((e) => e.crt === crt);
    if (!entry) {
      entry = { crt, key, renewals: 0, state: "waiting", nextTry: 0 };
      this.entries.push(entry);
    }
    entry.key = key;
    await this.inspect(entry);
    await this.save();
    this.render();
  },

  async forget(path) {
    this.entries = this.entries.filter((e) => e.crt !== path);
    await this.save();
    this.render();
  },

  async refresh(crt) {
    const entry = this.entries.find((e) => e.crt === crt);
    if (entry) {
      await this.inspect(entry);
      this.render();
    }
  },

  async inspect(entry) {
    const result = await call("run", { args: ["certificate", "inspect", entry.crt, "--format", "json"] });
    if (result.exitCode !== 0) {
      entry.state = "unreadable";
      entry.error = result.stderr.trim();
      return;
    }
    const info = JSON.parse(result.stdout);
    entry.serial = info.serial_number;
    entry.subject = info.subject_dn;
    entry.notBefore = Date.parse(info.validity.start);
    entry.notAfter = Date.parse(info.validity.end);
    const schedule = await call("schedule", { path: entry.crt, lastRenewal: entry.lastRenewal });
    entry.renewAt = schedule
      ? schedule.renewAt
      : entry.notBefore + RENEW_FRACTION * (entry.notAfter - entry.notBefore);
    entry.rule = schedule ? "core schedule" : "2/3 of lifetime";
    entry.state = "waiting";
    entry.error = "";
  },

  async tick() {
    const now = Date.now();
    for (const entry of this.entries) {
      if (entry.state !== "waiting" || now < entry.renewAt || now < entry.nextTry) continue;
      await this.renew(entry);
    }
    this.render();
  },

  async renew(entry) {
    entry.state = "renewing";
    this.render();
    say(`[rotation] renewing ${entry.crt} (serial ${entry.serial})`, "rotation");
    const args = ["ca", "renew", entry.crt, entry.key, "--mtls=false"];
    let result;
    try {
      result = await api.run(args);
    } catch (error) {
      result = { exitCode: 2, stdout: "", stderr: `stepwasm: ${error.message}\n` };
    }
    if (result.exitCode === 0) {
      const before = entry.serial;
      entry.lastRenewal = Date.now() / 1000;
      await this.inspect(entry);
      entry.renewals = (entry.renewals || 0) + 1;
      await this.save();
      say(`[rotation] ${entry.crt} renewed: serial ${before} -> ${entry.serial}, ` +
        `valid until ${new Date(entry.notAfter).toISOString()}`, "rotation");
    } else {
      entry.state = "waiting";
      const left = Math.max(0, entry.notAfter - Date.now());
      entry.nextTry = Date.now() + Math.max(5000, left / 10);
      say(`[rotation] renewing ${entry.crt} failed: ${result.stderr.trim()}`, "error");
    }
  },

  render() {
    const list = $("rotation-list");
    list.replaceChildren();
    if (this.entries.length === 0) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = "No certificate yet: `ca certificate` adds one.";
      list.append(empty);
      return;
    }
    const now = Date.now();
    for (const entry of this.entries) {
      const item = document.createElement("li");
      item.dataset.crt = entry.crt;
      item.dataset.state = entry.state;
      item.dataset.renewals = String(entry.renewals || 0);
      const title = document.createElement("strong");
      title.textContent = entry.crt;
      const detail = document.createElement("span");
      if (entry.state === "unreadable") {
        detail.textContent = entry.error;
      } else {
        const life = entry.notAfter - entry.notBefore;
        const left = entry.notAfter - now;
        const bar = document.createElement("progress");
        bar.max = 1;
        bar.value = Math.max(0, Math.min(1, left / life));
        item.append(bar);
        detail.textContent = left > 0
          ? `${duration(left)} left of ${duration(life)}; ` +
            (entry.state === "renewing" ? "renewing now" : `renews in ${duration(Math.max(0, entry.renewAt - now))}`)
          : "expired";
        detail.textContent += ` (${entry.rule}) · serial ${entry.serial} · renewed ${entry.renewals || 0}×`;
      }
      item.prepend(title);
      item.append(detail);
      list.append(item);
    }
  },
};
api.rotation = rotation;

function duration(ms) {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

// -- start -------------------------------------------------------------------

window.addEventListener("error", (event) => say(`stepwasm: ${event.message}`, "error"));
window.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  say(`stepwasm: ${event.reason?.message ?? event.reason}`, "error");
});

// Files dropped on the page are stored under their own names.
document.addEventListener("dragover", (event) => event.preventDefault());
document.addEventListener("drop", async (event) => {
  event.preventDefault();
  for (const file of event.dataTransfer.files) {
    await api.writeFile(file.name, new Uint8Array(await file.arrayBuffer()));
    say(`Stored ${file.name} (${file.size} bytes).`, "note");
  }
});

async function start() {
  term.write("Loading the stepwasm component…\r\n");
  const response = await fetch("config.json");
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = await response.json();
  api.config = config;
  $("ca-url").textContent = config.caUrl;
  const init = await call("init", { config });
  api.timings.componentLoadMs = Math.round(init.loadMs);
  api.onChange(() => refreshTree().catch((e) => say(`stepwasm: ${e.message}`, "error")));
  await refreshTree();
  await rotation.load();
  setInterval(() => rotation.tick().catch((e) => say(`stepwasm: ${e.message}`, "error")), 1000);

  say(`stepwasm in the browser: the component runs here; ${config.caUrl} is reached through this page's gateway.`, "note");
  if (init.files.includes("certs/root_ca.crt")) {
    say(`Bootstrapped (certs/root_ca.crt is stored). Type 'help' for the commands.`, "note");
  } else {
    say(`Start with: ca bootstrap --ca-url ${config.caUrl} --fingerprint ${config.fingerprint}`, "note");
  }
  api.timings.firstPromptMs = Math.round(performance.now());
  api.timings.startToPromptMs = Math.round(performance.now() - started);
  document.body.dataset.ready = "true";
  repl();
}

start().catch((error) => {
  say(`stepwasm: the page could not start: ${error.message}`, "error");
  document.body.dataset.ready = "failed";
});
