// Tests of the framework-agnostic chat state (wwwroot/chat-state.js) with Node's built-in test runner and fakes for the
// two boundaries it takes (api, connect). Run: node --test samples/ChatPersistence.Samples.Server/wwwroot-tests/
import { test } from "node:test";
import assert from "node:assert/strict";
import { createChatClient } from "../wwwroot/chat-state.js";

function fakeServer() {
  const sockets = [];
  const stored = new Map(); // workflowId -> messages
  const api = {
    async history(workflowId) { return { messages: stored.get(workflowId) ?? [], hasOlder: false, olderCursor: null }; },
    async clear(workflowId) { stored.set(workflowId, []); return { deleted: 1 }; },
    async search() { return { items: [] }; },
    async favorite(id, on) { return { id, isFavorite: on }; },
  };
  const connect = (workflowId, handlers, options = {}) => {
    const socket = { workflowId, handlers, after: options.after ?? null, sent: [], open: false, closed: false,
      send(frame) { if (!this.open) return false; this.sent.push(frame); return true; },
      close() { this.closed = true; } };
    sockets.push(socket);
    return socket;
  };
  const accept = socket => {
    socket.open = true;
    socket.handlers.onOpen();
    socket.handlers.onFrame({ type: "history", workflowId: socket.workflowId, messages: stored.get(socket.workflowId) ?? [], hasOlder: false, olderCursor: null });
  };
  const save = (socket, frame) => {
    const list = stored.get(socket.workflowId) ?? [];
    if (!list.some(m => m.id === frame.id)) list.push({ id: frame.id, role: "user", content: frame.content, sequence: list.length + 1 });
    stored.set(socket.workflowId, list);
    socket.handlers.onFrame({ type: "saved", id: frame.id, sequence: list.length });
  };
  return { api, connect, sockets, accept, save, stored };
}

let counter = 0;
const newId = () => `00000000-0000-4000-8000-${String(++counter).padStart(12, "0")}`;

test("a message is pending until the server acknowledges it, then saved", () => {
  const server = fakeServer();
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  const id = chat.send("Olá");
  assert.equal(chat.getState().messages.find(m => m.id === id).status, "pending");
  assert.deepEqual(server.sockets[0].sent, [{ type: "send", id, content: "Olá" }]);
  server.save(server.sockets[0], server.sockets[0].sent[0]);
  assert.equal(chat.getState().messages.find(m => m.id === id).status, "saved");
});

test("messages written while disconnected are sent after reconnecting, with the same ids, once", async () => {
  const server = fakeServer();
  const chat = createChatClient({ api: server.api, connect: server.connect, newId, reconnectDelayMs: 1 });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  const first = chat.send("before the drop");
  server.sockets[0].handlers.onClose();                 // dropped before the acknowledgement
  const second = chat.send("while offline");
  assert.equal(chat.getState().connected, false);
  await new Promise(resolve => setTimeout(resolve, 20));
  assert.equal(server.sockets.length, 2, "it reconnected");
  server.accept(server.sockets[1]);
  assert.deepEqual(server.sockets[1].sent.map(f => f.id), [first, second], "both re-sent, same ids, in order");
  server.sockets[1].sent.forEach(frame => server.save(server.sockets[1], frame));
  assert.deepEqual(chat.getState().messages.map(m => [m.id, m.status]), [[first, "saved"], [second, "saved"]]);
});

test("switching back to a workflow shows its cached history at once, then refreshes it", () => {
  const server = fakeServer();
  server.stored.set("alpha", [{ id: "a1", role: "user", content: "in alpha", sequence: 1 }]);
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  assert.equal(chat.getState().loading, true);
  server.accept(server.sockets[0]);
  chat.selectWorkflow("beta");
  server.accept(server.sockets[1]);
  assert.deepEqual(chat.getState().messages, []);
  chat.selectWorkflow("alpha");
  const state = chat.getState();
  assert.equal(state.source, "cache");
  assert.deepEqual(state.messages.map(m => m.content), ["in alpha"], "shown before the server answers");
  server.accept(server.sockets[2]);
  assert.equal(chat.getState().source, "server");
});

test("switching workflows never clears a chat; clear does, when asked", async () => {
  const server = fakeServer();
  server.stored.set("alpha", [{ id: "a1", role: "user", content: "keep me", sequence: 1 }]);
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  chat.selectWorkflow("beta");
  chat.selectWorkflow("alpha");
  assert.equal(chat.getState().messages.length, 1);
  await chat.clear();
  assert.deepEqual(chat.getState().messages, []);
  assert.deepEqual(server.stored.get("alpha"), []);
});

