// Command-line words and a small line editor for the terminal.

/** Split a command line into words the way a POSIX shell does for quotes. */
export function splitWords(line) {
  const words = [];
  let word = null;
  let quote = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word = word ?? "";
    } else if (c === "\\" && i + 1 < line.length) {
      word = (word ?? "") + line[++i];
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote`);
  if (word !== null) words.push(word);
  return words;
}

/** The value of `--name VALUE` or `--name=VALUE` in `args`, or null. */
export function flagValue(args, name) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && i + 1 < args.length) return args[i + 1];
    if (args[i].startsWith(name + "=")) return args[i].slice(name.length + 1);
  }
  return null;
}

/** The positional words of `args` (flags that take a value skip it). */
export function positionals(args, valueFlags) {
  const out = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("-")) {
      if (!a.includes("=") && valueFlags.has(a)) i++;
    } else out.push(a);
  }
  return out;
}

/**
 * A one-line editor on an xterm.js terminal: cursor keys, history, paste,
 * and a masked mode for passwords.
 */
export class LineEditor {
  constructor(term, prompt) {
    this.term = term;
    this.prompt = prompt;
    this.history = [];
    this.buffer = "";
    this.cursor = 0;
    this.historyIndex = 0;
    this.masked = false;
    this.pending = null; // {resolve, prompt}
    this.rows = 0; // the cursor's row within the line being edited
    term.onData((data) => this._onData(data));
  }

  /** Show `prompt` and resolve with the line typed (masked shows '*'). */
  read(prompt = this.prompt, { masked = false } = {}) {
    return new Promise((resolve) => {
      this.pending = { resolve, prompt };
      this.masked = masked;
      this.buffer = "";
      this.cursor = 0;
      this.historyIndex = this.history.length;
      this._redraw();
    });
  }

  get reading() {
    return this.pending !== null;
  }

  /** Print text above the line being edited, then draw that line again. */
  print(text) {
    const body = text.replace(/\r?\n/g, "\r\n");
    const end = body.endsWith("\n") ? "" : "\r\n";
    if (this.pending) {
      this.term.write(this._toLineStart() + body + end);
      this.rows = 0;
      this._redraw();
    } else {
      this.term.write(body + end);
    }
  }

  // The escape sequence from the cursor back to the first row of the line,
  // cleared to the end of the screen (a long line wraps over several rows).
  _toLineStart() {
    return (this.rows ? `\x1b[${this.rows}A` : "") + "\r\x1b[J";
  }

  _layout() {
    const cols = this.term.cols;
    const shown = this.masked ? "*".repeat(this.buffer.length) : this.buffer;
    const width = this.pending.prompt.replace(/\x1b\[[0-9;]*m/g, "").length;
    const total = width + shown.length;
    const at = width + this.cursor;
    return { cols, shown, total, endRow: Math.floor(total / cols),
      row: Math.floor(at / cols), col: at % cols };
  }

  _redraw() {
    if (!this.pending) return;
    const { cols, shown, total, endRow, row, col } = this._layout();
    let out = this._toLineStart() + this.pending.prompt + shown;
    // At an exact multiple of the width the cursor waits at the last column:
    // step onto the next row so that the arithmetic below holds.
    if (total > 0 && total % cols === 0) out += "\r\n";
    if (endRow > row) out += `\x1b[${endRow - row}A`;
    out += `\x1b[${col + 1}G`;
    this.rows = row;
    this.term.write(out);
  }

  _insert(text) {
    this.buffer = this.buffer.slice(0, this.cursor) + text + this.buffer.slice(this.cursor);
    this.cursor += text.length;
  }

  _submit() {
    const { resolve } = this.pending;
    const line = this.buffer;
    if (!this.masked && line.trim() && this.history.at(-1) !== line) this.history.push(line);
    const { endRow, row } = this._layout();
    this.pending = null;
    this.rows = 0;
    this.term.write((endRow > row ? `\x1b[${endRow - row}B` : "") + "\r\n");
    resolve(line);
  }

  _onData(data) {
    if (!this.pending) return;
    const keys = {
      "\r": () => this._submit(),
      "\x7f": () => {
        if (this.cursor > 0) {
          this.buffer = this.buffer.slice(0, this.cursor - 1) + this.buffer.slice(this.cursor);
          this.cursor--;
        }
      },
      "\x1b[3~": () => {
        this.buffer = this.buffer.slice(0, this.cursor) + this.buffer.slice(this.cursor + 1);
      },
      "\x1b[D": () => (this.cursor = Math.max(0, this.cursor - 1)),
      "\x1b[C": () => (this.cursor = Math.min(this.buffer.length, this.cursor + 1)),
      "\x1b[H": () => (this.cursor = 0),
      "\x01": () => (this.cursor = 0),
      "\x1b[F": () => (this.cursor = this.buffer.length),
      "\x05": () => (this.cursor = this.buffer.length),
      "\x15": () => {
        this.buffer = this.buffer.slice(this.cursor);
        this.cursor = 0;
      },
      "\x03": () => {
        this.buffer = "";
        this._submitCancelled();
      },
      "\x1b[A": () => this._historyMove(-1),
      "\x1b[B": () => this._historyMove(1),
    };
    if (keys[data]) {
      keys[data]();
    } else if (data.startsWith("\x1b")) {
      return; // another escape sequence: ignored
    } else {
      // Typed characters or a paste: a pasted line break submits the line.
      const lines = data.replace(/\r\n?/g, "\n").split("\n");
      const printable = (s) => s.replace(/[\x00-\x1f\x7f]/g, "");
      this._insert(printable(lines[0]));
      if (lines.length > 1) {
        this._submit();
        return;
      }
    }
    if (this.pending) this._redraw();
  }

  _submitCancelled() {
    const { resolve } = this.pending;
    const { endRow, row } = this._layout();
    this.pending = null;
    this.rows = 0;
    this.term.write((endRow > row ? `\x1b[${endRow - row}B` : "") + "^C\r\n");
    resolve(null);
  }

  _historyMove(step) {
    if (this.masked || this.history.length === 0) return;
    this.historyIndex = Math.min(this.history.length, Math.max(0, this.historyIndex + step));
    this.buffer = this.history[this.historyIndex] ?? "";
    this.cursor = this.buffer.length;
  }
}
