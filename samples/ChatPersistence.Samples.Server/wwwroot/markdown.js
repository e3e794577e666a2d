// A small Markdown renderer for the assistant's replies (model answers are Markdown). It parses the text into blocks and
// inline nodes, then builds DOM elements with createElement / createTextNode / textContent only: no HTML string is ever
// parsed, so raw HTML in a reply (<script>, <img onerror=…>) is shown as text and cannot run, and the page's
// Content-Security-Policy needs nothing more (no inline scripts or styles).
//
// Supported: paragraphs (a newline inside one is a line break, as chat UIs do), ATX headings (# … ######), **bold**,
// *italic* / _italic_, ***both***, `inline code`, fenced code blocks (``` or ~~~, with a language; a fence not closed yet —
// a reply still streaming — is a code block up to the end), bullet and ordered lists (nested by indentation), block
// quotes, tables (GFM pipes, with alignment), links [text](url) / <url> / bare http(s) URLs, horizontal rules, backslash
// escapes. Links are made only for http:, https: and mailto: URLs (opened in a new tab with rel="noopener noreferrer");
// any other link is shown as the text it was written as. Not supported (shown as text): images, raw HTML, indented code
// blocks, setext headings, HTML entities (shown as written: &lt; stays "&lt;").
//
// Cost: linear in the text. Nesting is capped (lists and quotes: MAX_BLOCK_DEPTH levels, emphasis and links:
// MAX_INLINE_DEPTH): deeper markers are text. Every "find the closing delimiter" is a forward-only cursor over the
// positions collected in one pass, so no input (10,000 backticks, brackets or list markers in a row) is scanned twice
// per level.
//
//   renderMarkdown(element, text)   // (re)renders element's children; unchanged top-level blocks keep their nodes
//   parseMarkdown(text)             // the block tree, for tests

export const MAX_BLOCK_DEPTH = 12;
export const MAX_INLINE_DEPTH = 8;
const ALLOWED_SCHEMES = new Set(["http:", "https:", "mailto:"]);
const PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/**
 * Parses Markdown into blocks: { type: "paragraph" | "heading" | "code" | "list" | "quote" | "hr", source, … }.
 * `options.counter`, when given, is an object whose `steps` grows with the work done (tests check it grows linearly).
 */
export function parseMarkdown(source, options = {}) {
  const counter = options.counter ?? { steps: 0 };
  const lines = String(source ?? "").replace(/\r\n?/g, "\n").split("\n").map(expandLeadingTabs);
  counter.steps += lines.length;
  const blocks = parseBlocks(lines, 0, counter);
  for (const block of blocks) block.source = lines.slice(block.from, block.to).join("\n");
  return blocks;
}

function expandLeadingTabs(line) {
  if (!line.startsWith("\t") && !line.startsWith(" \t") && !line.startsWith("  \t") && !line.startsWith("   \t")) return line;
  let column = 0;
  let i = 0;
  for (; i < line.length && (line[i] === " " || line[i] === "\t"); i++) column = line[i] === "\t" ? column + 4 - (column % 4) : column + 1;
  return " ".repeat(column) + line.slice(i);
}

function indentOf(line) {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) === 32) i++;
  return i;
}

const isBlank = line => line.trim().length === 0;

function fenceOpening(line) {
  const indent = indentOf(line);
  if (indent > 3) return null;
  const char = line[indent];
  if (char !== "`" && char !== "~") return null;
  let end = indent;
  while (line[end] === char) end++;
  if (end - indent < 3) return null;
  const info = line.slice(end).trim();
  if (char === "`" && info.includes("`")) return null;
  return { indent, char, length: end - indent, lang: info.split(/\s/, 1)[0] ?? "" };
}

function isFenceClosing(line, fence) {
  const indent = indentOf(line);
  if (indent > 3) return false;
  let end = indent;
  while (line[end] === fence.char) end++;
  return end - indent >= fence.length && line.slice(end).trim().length === 0;
}

function heading(line) {
  const indent = indentOf(line);
  if (indent > 3 || line[indent] !== "#") return null;
  let end = indent;
  while (line[end] === "#") end++;
  const level = end - indent;
  if (level > 6 || (end < line.length && line[end] !== " " && line[end] !== "\t")) return null;
  let text = line.slice(end).trim();
  // An optional closing run of # preceded by a space: "## Title ##".
  let cut = text.length;
  while (cut > 0 && text[cut - 1] === "#") cut--;
  if (cut === 0) text = "";
  else if (cut < text.length && (text[cut - 1] === " " || text[cut - 1] === "\t")) text = text.slice(0, cut).trimEnd();
  return { level, text };
}