test("a failed message is retried with the same id", () => {
  const server = fakeServer();
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  const id = chat.send("flaky");
  server.sockets[0].handlers.onFrame({ type: "error", code: "unavailable", message: "retry it", id });
  assert.equal(chat.getState().messages[0].status, "failed");
  chat.retry(id);
  assert.deepEqual(server.sockets[0].sent.map(f => f.id), [id, id]);
  assert.equal(chat.getState().messages[0].status, "pending");
});

test("the streamed reply grows with each delta (by offset, a repeat ignored) and ends as the stored message", () => {
  const server = fakeServer();
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  const on = server.sockets[0].handlers.onFrame;
  on({ type: "assistant.start", message: { id: "r1", role: "assistant", content: "", sequence: 2, status: "streaming" } });
  on({ type: "assistant.delta", id: "r1", offset: 0, text: "Olá" });
  on({ type: "assistant.delta", id: "r1", offset: 0, text: "Olá" }); // the same delta twice is shown once
  on({ type: "assistant.delta", id: "r1", offset: 3, text: " mundo" });
  assert.deepEqual(chat.getState().messages.map(m => [m.content, m.status, m.reply]), [["Olá mundo", "streaming", "streaming"]]);
  on({ type: "assistant.end", message: { id: "r1", role: "assistant", content: "Olá mundo", sequence: 2, status: "complete" } });
  assert.deepEqual(chat.getState().messages.map(m => [m.content, m.status, m.reply]), [["Olá mundo", "saved", "complete"]]);
});

const tick = () => new Promise(resolve => setTimeout(resolve, 0));

test("a gap in the deltas (a refresh mid-answer) is filled by reading the stored text, then the deltas held back join it", async () => {
  const server = fakeServer();
  const reads = [];
  server.api.replyText = async (id, offset) => { reads.push(offset); return { id, offset, text: "Olá mundo".slice(offset), length: 9, status: "streaming", leaseExpiresAt: null }; };
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  const on = server.sockets[0].handlers.onFrame;
  on({ type: "message", message: { id: "r1", role: "assistant", content: "Olá", sequence: 2, status: "streaming" } });
  on({ type: "assistant.delta", id: "r1", offset: 9, text: "!" }); // "mundo" was sent before this tab connected
  await tick(); await tick();
  assert.deepEqual(reads, [3]);
  assert.equal(chat.getState().messages[0].content, "Olá mundo!");
  chat.dispose();
});

test("reply.grew from another instance reads the new text after what is shown; an ended read marks the reply", async () => {
  const server = fakeServer();
  let stored = { text: "Um dois", status: "streaming", reason: null };
  server.api.replyText = async (id, offset) => ({ id, offset, text: stored.text.slice(offset), length: stored.text.length, status: stored.status, reason: stored.reason });
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  const on = server.sockets[0].handlers.onFrame;
  on({ type: "message", message: { id: "r1", role: "assistant", content: "", sequence: 2, status: "streaming" } });
  on({ type: "reply.grew", id: "r1", length: 7 });
  await tick(); await tick();
  assert.equal(chat.getState().messages[0].content, "Um dois");
  stored = { text: "Um dois três", status: "stopped", reason: "stopRequested" };
  on({ type: "reply.grew", id: "r1", length: 12 });
  await tick(); await tick();
  assert.deepEqual(chat.getState().messages.map(m => [m.content, m.status, m.reply, m.reason]), [["Um dois três", "saved", "stopped", "stopRequested"]]);
  chat.dispose();
});

test("a streaming reply is read again at its lease's end: a dead writer's reply becomes interrupted with its stored text, and Retry asks for a new answer", async () => {
  const server = fakeServer();
  server.api.replyText = async (id, offset) => ({ id, offset, text: "", length: 3, status: "interrupted", reason: "leaseExpired" });
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  const on = server.sockets[0].handlers.onFrame;
  on({ type: "message", message: { id: "r1", role: "assistant", content: "Olá", sequence: 2, status: "streaming", leaseExpiresAt: new Date(Date.now() - 1000).toISOString() } });
  on({ type: "assistant.delta", id: "r1", offset: 3, text: " mundo" }); // shown, never stored: the writer died before its flush
  assert.equal(chat.getState().messages[0].status, "streaming");
  await new Promise(resolve => setTimeout(resolve, 600));
  assert.deepEqual(chat.getState().messages.map(m => [m.content, m.status, m.reply]), [["Olá", "saved", "interrupted"]]);
  const retry = chat.retryReply("r1");
  assert.deepEqual(server.sockets[0].sent.at(-1), { type: "retry", id: retry, messageId: "r1" });
  chat.dispose();
});

