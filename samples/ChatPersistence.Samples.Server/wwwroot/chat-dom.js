// Renders chat-state snapshots into the page. Every piece of user or assistant text goes through textContent (never
// innerHTML), so a message such as "<script>…" shows as text. The user's messages are plain text; the assistant's are
// Markdown, rendered by markdown.js into elements (again with textContent only: raw HTML in a reply stays text).

import { renderMarkdown } from "./markdown.js";

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

const statusText = { pending: "sending…", saved: "saved ✓", failed: "failed", streaming: "typing…" };
// How a stored reply that did not finish is marked (its text so far is kept).
const replyText = { stopped: "stopped", interrupted: "interrupted" };

const rendered = new WeakMap(); // container -> Map(message id -> { shape, node })

function renderMessage(m, actions, branches) {
  const ended = m.status === "saved" ? replyText[m.reply] : undefined;
  const status = el("span", { class: ended ? `status mark ${m.reply}` : "status", title: m.reasonDetail ?? undefined, text: ended ?? (m.stopping ? "stopping…" : statusText[m.status] ?? m.status) });
  return el("article", { class: `message ${m.role}`, "data-id": m.id, "data-role": m.role, "data-status": m.status, "data-reply": m.reply },
    el("header", {},
      el("span", { class: "role", text: m.role === "user" ? "You" : "Assistant" }),
      m.createdAt ? el("time", { datetime: m.createdAt, text: new Date(m.createdAt).toLocaleTimeString() }) : null,
      status,
      m.status === "saved"
        ? el("button", { class: `star${m.isFavorite ? " on" : ""}`, title: "Favourite", "aria-pressed": m.isFavorite ? "true" : "false", text: m.isFavorite ? "★" : "☆", onclick: () => actions.toggleFavorite(m.id) })
        : null,
      m.status === "failed" ? el("button", { class: "retry", text: "Retry", onclick: () => actions.retry(m.id) }) : null,
      m.status === "streaming" && m.role === "assistant"
        ? el("button", { class: "stop", type: "button", disabled: m.stopping === true, text: "Stop", onclick: () => actions.stop(m.id) })
        : null,
      ended ? el("button", { class: "retry-reply", type: "button", title: "Ask for a new answer", text: "Retry", onclick: () => actions.retryReply(m.id) }) : null,
      versionControls(m, actions, branches)),
    content(m),
    m.error ? el("div", { class: "error", text: m.error }) : null);
}

// ‹ i / n › when the message has other versions; a pencil on a saved question (edit and resend); ↻ on an ended answer
// (another answer to the same question). Versions stay stored: the arrows bring any of them back.
function versionControls(m, actions, branches) {
  const controls = [];
  if (m.versions && m.versions.count > 1) {
    const { index, count } = m.versions;
    controls.push(el("span", { class: "versions", "data-index": index, "data-count": count },
      el("button", { class: "prev-version", type: "button", title: "Previous version", "aria-label": "Previous version", disabled: index === 0, text: "‹", onclick: () => actions.switchVersion(m.id, index - 1) }),
      el("span", { class: "position", text: `${index + 1} / ${count}` }),
      el("button", { class: "next-version", type: "button", title: "Next version", "aria-label": "Next version", disabled: index === count - 1, text: "›", onclick: () => actions.switchVersion(m.id, index + 1) })));
  }
  if (m.role === "user" && m.status === "saved" && branches && actions.edit) {
    controls.push(el("button", { class: "edit", type: "button", title: "Edit and resend", "aria-label": "Edit and resend", text: "✎", onclick: () => actions.edit(m) }));
  }
  if (m.role === "assistant" && m.status === "saved" && m.parentId && branches && actions.regenerate) {
    controls.push(el("button", { class: "regenerate", type: "button", title: "Another answer", "aria-label": "Another answer", text: "↻", onclick: () => actions.regenerate(m.id) }));
  }
  if (controls.length === 0) return null;
  const wrap = el("span", { class: "version-controls" });
  wrap.append(...controls);
  return wrap;
}

const shownSource = new WeakMap(); // an assistant message's .content -> the Markdown it shows

function content(m) {
  if (m.role !== "assistant") return el("div", { class: "content", text: m.content });
  const node = el("div", { class: "content markdown" });
  showMarkdown(node, m.content);
  return node;
}

// (Re)renders a reply's Markdown when its text changed: while it streams, only its growing end is rebuilt.
function showMarkdown(node, source) {
  const text = source ?? "";
  if (shownSource.get(node) === text) return;
  shownSource.set(node, text);
  renderMarkdown(node, text);
}

export function renderMessages(container, state, actions) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  if (container.dataset.workflow !== (state.workflowId ?? "")) {
    // What the first paint after a workflow switch showed: "cache:<n>" means the history appeared at once.
    container.dataset.firstPaint = `${state.source}:${state.messages.length}`;
  }
  container.dataset.source = state.source;
  container.dataset.workflow = state.workflowId ?? "";
  // Message nodes are kept while what their header shows is unchanged (a streaming reply's text is updated in place), so a
  // button under the pointer (Stop while the answer grows) is not replaced between mousedown and click.
  const kept = rendered.get(container) ?? new Map();
  const next = new Map();
  const nodes = [];
  if (state.hasOlder) {
    nodes.push(el("button", { class: "older", id: "load-older", text: "Load older messages", onclick: actions.loadOlder }));
  }
  if (state.loaded && state.messages.length === 0) {
    nodes.push(el("p", { class: "empty", id: "empty", text: "No messages yet in this workflow." }));
  }
  for (const m of state.messages) {
    const shape = JSON.stringify([m.role, m.status, m.reply, m.reason, m.reasonDetail, m.stopping === true, m.isFavorite === true, m.createdAt, m.error,
      m.parentId ?? null, m.versions?.index ?? null, m.versions?.count ?? null, state.branches === true]);
    const old = kept.get(m.id);
    let item;
    if (old && old.shape === shape) {
      item = old.node;
      const shown = item.querySelector(".content");
      if (m.role === "assistant") showMarkdown(shown, m.content);
      else if (shown.textContent !== m.content) shown.textContent = m.content;
    } else {
      item = renderMessage(m, actions, state.branches === true);
    }
    next.set(m.id, { shape, node: item });
    nodes.push(item);
  }
  rendered.set(container, next);
  nodes.forEach((node, i) => { if (container.children[i] !== node) container.insertBefore(node, container.children[i] ?? null); });
  while (container.children.length > nodes.length) container.lastElementChild.remove();
  if (atBottom || state.source !== "server") container.scrollTop = container.scrollHeight;
}

// Builds a highlighted snippet from the hit's character spans, as DOM nodes (text + <mark>), never as an HTML string.
export function highlighted(snippet, highlights) {
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const { start, length } of highlights) {
    if (start > at) fragment.append(document.createTextNode(snippet.slice(at, start)));
    fragment.append(el("mark", { text: snippet.slice(start, start + length) }));
    at = start + length;
  }
  if (at < snippet.length) fragment.append(document.createTextNode(snippet.slice(at)));
  return fragment;
}

export function renderSearch(container, hits) {
  container.replaceChildren();
  if (hits.length === 0) {
    container.append(el("li", { text: "No matches." }));
    return;
  }
  for (const hit of hits) {
    const text = el("span", { class: "snippet" });
    text.append(highlighted(hit.snippet, hit.highlights));
    container.append(el("li", { "data-id": hit.message.id }, el("span", { class: "where", text: `${hit.workflowId} · ` }), text));
  }
}