function isRule(line) {
  if (indentOf(line) > 3) return false;
  let char = null;
  let count = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === " " || c === "\t") continue;
    if (c !== "-" && c !== "*" && c !== "_") return false;
    if (char === null) char = c;
    else if (c !== char) return false;
    count++;
  }
  return count >= 3;
}

function isQuote(line) {
  const indent = indentOf(line);
  return indent <= 3 && line[indent] === ">";
}

// A list marker at the start of the line: { ordered, char (bullet, or "." / ")"), start, indent, content (column of the text) }.
function listMarker(line) {
  const indent = indentOf(line);
  if (indent > 3) return null;
  let at = indent;
  let ordered = false;
  let start = 1;
  let char = line[at];
  if (char === "-" || char === "*" || char === "+") {
    at++;
  } else {
    let digits = 0;
    while (digits < 10 && line.charCodeAt(at + digits) >= 48 && line.charCodeAt(at + digits) <= 57) digits++;
    if (digits === 0 || digits > 9 || (line[at + digits] !== "." && line[at + digits] !== ")")) return null;
    ordered = true;
    start = Number(line.slice(at, at + digits));
    char = line[at + digits];
    at += digits + 1;
  }
  if (at < line.length && line[at] !== " ") return null;
  let spaces = 0;
  while (line[at + spaces] === " ") spaces++;
  const empty = at + spaces >= line.length;
  const content = empty || spaces > 4 ? at + 1 : at + spaces;
  return { ordered, char, start, indent, content, empty };
}

// A table row's cells: split on "|" not escaped with a backslash, without the optional outer pipes.
function tableCells(line) {
  const cells = [];
  let cell = "";
  const text = line.trim();
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && text[i + 1] === "|") {
      cell += "|";
      i++;
    } else if (c === "|") {
      cells.push(cell);
      cell = "";
    } else {
      cell += c;
    }
  }
  cells.push(cell);
  if (text.startsWith("|")) cells.shift();
  if (text.endsWith("|") && !text.endsWith("\\|") && cells.length > 0) cells.pop();
  return cells.map(c => c.trim());
}

// The delimiter row under a table's header ("| --- | :-: | --: |"): each cell's alignment, or null when it is not one.
function tableAlignments(line) {
  if (!line.includes("-") || indentOf(line) > 3) return null;
  const cells = tableCells(line);
  const alignments = [];
  for (const cell of cells) {
    if (!/^:?-+:?$/.test(cell)) return null;
    alignments.push(cell.startsWith(":") && cell.endsWith(":") ? "center" : cell.endsWith(":") ? "right" : cell.startsWith(":") ? "left" : null);
  }
  return alignments.length > 0 ? alignments : null;
}

function tableStart(lines, i) {
  const line = lines[i];
  if (!line.includes("|") || indentOf(line) > 3 || i + 1 >= lines.length) return null;
  const alignments = tableAlignments(lines[i + 1]);
  if (!alignments) return null;
  const header = tableCells(line);
  return header.length === alignments.length ? { header, alignments } : null;
}

function startsBlock(line, depth) {
  return fenceOpening(line) !== null || heading(line) !== null || isRule(line)
    || (depth < MAX_BLOCK_DEPTH && (isQuote(line) || listMarker(line) !== null));
}