test("Stop goes through the socket, or through the API when the socket is down", () => {
  const server = fakeServer();
  const stopped = [];
  server.api.stop = async id => { stopped.push(id); return {}; };
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  const on = server.sockets[0].handlers.onFrame;
  on({ type: "assistant.start", message: { id: "r1", role: "assistant", content: "", sequence: 2, status: "streaming" } });
  on({ type: "assistant.start", message: { id: "r2", role: "assistant", content: "", sequence: 3, status: "streaming" } });
  chat.stop("r1");
  assert.deepEqual(server.sockets[0].sent.at(-1), { type: "stop", messageId: "r1" });
  assert.equal(chat.getState().messages[0].stopping, true);
  server.sockets[0].open = false;
  chat.stop("r2");
  assert.deepEqual(stopped, ["r2"]);
  chat.dispose();
});

const saved = (id, sequence, extra = {}) => ({ id, role: "user", content: `m${sequence}`, sequence, isFavorite: false, ...extra });
const view = chat => chat.getState().messages.map(m => [m.id, m.status]);

test("messages from another tab arrive once, in sequence order, ahead of local pending ones", () => {
  const server = fakeServer();
  server.stored.set("alpha", [saved("a1", 1)]);
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  const on = server.sockets[0].handlers.onFrame;
  const mine = chat.send("mine, not acknowledged yet");
  on({ type: "message", message: saved("b3", 3) });
  on({ type: "message", message: saved("b2", 2) });          // late: still placed by sequence
  on({ type: "message", message: saved("b3", 3) });          // the same message again: shown once
  on({ type: "assistant.saved", message: saved("b3", 3) });  // and once more through another frame type
  assert.deepEqual(view(chat), [["a1", "saved"], ["b2", "saved"], ["b3", "saved"], [mine, "pending"]]);
  on({ type: "saved", id: mine, sequence: 4 });
  on({ type: "message", message: saved(mine, 4, { content: "mine, not acknowledged yet" }) });
  assert.deepEqual(view(chat), [["a1", "saved"], ["b2", "saved"], ["b3", "saved"], [mine, "saved"]]);
});

test("a reconnect asks for what follows the last sequence received and merges it without duplicates", async () => {
  const server = fakeServer();
  server.stored.set("alpha", [saved("a1", 1), saved("a2", 2)]);
  const chat = createChatClient({ api: server.api, connect: server.connect, newId, reconnectDelayMs: 1 });
  chat.selectWorkflow("alpha");
  assert.equal(server.sockets[0].after, null, "a first connect asks for the newest page");
  server.accept(server.sockets[0]);
  const on = server.sockets[0].handlers.onFrame;
  on({ type: "message", message: saved("b3", 3) });
  const mine = chat.send("own");
  on({ type: "saved", id: mine, sequence: 4 });              // acknowledged, but not yet received as a message
  server.sockets[0].handlers.onClose();
  await new Promise(resolve => setTimeout(resolve, 20));
  assert.equal(server.sockets[1].after, 3, "the last sequence received in order (own acknowledgements excluded)");
  server.sockets[1].open = true;
  server.sockets[1].handlers.onOpen();
  server.sockets[1].handlers.onFrame({ type: "history", workflowId: "alpha", after: 3, hasOlder: false, olderCursor: null,
    messages: [saved("a1", 1, { isFavorite: true }), saved("a2", 2), saved("b3", 3), saved(mine, 4), saved("b5", 5)] });
  assert.deepEqual(view(chat).map(([id]) => id), ["a1", "a2", "b3", mine, "b5"], "nothing twice, nothing lost");
  assert.equal(chat.getState().messages[0].isFavorite, true, "state refreshed from the merged page");
  assert.deepEqual(server.sockets[1].sent, [], "the acknowledged message is not re-sent");
});

