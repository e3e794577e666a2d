// Tests of the assistant replies' Markdown renderer (wwwroot/markdown.js) on a fake document (fake-dom.mjs, which has no
// HTML parser). Run: node --test samples/ChatPersistence.Samples.Server/wwwroot-tests/
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseInline, parseMarkdown, renderMarkdown, safeHref, MAX_BLOCK_DEPTH } from "../wwwroot/markdown.js";
import { createDocument } from "./fake-dom.mjs";

const ALLOWED_TAGS = new Set(["P", "BR", "H1", "H2", "H3", "H4", "H5", "H6", "STRONG", "EM", "CODE", "PRE", "UL", "OL", "LI",
  "BLOCKQUOTE", "HR", "A", "DIV", "SPAN", "BUTTON", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD"]);
const ALLOWED_ATTRIBUTES = new Set(["class", "href", "rel", "target", "start", "type", "title", "data-lang", "data-open", "data-copied"]);

function render(markdown, options = {}) {
  const doc = createDocument();
  const root = doc.createElement("div");
  renderMarkdown(root, markdown, { document: doc, ...options });
  return root;
}

// The rendered tree as compact HTML-like text, for readable expectations (the test's own serializer; the renderer never
// produces or parses HTML).
function shape(node) {
  if (node.nodeType === 3) return node.data;
  const tag = node.tagName.toLowerCase();
  const attributes = [...node.attributes].filter(([k]) => k !== "title").map(([k, v]) => ` ${k}="${v}"`).join("");
  return `<${tag}${attributes}>${node.childNodes.map(shape).join("")}</${tag}>`;
}

const html = markdown => render(markdown).childNodes.map(shape).join("");

// Every element is one the renderer makes, with only its own attributes; every href is http(s) or mailto.
function assertSafe(root) {
  for (const e of root.descendants()) {
    assert.ok(ALLOWED_TAGS.has(e.tagName), `unexpected element ${e.tagName}`);
    for (const [name, value] of e.attributes) {
      assert.ok(ALLOWED_ATTRIBUTES.has(name), `unexpected attribute ${name} on ${e.tagName}`);
      if (name === "href") assert.match(value, /^(https?:\/\/|mailto:)/);
    }
  }
}

test("paragraphs, line breaks and headings", () => {
  assert.equal(html("First line\nsecond line\n\nNew paragraph"), "<p>First line<br></br>second line</p><p>New paragraph</p>");
  assert.equal(html("# One\n## Two ##\n###### Six\n####### seven"), "<h1>One</h1><h2>Two</h2><h6>Six</h6><p>####### seven</p>");
  assert.equal(html("#hashtag is text"), "<p>#hashtag is text</p>");
});

test("bold, italic, both, and snake_case left alone", () => {
  assert.equal(html("**bold** *italic* _also_ ***both*** __strong__"),
    "<p><strong>bold</strong> <em>italic</em> <em>also</em> <em><strong>both</strong></em> <strong>strong</strong></p>");
  assert.equal(html("*outer **inner** outer*"), "<p><em>outer <strong>inner</strong> outer</em></p>");
  assert.equal(html("snake_case_name and 2 * 3 * 4"), "<p>snake_case_name and 2 * 3 * 4</p>");
  assert.equal(html("**not closed"), "<p>**not closed</p>");
  assert.equal(html("\\*escaped\\*"), "<p>*escaped*</p>");
});

test("inline code keeps its text literally, even delimiters and markup", () => {
  assert.equal(html("Use `a*b*c` and ``x ` y`` here"), "<p>Use <code>a*b*c</code> and <code>x ` y</code> here</p>");
  assert.equal(html("*a `b*` c*"), "<p><em>a <code>b*</code> c</em></p>");
  assert.equal(html("`<script>alert(1)</script>`"), "<p><code><script>alert(1)</script></code></p>");
});

test("fenced code blocks keep their text and language, with a Copy button", () => {
  const root = render("Before\n```csharp\nvar x = a < b && c > d;\n  indented\n```\nAfter");
  assert.equal(root.childNodes.length, 3);
  const block = root.childNodes[1];
  assert.equal(block.getAttribute("class"), "code-block");
  assert.equal(block.getAttribute("data-open"), null);
  const code = block.querySelectorAll("code")[0];
  assert.equal(code.textContent, "var x = a < b && c > d;\n  indented");
  assert.equal(code.getAttribute("data-lang"), "csharp");
  assert.equal(block.querySelectorAll("button")[0].textContent, "Copy");
  assert.equal(html("~~~\n**not bold**\n~~~"), "<div class=\"code-block\"><div class=\"code-bar\"><span class=\"code-lang\"></span><button class=\"copy\" type=\"button\">Copy</button></div><pre><code>**not bold**</code></pre></div>");
});

test("Copy writes the code to the clipboard and shows Copied (or that it failed)", async () => {
  const written = [];
  const root = render("```\nnpm test\n```", { clipboard: { writeText: async text => { written.push(text); } } });
  const button = root.querySelectorAll("button")[0];
  button.click();
  await new Promise(resolve => setImmediate(resolve));
  assert.deepEqual(written, ["npm test"]);
  assert.equal(button.textContent, "Copied");
  assert.equal(button.getAttribute("data-copied"), "true");

  const refused = render("```\nx\n```", { clipboard: { writeText: () => Promise.reject(new Error("denied")) } });
  const other = refused.querySelectorAll("button")[0];
  other.click();
  await new Promise(resolve => setImmediate(resolve));
  assert.equal(other.textContent, "Copy failed");
  assert.equal(other.getAttribute("data-copied"), "false");
});

test("an unclosed fence (a reply still streaming) is a code block up to the end", () => {
  const root = render("Here:\n```python\nprint(1)\nfor i in");
  const block = root.childNodes[1];
  assert.equal(block.getAttribute("data-open"), "true");
  assert.equal(block.querySelectorAll("code")[0].textContent, "print(1)\nfor i in");
});

test("lists: bullets, ordered with a start, nested by indentation, loose items, lazy lines", () => {
  assert.equal(html("- a\n- b\n  - c\n    1. d\n- e"), "<ul><li>a</li><li>b<ul><li>c<ol><li>d</li></ol></li></ul></li><li>e</li></ul>");
  assert.equal(html("3. three\n4. four"), "<ol start=\"3\"><li>three</li><li>four</li></ol>");
  assert.equal(html("* one\n\n* two"), "<ul><li>one</li><li>two</li></ul>");
  assert.equal(html("- item\ncontinued"), "<ul><li>item<br></br>continued</li></ul>");
  assert.equal(html("- a\n+ b"), "<ul><li>a</li></ul><ul><li>b</li></ul>");
  assert.equal(html("In 2020. we\n2021. was"), "<p>In 2020. we<br></br>2021. was</p>");
  assert.equal(html("1. code:\n   ```\n   x = 1\n   ```"), "<ol><li>code:<div class=\"code-block\"><div class=\"code-bar\"><span class=\"code-lang\"></span><button class=\"copy\" type=\"button\">Copy</button></div><pre><code>x = 1</code></pre></div></li></ol>");
});

test("block quotes, nested, with lists and lazy lines", () => {
  assert.equal(html("> quoted\n> > deeper\n\nafter"), "<blockquote><p>quoted</p><blockquote><p>deeper</p></blockquote></blockquote><p>after</p>");
  assert.equal(html("> - a\n> - b"), "<blockquote><ul><li>a</li><li>b</li></ul></blockquote>");
  assert.equal(html("> line\nlazy"), "<blockquote><p>line<br></br>lazy</p></blockquote>");
});

test("tables: header, alignment as classes, inline content, escaped pipes, ragged rows; no table without a delimiter row", () => {
  assert.equal(html("| Name | Qty | Note |\n|:-----|----:|:----:|\n| **a** | 1 | `x\\|y` |\n| b \\| c | 22\n\nafter"),
    "<div class=\"table-wrap\"><table><thead><tr><th class=\"align-left\">Name</th><th class=\"align-right\">Qty</th><th class=\"align-center\">Note</th></tr></thead>"
    + "<tbody><tr><td class=\"align-left\"><strong>a</strong></td><td class=\"align-right\">1</td><td class=\"align-center\"><code>x|y</code></td></tr>"
    + "<tr><td class=\"align-left\">b | c</td><td class=\"align-right\">22</td><td class=\"align-center\"></td></tr></tbody></table></div><p>after</p>");
  assert.equal(html("a | b\n--- | ---"), "<div class=\"table-wrap\"><table><thead><tr><th>a</th><th>b</th></tr></thead></table></div>");
  assert.equal(html("a | b\nno delimiter"), "<p>a | b<br></br>no delimiter</p>");
  assert.equal(html("| a | b |\n| --- |"), "<p>| a | b |<br></br>| --- |</p>", "the delimiter row must have the header's cells");
  const root = render("| <script>x</script> | <img src=x onerror=alert(1)> |\n|---|---|\n| [x](javascript:alert(1)) | ok |");
  assertSafe(root);
  assert.equal(root.querySelectorAll("a").length, 0);
});

test("horizontal rules", () => {
  assert.equal(html("a\n\n---\n\n* * *\n___"), "<p>a</p><hr></hr><hr></hr><hr></hr>");
});

test("links: http, https and mailto only, opened safely; anything else is shown as written", () => {
  assert.equal(html("[docs](https://example.com/a?b=1 \"title\")"),
    "<p><a href=\"https://example.com/a?b=1\" rel=\"noopener noreferrer\" target=\"_blank\">docs</a></p>");
  assert.equal(html("[**bold** link](http://example.com)"),
    "<p><a href=\"http://example.com/\" rel=\"noopener noreferrer\" target=\"_blank\"><strong>bold</strong> link</a></p>");
  assert.equal(html("[mail](mailto:someone@example.com)"),
    "<p><a href=\"mailto:someone@example.com\" rel=\"noopener noreferrer\" target=\"_blank\">mail</a></p>");
  assert.equal(html("<https://example.com/x> and https://example.com/y."),
    "<p><a href=\"https://example.com/x\" rel=\"noopener noreferrer\" target=\"_blank\">https://example.com/x</a> and <a href=\"https://example.com/y\" rel=\"noopener noreferrer\" target=\"_blank\">https://example.com/y</a>.</p>");
  for (const hostile of ["[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](java\tscript:alert(1))", "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox)", "[x](/relative)", "[x](//evil.example)", "[x](&#106;avascript:alert(1))", "<javascript:alert(1)>", "[x](file:///etc/passwd)"]) {
    const root = render(hostile);
    assert.equal(root.querySelectorAll("a").length, 0, hostile);
    assert.equal(root.textContent, hostile, hostile);
  }
  assert.equal(safeHref("javascript:alert(1)"), null);
  assert.equal(safeHref(" https://example.com"), null);
  assert.equal(safeHref("https://example.com/"), "https://example.com/");
});

test("raw HTML and entities are shown as text, never as elements", () => {
  const hostile = [
    "<script>window.hacked = true</script>",
    "<img src=x onerror=\"window.hacked = true\">",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x3C;b&#x3E;",
    "<style>body { display: none }</style>",
    "<svg onload=alert(1)>",
    "- <img src=x onerror=alert(1)>\n> <script>x</script>\n# <b>title</b>\n```\n</code></pre><script>x</script>\n```",
  ];
  for (const input of hostile) {
    const root = render(input);
    assertSafe(root);
    assert.equal(root.querySelectorAll("script").length + root.querySelectorAll("img").length + root.querySelectorAll("iframe").length, 0);
  }
  assert.equal(render(hostile[0]).textContent, "<script>window.hacked = true</script>");
  assert.equal(render(hostile[4]).textContent, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x3C;b&#x3E;");
  assert.equal(render(hostile[7]).querySelectorAll("code")[0].textContent, "</code></pre><script>x</script>");
});

test("re-rendering a growing reply keeps the unchanged blocks' nodes and rebuilds the end", () => {
  const doc = createDocument();
  const root = doc.createElement("div");
  const reply = "Intro paragraph.\n\n```js\nconst a = 1;\n```\n\n- first\n- second item";
  const seen = [];
  for (let length = 1; length <= reply.length; length++) {
    renderMarkdown(root, reply.slice(0, length), { document: doc });
    seen.push(root.childNodes.slice());
  }
  assert.equal(root.childNodes.map(shape).join(""), html(reply));
  const finalCode = root.childNodes[1];
  // From the moment the fence closed, the code block (and its Copy button) is the same node.
  const closedAt = reply.indexOf("```\n\n") + 3;
  for (let length = closedAt; length <= reply.length; length++) assert.equal(seen[length - 1][1], finalCode, `at ${length}`);
  // Mid-fence it was already a code block (open), showing the code so far.
  const midFence = render(reply.slice(0, reply.indexOf("= 1")));
  assert.equal(midFence.childNodes[1].getAttribute("data-open"), "true");
  assert.equal(midFence.childNodes[1].querySelectorAll("code")[0].textContent, "const a ");
  // Shrinking (never happens in a reply, but the function is general) removes what is gone.
  renderMarkdown(root, "Intro paragraph.", { document: doc });
  assert.equal(root.childNodes.map(shape).join(""), "<p>Intro paragraph.</p>");
});

// ---- Hostile sizes: no hang (each test has a timeout) and work that grows linearly (counted steps, not time). ----

// The parser's steps for the whole text, inline content included.
function steps(markdown) {
  const counter = { steps: 0 };
  const walk = blocks => {
    for (const block of blocks) {
      if (block.type === "paragraph" || block.type === "heading") parseInline(block.text, { counter });
      if (block.type === "quote") walk(block.blocks);
      if (block.type === "list") block.items.forEach(walk);
    }
  };
  walk(parseMarkdown(markdown, { counter }));
  return counter.steps;
}

const hostileSizes = {
  "nested list markers": n => "- ".repeat(n) + "x",
  "nested ordered markers": n => "1. ".repeat(n) + "x",
  "nested quote markers": n => ">".repeat(n) + " x",
  "list markers on their own lines": n => Array.from({ length: n }, () => "-").join("\n"),
  "backticks in a row": n => "`".repeat(n),
  "backtick runs of growing length": n => { let s = ""; for (let k = 1; s.length < n; k++) s += "`".repeat(k) + " "; return s; },
  "unclosed openers": n => "*a _b **c [d <https://e ".repeat(Math.ceil(n / 24)),
  "open brackets": n => "[".repeat(n) + "](".repeat(n),
  "asterisks": n => "*".repeat(n),
  "underscores between words": n => "a_".repeat(n),
  "backslashes": n => "\\".repeat(n) + "*",
  "angle brackets": n => "<https://x".repeat(Math.ceil(n / 10)) + ">",
  "fences": n => "```\n".repeat(n),
  "hash lines": n => "#".repeat(n) + " " + " ".repeat(n) + "x",
  "spaces in a heading": n => "# a" + " ".repeat(n) + "b" + " ".repeat(n),
  "emphasis pairs": n => "*a* ".repeat(Math.ceil(n / 4)),
  "pipes and delimiter rows": n => "|-|\n".repeat(Math.ceil(n / 4)),
  "one long table row": n => "a|b\n-|-\n" + "|".repeat(n),
  "lines indented deeper and deeper": n => Array.from({ length: Math.ceil(Math.sqrt(n)) }, (_, k) => " ".repeat(2 * k) + "- x").join("\n"),
};

for (const [name, make] of Object.entries(hostileSizes)) {
  test(`hostile input (${name}): 10,000 renders without hanging and the work grows linearly`, { timeout: 10_000 }, () => {
    const root = render(make(10_000));
    assertSafe(root);
    const small = steps(make(10_000));
    const large = steps(make(40_000));
    const ratio = large / small;
    assert.ok(ratio < 4 * 1.5, `4x the input took ${ratio.toFixed(2)}x the steps (${small} → ${large})`);
  });
}

test("nesting deeper than the cap is shown as text, not as more levels", () => {
  const root = render("- ".repeat(100) + "x");
  assert.equal(root.querySelectorAll("ul").length, MAX_BLOCK_DEPTH);
  assert.match(root.textContent, /- - x$/);
});