function parseBlocks(lines, depth, counter) {
  const blocks = [];
  let paragraph = null;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    counter.steps += 1 + line.length;
    if (isBlank(line)) {
      paragraph = null;
      i++;
      continue;
    }
    const fence = fenceOpening(line);
    if (fence) {
      const from = i;
      const code = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        counter.steps++;
        if (isFenceClosing(lines[i], fence)) {
          closed = true;
          i++;
          break;
        }
        const l = lines[i];
        code.push(l.slice(Math.min(fence.indent, indentOf(l))));
      }
      blocks.push({ type: "code", lang: fence.lang, text: code.join("\n"), closed, from, to: i });
      paragraph = null;
      continue;
    }
    const h = heading(line);
    if (h) {
      blocks.push({ type: "heading", level: h.level, text: h.text, from: i, to: i + 1 });
      paragraph = null;
      i++;
      continue;
    }
    if (isRule(line)) {
      blocks.push({ type: "hr", from: i, to: i + 1 });
      paragraph = null;
      i++;
      continue;
    }
    const table = tableStart(lines, i);
    if (table) {
      const from = i;
      const rows = [];
      for (i += 2; i < lines.length && !isBlank(lines[i]) && lines[i].includes("|") && !startsBlock(lines[i], depth); i++) {
        counter.steps += 1 + lines[i].length;
        const cells = tableCells(lines[i]);
        rows.push(table.header.map((_, k) => cells[k] ?? "")); // as many cells as the header: missing ones empty, extra ones dropped
      }
      blocks.push({ type: "table", header: table.header, alignments: table.alignments, rows, from, to: i });
      paragraph = null;
      continue;
    }
    if (depth < MAX_BLOCK_DEPTH && isQuote(line)) {
      const from = i;
      const inner = [];
      while (i < lines.length) {
        const l = lines[i];
        counter.steps += 1 + l.length;
        if (isQuote(l)) {
          const at = indentOf(l) + 1;
          inner.push(l.slice(l[at] === " " ? at + 1 : at));
        } else if (!isBlank(l) && inner.length > 0 && !isBlank(inner[inner.length - 1]) && !startsBlock(l, depth)) {
          inner.push(l); // a lazy continuation of the quote's paragraph
        } else {
          break;
        }
        i++;
      }
      blocks.push({ type: "quote", blocks: parseBlocks(inner, depth + 1, counter), from, to: i });
      paragraph = null;
      continue;
    }
    const marker = depth < MAX_BLOCK_DEPTH ? listMarker(line) : null;
    // A list interrupts a paragraph only with a bullet or "1." and some text (so "2020. was…" continues a sentence).
    if (marker && !(paragraph && (marker.empty || (marker.ordered && marker.start !== 1)))) {
      const list = parseList(lines, i, depth, marker, counter);
      blocks.push(list);
      i = list.to;
      paragraph = null;
      continue;
    }
    if (paragraph) {
      paragraph.lines.push(line.trim());
      paragraph.to = i + 1;
    } else {
      paragraph = { type: "paragraph", lines: [line.trim()], from: i, to: i + 1 };
      blocks.push(paragraph);
    }
    i++;
  }
  for (const block of blocks) {
    if (block.type === "paragraph") {
      block.text = block.lines.join("\n");
      delete block.lines;
    }
  }
  return blocks;
}

function sameList(a, b) {
  return a.ordered === b.ordered && a.char === b.char;
}

function parseList(lines, i, depth, first, counter) {
  const list = { type: "list", ordered: first.ordered, start: first.start, items: [], from: i, to: i };
  while (i < lines.length) {
    const marker = listMarker(lines[i]);
    if (!marker || !sameList(marker, first) || isRule(lines[i])) break;
    const item = [marker.empty ? "" : lines[i].slice(marker.content)];
    i++;
    while (i < lines.length) {
      const l = lines[i];
      counter.steps += 1 + l.length;
      if (isBlank(l)) {
        let next = i;
        while (next < lines.length && isBlank(lines[next])) {
          next++;
          counter.steps++;
        }
        if (next < lines.length && indentOf(lines[next]) >= marker.content) {
          for (; i < next; i++) item.push("");
          continue;
        }
        const sibling = next < lines.length ? listMarker(lines[next]) : null;
        if (sibling && sameList(sibling, first) && !isRule(lines[next])) i = next; // a loose list goes on
        break;
      }
      if (indentOf(l) >= marker.content) {
        item.push(l.slice(marker.content));
      } else if (!isBlank(item[item.length - 1]) && !startsBlock(l, depth) && !fenceOpening(item[0])) {
        item.push(l.trim()); // a lazy continuation of the item's paragraph
      } else {
        break;
      }
      i++;
    }
    list.items.push(parseBlocks(item, depth + 1, counter));
    list.to = i;
    if (i < lines.length && isBlank(lines[i])) break;
  }
  return list;
}

// ---- Inline ----------------------------------------------------------------------------------------------------------