test("a reconnect whose last message is gone (cleared elsewhere) gets the newest page and replaces the list", async () => {
  const server = fakeServer();
  server.stored.set("alpha", [saved("a1", 1), saved("a2", 2)]);
  const chat = createChatClient({ api: server.api, connect: server.connect, newId, reconnectDelayMs: 1 });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  server.sockets[0].handlers.onClose();
  await new Promise(resolve => setTimeout(resolve, 20));
  assert.equal(server.sockets[1].after, 2);
  server.stored.set("alpha", [saved("c7", 7)]);
  server.accept(server.sockets[1]);                          // a full history frame (no "after"): replaces
  assert.deepEqual(view(chat), [["c7", "saved"]]);
});

test("a snapshot after a clear elsewhere replaces saved messages but keeps pending ones and ones saved after it", () => {
  const server = fakeServer();
  server.stored.set("alpha", [saved("a1", 1), saved("a2", 2)]);
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  const on = server.sockets[0].handlers.onFrame;
  const late = chat.send("saved after the server read the snapshot");
  on({ type: "saved", id: late, sequence: 9 });
  const pending = chat.send("still pending");
  on({ type: "snapshot", reason: "cleared", workflowId: "alpha", messages: [saved("c5", 5)], hasOlder: false, olderCursor: null, through: 5 });
  assert.deepEqual(view(chat), [["c5", "saved"], [late, "saved"], [pending, "pending"]]);
  on({ type: "snapshot", reason: "deleted", workflowId: "alpha", sessionId: null, messages: [], hasOlder: false, olderCursor: null, through: 9 });
  assert.deepEqual(view(chat), [[pending, "pending"]]);
});

test("a favourite set elsewhere shows on this tab", () => {
  const server = fakeServer();
  server.stored.set("alpha", [saved("a1", 1)]);
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  server.sockets[0].handlers.onFrame({ type: "favorite", id: "a1", isFavorite: true, sequence: 1 });
  assert.equal(chat.getState().messages[0].isFavorite, true);
  server.sockets[0].handlers.onFrame({ type: "favorite", id: "unknown", isFavorite: true, sequence: 0 });
  assert.equal(chat.getState().messages.length, 1);
});

test("a refused connection says why and is retried slowly; an expired token reconnects at once", async () => {
  const server = fakeServer();
  const chat = createChatClient({ api: server.api, connect: server.connect, newId, reconnectDelayMs: 1, refusedRetryDelayMs: 60_000 });
  chat.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  const pending = chat.send("kept while signed out");
  server.sockets[0].handlers.onClose({ reason: "signed_out" });
  assert.equal(chat.getState().disconnectReason, "signed_out");
  await new Promise(resolve => setTimeout(resolve, 20));
  assert.equal(server.sockets.length, 1, "not retried every second while signed out");
  assert.equal(chat.getState().messages.find(m => m.id === pending).status, "pending");

  chat.selectWorkflow("beta");
  server.accept(server.sockets[1]);
  assert.equal(chat.getState().disconnectReason, null);
  server.sockets[1].handlers.onClose({ reason: "token_expired" });
  await new Promise(resolve => setTimeout(resolve, 20));
  assert.equal(server.sockets.length, 3, "reconnected at once with a fresh token");
  assert.equal(chat.getState().disconnectReason, null);
  chat.dispose();
});

test("a draft and the messages not yet acknowledged survive a reload (a new client on the same storage), per workflow", () => {
  const storage = new Map();
  const local = { getItem: k => storage.get(k) ?? null, setItem: (k, v) => storage.set(k, v), removeItem: k => storage.delete(k) };
  const server = fakeServer();
  const before = createChatClient({ api: server.api, connect: server.connect, newId, storage: local });
  before.selectWorkflow("alpha");
  server.accept(server.sockets[0]);
  before.setDraft("half a thought");
  const unacknowledged = before.send("sent, never acknowledged");
  before.setDraft("still typing");
  before.dispose();                                      // the page reloads before the server's "saved"

  const after = createChatClient({ api: server.api, connect: server.connect, newId, storage: local });
  after.selectWorkflow("alpha");
  assert.equal(after.getState().draft, "still typing");
  assert.deepEqual(after.getState().messages.map(m => [m.id, m.status]), [[unacknowledged, "pending"]]);
  server.accept(server.sockets[1]);
  assert.deepEqual(server.sockets[1].sent, [{ type: "send", id: unacknowledged, content: "sent, never acknowledged" }], "re-sent with its id");
  server.save(server.sockets[1], server.sockets[1].sent[0]);
  after.send(after.getState().draft);
  server.save(server.sockets[1], server.sockets[1].sent[1]);
  assert.equal(storage.size, 0, "sent and acknowledged: nothing kept");
  after.selectWorkflow("beta");
  assert.equal(after.getState().draft, "", "drafts are per workflow");
});

