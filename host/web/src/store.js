// The page's one file store: every file in memory for the component's
// synchronous `storage` import, each change written through to IndexedDB.
//
// A write is visible at once; `flushed()` resolves when IndexedDB has it.

const DB_NAME = "stepwasm";
const DB_VERSION = 1;
const FILES = "files"; // path -> {data: Uint8Array, secret: bool, modified: ms}
const META = "meta"; // small page state (the rotation panel's certificates)

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Why `path` is not a store path, or "" when it is one. */
export function checkPath(path) {
  if (typeof path !== "string" || path === "") return "empty path";
  if (path.startsWith("/")) return "absolute paths are not allowed";
  if (path.includes("\\") || path.includes("\0")) return "invalid character";
  for (const part of path.split("/")) {
    if (part === "" || part === "." || part === "..") return "'.', '..' and empty parts are not allowed";
  }
  return "";
}

export class FileStore {
  constructor() {
    this.files = new Map();
    this.db = null;
    this.pending = Promise.resolve();
    this.failure = null;
  }

  async open() {
    const open = indexedDB.open(DB_NAME, DB_VERSION);
    open.onupgradeneeded = () => {
      open.result.createObjectStore(FILES);
      open.result.createObjectStore(META);
    };
    this.db = await request(open);
    const tx = this.db.transaction(FILES, "readonly");
    const os = tx.objectStore(FILES);
    const [keys, values] = await Promise.all([request(os.getAllKeys()), request(os.getAll())]);
    keys.forEach((key, i) => this.files.set(key, values[i]));
  }

  get(path) {
    const entry = this.files.get(path);
    return entry === undefined ? undefined : entry.data;
  }

  put(path, data, secret) {
    const entry = { data: new Uint8Array(data), secret: !!secret, modified: Date.now() };
    this.files.set(path, entry);
    this._write((os) => os.put(entry, path));
  }

  remove(path) {
    if (!this.files.delete(path)) return false;
    this._write((os) => os.delete(path));
    return true;
  }

  /** Every path below `prefix` ("" for all), sorted. */
  list(prefix) {
    const paths = [...this.files.keys()].filter(
      (p) => prefix === "" || p === prefix || p.startsWith(prefix + "/"),
    );
    return paths.sort();
  }

  listDetailed() {
    return this.list("").map((path) => {
      const entry = this.files.get(path);
      return { path, size: entry.data.length, secret: entry.secret, modified: entry.modified };
    });
  }

  async getMeta(key) {
    const tx = this.db.transaction(META, "readonly");
    return request(tx.objectStore(META).get(key));
  }

  async setMeta(key, value) {
    const tx = this.db.transaction(META, "readwrite");
    await request(tx.objectStore(META).put(value, key));
  }

  /** Resolves when every change so far is in IndexedDB; rejects on failure. */
  async flushed() {
    await this.pending;
    if (this.failure) {
      const failure = this.failure;
      this.failure = null;
      throw new Error(`saving to IndexedDB failed: ${failure}`);
    }
  }

  _write(action) {
    // Changes are chained so that IndexedDB sees them in the order made.
    this.pending = this.pending.then(
      () =>
        new Promise((resolve) => {
          const tx = this.db.transaction(FILES, "readwrite");
          action(tx.objectStore(FILES));
          tx.oncomplete = () => resolve();
          tx.onerror = tx.onabort = () => {
            this.failure = String(tx.error);
            resolve();
          };
        }),
    );
  }
}