// Forward-only search in an ascending list of positions: next(p) = the first position ≥ p. Valid because the inline
// parser asks with ever-growing p (it scans left to right; a nested range is scanned before the text after it).
function cursor(positions) {
  let at = 0;
  return (p, counter) => {
    while (at < positions.length && positions[at] < p) {
      at++;
      counter.steps++;
    }
    return at < positions.length ? positions[at] : Infinity;
  };
}

function isSpace(c) {
  return c === undefined || c === " " || c === "\t" || c === "\n";
}

function isWordChar(c) {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

/** Parses a paragraph's or heading's text into inline nodes: text, break, code, strong, em, link. */
export function parseInline(text, options = {}) {
  const counter = options.counter ?? { steps: 0 };
  const s = text;
  const n = s.length;
  // Pass 1: the backtick runs, by length (any run may close a code span).
  const backtickRuns = new Map();
  const runLength = new Map();
  for (let i = 0; i < n;) {
    counter.steps++;
    if (s[i] !== "`") { i++; continue; }
    let j = i;
    while (s[j] === "`") j++;
    runLength.set(i, j - i);
    if (!backtickRuns.has(j - i)) backtickRuns.set(j - i, []);
    backtickRuns.get(j - i).push(i);
    i = j;
  }
  const nextRun = new Map([...backtickRuns].map(([length, starts]) => [length, cursor(starts)]));
  // Pass 2: escapes, code spans and, outside them, where delimiters could close.
  const escaped = new Set();
  const codeSpans = new Map(); // start -> { end, text }
  const delimiterRuns = new Map(); // start -> { char, length, canOpen }
  const closers = { "*": [[], [], [], []], "_": [[], [], [], []] };
  const closeBrackets = [];
  const closeParens = [];
  const greaterThans = [];
  const breaks = []; // whitespace or "<": where an autolink or a bare URL stops
  for (let i = 0; i < n;) {
    counter.steps++;
    const c = s[i];
    if (c === "\\" && i + 1 < n && PUNCTUATION.includes(s[i + 1])) {
      escaped.add(i + 1);
      i += 2;
      continue;
    }
    if (c === "`" && runLength.has(i)) {
      const length = runLength.get(i);
      const close = nextRun.get(length)(i + length, counter);
      if (close !== Infinity) {
        let code = s.slice(i + length, close).replace(/\n/g, " ");
        if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ") && code.trim().length > 0) code = code.slice(1, -1);
        codeSpans.set(i, { end: close + length, text: code });
        i = close + length;
        continue;
      }
      i += length;
      continue;
    }
    if (c === "*" || c === "_") {
      let j = i;
      while (s[j] === c) j++;
      const length = j - i;
      const before = s[i - 1];
      const after = s[j];
      let canOpen = !isSpace(after);
      let canClose = i > 0 && !isSpace(before);
      if (c === "_") {
        canOpen = canOpen && !isWordChar(before);
        canClose = canClose && !isWordChar(after);
      }
      if (length <= 3) {
        delimiterRuns.set(i, { char: c, length, canOpen });
        if (canClose) closers[c][length].push(i);
      }
      i = j;
      continue;
    }
    if (c === "]") closeBrackets.push(i);
    else if (c === ")") closeParens.push(i);
    else if (c === ">") greaterThans.push(i);
    if (c === "<" || isSpace(c)) breaks.push(i);
    i++;
  }
  const nextCloser = { "*": closers["*"].map(cursor), "_": closers["_"].map(cursor) };
  const nextBracket = cursor(closeBrackets);
  const nextParen = cursor(closeParens);
  const nextGreater = cursor(greaterThans);
  const nextBreak = cursor(breaks);

  function parse(from, to, depth) {
    const nodes = [];
    let buffer = "";
    const flush = () => {
      if (buffer) nodes.push({ type: "text", text: buffer });
      buffer = "";
    };
    let i = from;
    while (i < to) {
      counter.steps++;
      const c = s[i];
      if (escaped.has(i + 1) && c === "\\") { i++; continue; }
      if (escaped.has(i)) { buffer += c; i++; continue; }
      if (c === "\n") { flush(); nodes.push({ type: "break" }); i++; continue; }
      const code = codeSpans.get(i);
      if (code) { flush(); nodes.push({ type: "code", text: code.text }); i = code.end; continue; }
      const run = delimiterRuns.get(i);
      if (run) {
        const close = run.canOpen && depth < MAX_INLINE_DEPTH ? nextCloser[run.char][run.length](i + run.length, counter) : Infinity;
        if (close < to) {
          flush();
          const children = parse(i + run.length, close, depth + 1);
          const node = run.length === 1 ? { type: "em", children }
            : run.length === 2 ? { type: "strong", children }
            : { type: "em", children: [{ type: "strong", children }] };
          nodes.push(node);
          i = close + run.length;
        } else {
          buffer += s.slice(i, i + run.length);
          i += run.length;
        }
        continue;
      }
      if (c === "[" && depth < MAX_INLINE_DEPTH) {
        const close = nextBracket(i + 1, counter);
        const paren = close < to && s[close + 1] === "(" ? nextParen(close + 2, counter) : Infinity;
        if (paren < to) {
          const href = safeHref(destination(s.slice(close + 2, paren)));
          flush();
          if (href) nodes.push({ type: "link", href, children: parse(i + 1, close, depth + 1) });
          else nodes.push({ type: "text", text: s.slice(i, paren + 1) }); // not a link we make: shown as written
          i = paren + 1;
          continue;
        }
      }
      if (c === "<") {
        const close = nextGreater(i + 1, counter);
        if (close < to && close < nextBreak(i + 1, counter)) {
          const href = /^(https?:\/\/|mailto:)/i.test(s.slice(i + 1, Math.min(close, i + 9))) ? safeHref(s.slice(i + 1, close)) : null;
          if (href) {
            flush();
            nodes.push({ type: "link", href, children: [{ type: "text", text: s.slice(i + 1, close) }] });
            i = close + 1;
            continue;
          }
        }
      }
      if (c === "h" && !isWordChar(s[i - 1]) && (s.startsWith("https://", i) || s.startsWith("http://", i))) {
        let end = Math.min(nextBreak(i, counter), to);
        while (end > i && ".,:;!?'\")*_".includes(s[end - 1])) end--;
        const href = end > i + 8 ? safeHref(s.slice(i, end)) : null;
        if (href) {
          flush();
          nodes.push({ type: "link", href, children: [{ type: "text", text: s.slice(i, end) }] });
          i = end;
          continue;
        }
      }
      buffer += c;
      i++;
    }
    flush();
    return nodes;
  }

  return parse(0, n, 0);
}

function destination(inside) {
  let target = inside.trim();
  if (target.startsWith("<")) {
    const end = target.indexOf(">");
    return end > 0 ? target.slice(1, end) : target;
  }
  const space = target.search(/\s/);
  return space >= 0 ? target.slice(0, space) : target;
}

/** The URL to link to, or null: only absolute http:, https: and mailto: URLs. */
export function safeHref(raw) {
  if (!raw || /[\u0000-\u0020\u007f]/.test(raw)) return null;
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return ALLOWED_SCHEMES.has(url.protocol) ? url.href : null;
}

// ---- DOM --------------------------------------------------------------------------------------------------------------

const rendered = new WeakMap(); // element -> [{ source, node }] of its top-level blocks

/**
 * Renders `source` as Markdown into `target` (replacing its children). Top-level blocks whose text did not change keep
 * their nodes, so while a reply streams only its growing end is rebuilt (a Copy button above it stays where it is).
 * options: { document, clipboard } (the page's by default; tests pass their own).
 */
export function renderMarkdown(target, source, options = {}) {
  const doc = options.document ?? target.ownerDocument ?? globalThis.document;
  const clipboard = options.clipboard ?? globalThis.navigator?.clipboard;
  const blocks = parseMarkdown(source);
  const before = rendered.get(target) ?? [];
  const after = blocks.map((block, i) => before[i] && before[i].source === block.source && before[i].type === block.type
    ? before[i]
    : { source: block.source, type: block.type, node: renderBlock(doc, clipboard, block) });
  rendered.set(target, after);
  after.forEach(({ node }, i) => {
    if (target.childNodes[i] !== node) target.insertBefore(node, target.childNodes[i] ?? null);
  });
  while (target.childNodes.length > after.length) target.removeChild(target.lastChild);
}

function element(doc, tag, className) {
  const node = doc.createElement(tag);
  if (className) node.setAttribute("class", className);
  return node;
}

function renderBlock(doc, clipboard, block) {
  switch (block.type) {
    case "paragraph": {
      const p = element(doc, "p");
      appendInline(doc, p, parseInline(block.text));
      return p;
    }
    case "heading": {
      const h = element(doc, `h${block.level}`);
      appendInline(doc, h, parseInline(block.text));
      return h;
    }
    case "hr":
      return element(doc, "hr");
    case "quote": {
      const quote = element(doc, "blockquote");
      for (const inner of block.blocks) quote.append(renderBlock(doc, clipboard, inner));
      return quote;
    }
    case "list": {
      const list = element(doc, block.ordered ? "ol" : "ul");
      if (block.ordered && block.start !== 1) list.setAttribute("start", String(block.start));
      for (const item of block.items) {
        const li = element(doc, "li");
        // An item with one paragraph (and maybe a nested list or code) shows its text without a <p> around it.
        const tight = item.filter(b => b.type === "paragraph").length === 1 && item[0].type === "paragraph";
        for (const inner of item) {
          if (tight && inner === item[0]) appendInline(doc, li, parseInline(inner.text));
          else li.append(renderBlock(doc, clipboard, inner));
        }
        list.append(li);
      }
      return list;
    }
    case "code":
      return renderCode(doc, clipboard, block);
    case "table":
      return renderTable(doc, block);
    default:
      throw new Error(`unknown block ${block.type}`);
  }
}

function renderCode(doc, clipboard, block) {
  const wrapper = element(doc, "div", "code-block");
  if (!block.closed) wrapper.setAttribute("data-open", "true"); // still streaming (or never closed)
  const bar = element(doc, "div", "code-bar");
  const lang = element(doc, "span", "code-lang");
  lang.textContent = block.lang;
  const copy = element(doc, "button", "copy");
  copy.setAttribute("type", "button");
  copy.setAttribute("title", "Copy the code");
  copy.textContent = "Copy";
  let reset = null;
  copy.addEventListener("click", () => {
    const done = (text, state) => {
      copy.textContent = text;
      copy.setAttribute("data-copied", state);
      clearTimeout(reset);
      reset = setTimeout(() => { copy.textContent = "Copy"; copy.removeAttribute("data-copied"); }, 2000);
    };
    if (!clipboard?.writeText) {
      done("Copy failed", "false");
      return;
    }
    clipboard.writeText(block.text).then(() => done("Copied", "true"), () => done("Copy failed", "false"));
  });
  bar.append(lang, copy);
  const pre = element(doc, "pre");
  const code = element(doc, "code");
  if (block.lang) code.setAttribute("data-lang", block.lang);
  code.textContent = block.text;
  pre.append(code);
  wrapper.append(bar, pre);
  return wrapper;
}

function renderTable(doc, block) {
  const wrapper = element(doc, "div", "table-wrap");
  const table = element(doc, "table");
  const row = (cells, tag) => {
    const tr = element(doc, "tr");
    cells.forEach((text, k) => {
      const cell = element(doc, tag, block.alignments[k] ? `align-${block.alignments[k]}` : null); // a class: the CSP allows no style attribute
      appendInline(doc, cell, parseInline(text));
      tr.append(cell);
    });
    return tr;
  };
  const head = element(doc, "thead");
  head.append(row(block.header, "th"));
  table.append(head);
  if (block.rows.length > 0) {
    const body = element(doc, "tbody");
    for (const cells of block.rows) body.append(row(cells, "td"));
    table.append(body);
  }
  wrapper.append(table);
  return wrapper;
}

function appendInline(doc, parent, nodes) {
  for (const node of nodes) {
    switch (node.type) {
      case "text":
        parent.append(doc.createTextNode(node.text));
        break;
      case "break":
        parent.append(element(doc, "br"));
        break;
      case "code": {
        const code = element(doc, "code");
        code.textContent = node.text;
        parent.append(code);
        break;
      }
      case "strong":
      case "em": {
        const wrap = element(doc, node.type);
        appendInline(doc, wrap, node.children);
        parent.append(wrap);
        break;
      }
      case "link": {
        const a = element(doc, "a");
        a.setAttribute("href", node.href);
        a.setAttribute("rel", "noopener noreferrer");
        a.setAttribute("target", "_blank");
        appendInline(doc, a, node.children);
        parent.append(a);
        break;
      }
      default:
        throw new Error(`unknown inline ${node.type}`);
    }
  }
}