// ---- Versions (issue 27): edit, regenerate, switch, and following a change of path. ----

const stored = (id, sequence, role, parentId, content = `${role} ${sequence}`) => ({ id, sequence, role, content, parentId, status: "complete" });

test("the history's siblings become each message's versions; edit sends an edit frame and hides the old question and what follows", () => {
  const server = fakeServer();
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  const socket = server.sockets[0];
  socket.open = true;
  socket.handlers.onOpen();
  const q1 = stored("q1", 1, "user", null), a1 = stored("a1", 2, "assistant", "q1"), q2 = stored("q2", 3, "user", "a1"), a2 = stored("a2", 4, "assistant", "q2");
  socket.handlers.onFrame({ type: "history", branches: true, messages: [q1, a1, q2, a2], siblings: [{ id: "a1", index: 1, count: 2 }], hasOlder: false, olderCursor: null, after: null });
  assert.deepEqual(chat.getState().messages.map(m => [m.id, m.versions]), [["q1", null], ["a1", { index: 1, count: 2 }], ["q2", null], ["a2", null]]);
  assert.equal(chat.getState().branches, true, "the server's store keeps versions: the page shows edit and regenerate");

  const id = chat.edit("q2", "  the question, better  ");
  assert.deepEqual(socket.sent.at(-1), { type: "edit", id, content: "the question, better", versionOf: "q2" });
  assert.deepEqual(chat.getState().messages.map(m => m.id), ["q1", "a1", id]);
  assert.equal(chat.getState().messages.at(-1).parentId, "a1");
  assert.equal(chat.edit("a1", "an answer is not a question"), null);
  socket.handlers.onFrame({ type: "saved", id, sequence: 5, createdAt: "2026-01-01T00:00:00Z", parentId: "a1" });
  assert.equal(chat.getState().messages.at(-1).status, "saved");
});

test("an edit not acknowledged survives a reload and is re-sent as an edit", () => {
  const storage = new Map();
  const store = { getItem: k => storage.get(k) ?? null, setItem: (k, v) => storage.set(k, v), removeItem: k => storage.delete(k) };
  const server = fakeServer();
  const chat = createChatClient({ api: server.api, connect: server.connect, newId, storage: store });
  chat.selectWorkflow("alpha");
  server.sockets[0].open = true;
  server.sockets[0].handlers.onOpen();
  server.sockets[0].handlers.onFrame({ type: "history", messages: [stored("q1", 1, "user", null)], siblings: [], hasOlder: false, olderCursor: null, after: null });
  server.sockets[0].open = false; // offline: the edit stays pending
  const id = chat.edit("q1", "edited offline");
  const again = createChatClient({ api: server.api, connect: server.connect, newId, storage: store });
  again.selectWorkflow("alpha");
  const socket = server.sockets[1];
  socket.open = true;
  socket.handlers.onOpen();
  socket.handlers.onFrame({ type: "history", messages: [stored("q1", 1, "user", null)], siblings: [], hasOlder: false, olderCursor: null, after: null });
  assert.deepEqual(socket.sent, [{ type: "edit", id, content: "edited offline", versionOf: "q1" }]);
});

test("regenerate asks for another answer to the answer's question and hides the old answer; switchVersion sends the index", () => {
  const server = fakeServer();
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  const socket = server.sockets[0];
  socket.open = true;
  socket.handlers.onOpen();
  socket.handlers.onFrame({ type: "history", messages: [stored("q1", 1, "user", null), stored("a1", 2, "assistant", "q1")], siblings: [], hasOlder: false, olderCursor: null, after: null });
  assert.equal(chat.getState().branches, false, "a history frame without branches: no edit or regenerate controls");
  const id = chat.regenerate("a1");
  assert.deepEqual(socket.sent.at(-1), { type: "regenerate", id, questionId: "q1" });
  assert.deepEqual(chat.getState().messages.map(m => m.id), ["q1"]);
  assert.equal(chat.regenerate("q1"), null, "a question is edited, not regenerated");
  assert.equal(chat.switchVersion("a1", 0), true);
  assert.deepEqual(socket.sent.at(-1), { type: "switch", messageId: "a1", index: 0 });
});

