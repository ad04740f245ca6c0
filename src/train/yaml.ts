// A small YAML reader for configuration files: the subset XuanCe's and
// pymarl's config files use. Block maps nested by indentation, block lists
// ("- item", of scalars or of maps), flow lists and maps of scalars
// ("[64, ]", "{a: 1}"), plain, single- and double-quoted scalars, and
// comments. Anchors, tags, multi-line strings and multiple documents are not
// config-file YAML and are refused with the line they are on, as is anything
// else this reader does not understand: a config it half-read would train
// something other than what its file says.
//
// Scalars are typed as PyYAML types them (the reader XuanCe uses), so a file
// means here what it means there: true/True/yes/on are true, null/~/empty
// are null, 0x1F is 31. One difference, on purpose: 1e-3 is the number
// 0.001 here, where PyYAML's YAML 1.1 rules read it as the string "1e-3".

import { ConfigError } from "./config.ts";

/** A config file that is not YAML this reader understands; a ConfigError, so the CLI reports it as bad configuration. */
export class YamlError extends ConfigError {
  override name = "YamlError";
  constructor(readonly source: string, readonly line: number, message: string) {
    super(`${source}, line ${line}: ${message}`);
  }
}

export type YamlValue = null | boolean | number | string | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  /** 1-based line number in the file. */
  no: number;
  indent: number;
  /** The content after the indentation, comment removed, trailing space trimmed. */
  text: string;
}

/** Parses one YAML document of the config subset; `source` names the file in errors. */
export function parseYaml(text: string, source = "yaml"): YamlValue {
  const lines = splitLines(text, source);
  if (lines.length === 0) return null;
  const p = new Parser(lines, source);
  const value = p.block(lines[0]!.indent);
  if (p.pos < lines.length) {
    const l = lines[p.pos]!;
    throw new YamlError(source, l.no, `unexpected indentation (${l.indent} spaces) after the top-level value`);
  }
  return value;
}

function splitLines(text: string, source: string): Line[] {
  const out: Line[] = [];
  const raw = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    const no = i + 1, s = raw[i]!;
    const m = /^( *)(.*)$/.exec(s)!;
    const indent = m[1]!.length;
    if (m[2]!.startsWith("\t")) throw new YamlError(source, no, "a tab in the indentation (YAML indents with spaces)");
    const content = stripComment(m[2]!, source, no).trimEnd();
    if (content === "") continue;
    if (indent === 0 && (content === "---" || content === "...")) {
      if (out.length > 0 || content === "...") throw new YamlError(source, no, `"${content}": one document per config file`);
      continue;
    }
    out.push({ no, indent, text: content });
  }
  return out;
}

/** Drops a comment: "#" at the start or after whitespace, outside quotes. */
function stripComment(s: string, source: string, no: number): string {
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) {
        if (quote === "'" && s[i + 1] === "'") i++;
        else quote = null;
      }
      continue;
    }
    if ((c === '"' || c === "'") && (i === 0 || /[\s:[{,\-]/.test(s[i - 1]!))) quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(s[i - 1]!))) return s.slice(0, i);
  }
  if (quote) throw new YamlError(source, no, `an unterminated ${quote === '"' ? "double" : "single"}-quoted string`);
  return s;
}

class Parser {
  pos = 0;
  constructor(readonly lines: Line[], readonly source: string) {}

  private fail(line: Line, message: string): never {
    throw new YamlError(this.source, line.no, message);
  }

  /** The block value whose lines start at this.pos with exactly `indent` spaces. */
  block(indent: number): YamlValue {
    const first = this.lines[this.pos]!;
    if (first.text === "-" || first.text.startsWith("- ")) return this.list(indent);
    if (findColon(first.text) >= 0) return this.map(indent);
    this.pos++;
    return scalar(first.text, this.source, first.no);
  }