test("a path frame keeps the messages up to the fork and takes the new path's page for the rest, with versions", () => {
  const server = fakeServer();
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  const socket = server.sockets[0];
  socket.open = true;
  socket.handlers.onOpen();
  const q1 = stored("q1", 1, "user", null), a1 = stored("a1", 2, "assistant", "q1"), q2 = stored("q2", 3, "user", "a1"), a2 = stored("a2", 4, "assistant", "q2");
  socket.handlers.onFrame({ type: "history", messages: [q1, a1, q2, a2], siblings: [], hasOlder: true, olderCursor: "c0", after: null });
  const pending = chat.send("not sent yet");
  socket.open = false;
  // Another tab edited q2 (a new version q2b, answered a2b): the new path's newest page reaches the fork (a1, sequence 2).
  const q2b = stored("q2b", 5, "user", "a1"), a2b = stored("a2b", 6, "assistant", "q2b");
  socket.handlers.onFrame({ type: "path", leafId: "a2b", forkSequence: 2, changed: true, messages: [a1, q2b, a2b], siblings: [{ id: "q2b", index: 1, count: 2 }], hasOlder: true, olderCursor: "c1" });
  let state = chat.getState();
  assert.deepEqual(state.messages.map(m => m.id), ["q1", "a1", "q2b", "a2b", pending]);
  assert.deepEqual(state.messages.find(m => m.id === "q2b").versions, { index: 1, count: 2 });
  assert.equal(state.hasOlder, true, "the older pages before the kept prefix are still there to load");
  // Back to version 1: a page that does not reach the fork replaces everything (and its cursor is the one to load older with).
  socket.handlers.onFrame({ type: "path", leafId: "a2", forkSequence: 2, changed: true, messages: [q2, a2], siblings: [{ id: "q2", index: 0, count: 2 }], hasOlder: true, olderCursor: "c2" });
  state = chat.getState();
  assert.deepEqual(state.messages.map(m => m.id), ["q2", "a2", pending]);
  assert.deepEqual(state.messages[0].versions, { index: 0, count: 2 });
});

test("on a store with versions a message is sent under the answer the tab shows last; not before that answer shows up", () => {
  const server = fakeServer();
  const chat = createChatClient({ api: server.api, connect: server.connect, newId });
  chat.selectWorkflow("alpha");
  const socket = server.sockets[0];
  socket.open = true;
  socket.handlers.onOpen();
  socket.handlers.onFrame({ type: "history", branches: true, messages: [stored("q1", 1, "user", null), stored("a1", 2, "assistant", "q1")], siblings: [], hasOlder: false, olderCursor: null, after: null });
  const first = chat.send("under a1");
  assert.deepEqual(socket.sent.at(-1), { type: "send", id: first, content: "under a1", parentId: "a1" });
  const second = chat.send("while the first is unsent");
  assert.deepEqual(socket.sent.at(-1), { type: "send", id: second, content: "while the first is unsent" });
  socket.handlers.onFrame({ type: "saved", id: first, sequence: 3 });
  socket.handlers.onFrame({ type: "saved", id: second, sequence: 4 });
  const third = chat.send("before the answer shows up");
  assert.deepEqual(socket.sent.at(-1), { type: "send", id: third, content: "before the answer shows up" }, "the last shown is a question: continue the active path");
  // A parent that is gone (not_found): Retry continues the chat without it.
  socket.handlers.onFrame({ type: "saved", id: third, sequence: 5 });
  socket.handlers.onFrame({ type: "assistant.end", message: stored("a2", 6, "assistant", third) });
  const fourth = chat.send("under a2");
  assert.equal(socket.sent.at(-1).parentId, "a2");
  socket.handlers.onFrame({ type: "error", code: "not_found", message: "That message is not in this chat.", id: fourth });
  chat.retry(fourth);
  assert.deepEqual(socket.sent.at(-1), { type: "send", id: fourth, content: "under a2" });
  // Written offline: it joins the end of the conversation when it reconnects (no parent).
  socket.handlers.onFrame({ type: "saved", id: fourth, sequence: 7 });
  socket.handlers.onFrame({ type: "assistant.end", message: stored("a4", 8, "assistant", fourth) });
  socket.handlers.onClose();
  const offline = chat.send("offline");
  assert.equal(chat.getState().messages.find(m => m.id === offline).sendUnder, undefined);
  chat.dispose();
});