  private map(indent: number, firstText?: string): { [key: string]: YamlValue } {
    const out: { [key: string]: YamlValue } = {};
    let text = firstText;
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos]!;
      if (text === undefined) {
        if (line.indent < indent) break;
        if (line.indent > indent) this.fail(line, `unexpected indentation (${line.indent} spaces; this map's keys are at ${indent})`);
        text = line.text;
      }
      if (text === "-" || text.startsWith("- ")) this.fail(line, "a list item where a key of this map was expected");
      const colon = findColon(text);
      if (colon < 0) this.fail(line, `expected "key: value", got ${JSON.stringify(text)}`);
      const key = keyOf(text.slice(0, colon).trim(), this.source, line.no);
      if (Object.hasOwn(out, key)) this.fail(line, `the key "${key}" appears twice in the same map`);
      const rest = text.slice(colon + 1).trim();
      this.pos++;
      text = undefined;
      let value: YamlValue;
      if (rest !== "") {
        value = this.inline(rest, line);
      } else {
        const next = this.lines[this.pos];
        // A nested block is indented more; a list may also sit at the key's own indentation (PyYAML allows it).
        if (next && (next.indent > indent || (next.indent === indent && (next.text === "-" || next.text.startsWith("- "))))) {
          value = this.block(next.indent);
        } else {
          value = null;
        }
      }
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  private list(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    while (this.pos < this.lines.length) {
      const line = this.lines[this.pos]!;
      if (line.indent < indent) break;
      if (line.indent > indent) this.fail(line, `unexpected indentation (${line.indent} spaces; this list's items are at ${indent})`);
      if (!(line.text === "-" || line.text.startsWith("- "))) break;
      const rest = line.text.slice(1).trim();
      if (rest === "") {
        this.pos++;
        const next = this.lines[this.pos];
        out.push(next && next.indent > indent ? this.block(next.indent) : null);
      } else if (findColon(rest) >= 0 && !/^[[{"']/.test(rest)) {
        // "- key: value" starts a map whose keys line up with "key".
        const inner = indent + line.text.length - line.text.slice(1).trimStart().length;
        out.push(this.map(inner, rest));
      } else {
        this.pos++;
        out.push(this.inline(rest, line));
      }
    }
    return out;
  }

  /** A value on the same line as its key or dash: a flow collection or a scalar. */
  private inline(text: string, line: Line): YamlValue {
    if (text.startsWith("[") || text.startsWith("{")) return flow(text, this.source, line.no);
    if (/^[&*!]/.test(text)) this.fail(line, `anchors, aliases and tags ("${text[0]}") are not supported in config files`);
    if (text === "|" || text === ">" || /^[|>][-+0-9]*$/.test(text)) this.fail(line, "multi-line strings (| and >) are not supported in config files");
    return scalar(text, this.source, line.no);
  }
}

/** The index of the ":" that ends a key (followed by a space or the end), outside quotes; -1 if none. */
function findColon(text: string): number {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (i === 0 && (c === '"' || c === "'")) quote = c;
    else if (c === "[" || c === "{") return -1;
    else if (c === ":" && (i + 1 === text.length || text[i + 1] === " ")) return i;
  }
  return -1;
}

function keyOf(raw: string, source: string, no: number): string {
  if (raw === "") throw new YamlError(source, no, "an empty key");
  if (raw.startsWith('"') || raw.startsWith("'")) {
    const v = scalar(raw, source, no);
    return String(v);
  }
  if (/^[?&*!]/.test(raw)) throw new YamlError(source, no, `complex keys, anchors and tags are not supported ("${raw}")`);
  return raw;
}

const INT = /^[-+]?(0|[1-9][0-9_]*)$/;
const FLOAT = /^[-+]?([0-9][0-9_]*)?\.?[0-9_]*([eE][-+]?[0-9]+)?$/;

/** A plain or quoted scalar, typed as PyYAML types it. */
function scalar(text: string, source = "yaml", no = 0): YamlValue {
  const t = text.trim();
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) throw new YamlError(source, no, `an unterminated double-quoted string: ${t}`);
    try {
      return JSON.parse(t) as string;
    } catch {
      throw new YamlError(source, no, `a double-quoted string with an escape this reader does not know: ${t}`);
    }
  }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) throw new YamlError(source, no, `an unterminated single-quoted string: ${t}`);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t === "" || t === "~" || /^(null|Null|NULL)$/.test(t)) return null;
  if (/^(true|True|TRUE|yes|Yes|YES|on|On|ON)$/.test(t)) return true;
  if (/^(false|False|FALSE|no|No|NO|off|Off|OFF)$/.test(t)) return false;
  if (/^[-+]?\.(inf|Inf|INF)$/.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(t)) return NaN;
  if (/^0x[0-9a-fA-F_]+$/.test(t)) return parseInt(t.slice(2).replace(/_/g, ""), 16);
  if (/^0o[0-7_]+$/.test(t)) return parseInt(t.slice(2).replace(/_/g, ""), 8);
  if (INT.test(t)) return Number(t.replace(/_/g, ""));
  if (/[0-9]/.test(t) && FLOAT.test(t)) {
    const n = Number(t.replace(/_/g, ""));
    if (Number.isFinite(n)) return n;
  }
  if (/^[&*!|>%@`]/.test(t)) throw new YamlError(source, no, `"${t[0]}" cannot start a plain value; quote it`);
  return t;
}

/** A flow list or map on one line, of scalars and further flow collections. */
function flow(text: string, source: string, no: number): YamlValue {
  let i = 0;
  const fail = (msg: string): never => { throw new YamlError(source, no, `${msg} in ${text}`); };
  const space = () => { while (text[i] === " ") i++; };
  const item = (stops: string): YamlValue => {
    space();
    const c = text[i];
    if (c === "[" || c === "{") return collection();
    const start = i;
    if (c === '"' || c === "'") {
      i++;
      while (i < text.length && text[i] !== c) i += text[i] === "\\" && c === '"' ? 2 : 1;
      if (i >= text.length) fail("an unterminated quoted string");
      i++;
    } else {
      while (i < text.length && !stops.includes(text[i]!)) i++;
    }
    return scalar(text.slice(start, i), source, no);
  };
  const collection = (): YamlValue => {
    const open = text[i]!, close = open === "[" ? "]" : "}";
    i++;
    const list: YamlValue[] = [];
    const map: { [key: string]: YamlValue } = {};
    for (;;) {
      space();
      if (text[i] === close) { i++; break; }
      if (i >= text.length) fail(`a missing "${close}"`);
      if (open === "[") {
        list.push(item(",]"));
      } else {
        const k = item(":,}");
        space();
        if (text[i] !== ":") fail(`expected ":" after the key ${JSON.stringify(k)}`);
        i++;
        const key = String(k);
        if (Object.hasOwn(map, key)) fail(`the key "${key}" appears twice`);
        Object.defineProperty(map, key, { value: item(",}"), enumerable: true, writable: true, configurable: true });
      }
      space();
      if (text[i] === ",") { i++; continue; }
      if (text[i] === close) { i++; break; }
      fail(`expected "," or "${close}"`);
    }
    return open === "[" ? list : map;
  };
  const v = collection();
  space();
  if (i < text.length) fail(`unexpected text after the closing bracket: "${text.slice(i)}"`);
  return v;
}
