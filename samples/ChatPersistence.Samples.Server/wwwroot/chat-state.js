// Framework-agnostic chat state for one signed-in user: per-workflow history with a cache, pending → saved messages,
// older pages, clear, search, favourites and a reconnecting socket with an outbox. No DOM here: the page (chat-dom.js) or a
// React hook (docs/server-sample.md) subscribes to snapshots.
//
//   const chat = createChatClient({ api, connect });
//   chat.subscribe(state => render(state));
//   chat.selectWorkflow("alpha"); chat.send("Olá!");
//
// api:     { history(workflowId, before, limit), clear(workflowId), search(query, workflowId), favorite(messageId, on) }
// connect: (workflowId, { onOpen, onFrame, onClose }) => { send(frame) -> boolean, close() }
//
// A frontend that reads the same tables with supabase-js (createClient<Database>(url, publishableKey)) gets their types
// from supabase/types/database.ts, generated from the migration and checked in CI:

/** A stored message as `chat_messages` holds it (RLS shows a signed-in user only their own rows).
 * @typedef {import("../../../supabase/types/database").Database["public"]["Tables"]["chat_messages"]["Row"]} ChatMessageRow */
/** A session as `chat_sessions` holds it: one per (user, workflow).
 * @typedef {import("../../../supabase/types/database").Database["public"]["Tables"]["chat_sessions"]["Row"]} ChatSessionRow */

export function createChatClient({ api, connect, newId = () => crypto.randomUUID(), reconnectDelayMs = 1000 }) {
  const workflows = new Map();
  const listeners = new Set();
  let current = null;
  let connection = null;
  let connected = false;
  let reconnectTimer = null;
  let disposed = false;

  function entry(workflowId) {
    if (!workflows.has(workflowId)) {
      workflows.set(workflowId, { messages: [], hasOlder: false, olderCursor: null, loaded: false, loading: false, source: "none", error: null });
    }
    return workflows.get(workflowId);
  }

  function snapshot() {
    const e = current ? entry(current) : null;
    return {
      workflowId: current,
      connected,
      messages: e ? e.messages.slice() : [],
      hasOlder: e ? e.hasOlder : false,
      loading: e ? e.loading : false,
      loaded: e ? e.loaded : false,
      source: e ? e.source : "none",
      error: e ? e.error : null,
    };
  }

  function emit() {
    const state = snapshot();
    for (const listener of listeners) listener(state);
  }

  function open(workflowId) {
    clearTimeout(reconnectTimer);
    if (connection) connection.close();
    connected = false;
    connection = connect(workflowId, {
      onOpen() {
        if (workflowId !== current) return;
        connected = true;
        for (const m of entry(workflowId).messages) m.sentOnThisConnection = false;
        emit(); // pending messages are (re-)sent once the server's history frame has arrived
      },
      onFrame(frame) { handle(workflowId, frame); },
      onClose() {
        if (workflowId !== current || disposed) return;
        connected = false;
        emit();
        // Reconnect; unsent and unacknowledged messages stay pending and are re-sent with the same ids (no duplicates).
        reconnectTimer = setTimeout(() => { if (workflowId === current && !disposed) open(workflowId); }, reconnectDelayMs);
      },
    });
  }

  function flush(workflowId) {
    if (!connected || !connection) return;
    for (const m of entry(workflowId).messages) {
      if (m.role === "user" && m.status === "pending" && !m.sentOnThisConnection) {
        if (connection.send({ type: "send", id: m.id, content: m.content })) m.sentOnThisConnection = true;
      }
    }
  }

  function handle(workflowId, frame) {
    const e = entry(workflowId);
    switch (frame.type) {
      case "history": {
        const server = frame.messages.map(m => ({ ...m, status: "saved" }));
        const known = new Set(server.map(m => m.id));
        const local = e.messages.filter(m => m.status !== "saved" && m.status !== "streaming" && !known.has(m.id));
        e.messages = server.concat(local);
        e.hasOlder = frame.hasOlder;
        e.olderCursor = frame.olderCursor;
        e.loaded = true;
        e.loading = false;
        e.source = "server";
        flush(workflowId);
        break;
      }
      case "saved": {
        const m = e.messages.find(x => x.id === frame.id);
        if (m) Object.assign(m, { status: "saved", sequence: frame.sequence, createdAt: frame.createdAt, error: null });
        break;
      }
      case "assistant.start":
        if (!e.messages.some(x => x.id === frame.id)) e.messages.push({ id: frame.id, role: "assistant", content: "", status: "streaming" });
        break;
      case "assistant.delta": {
        const m = e.messages.find(x => x.id === frame.id);
        if (m) m.content += frame.text;
        break;
      }
      case "assistant.saved": {
        const saved = { ...frame.message, status: "saved" };
        const index = e.messages.findIndex(x => x.id === saved.id);
        if (index >= 0) e.messages[index] = saved; else e.messages.push(saved);
        break;
      }
      case "error": {
        const m = frame.id ? e.messages.find(x => x.id === frame.id) : null;
        if (m) Object.assign(m, { status: "failed", error: frame.message });
        else e.error = frame.message;
        break;
      }
      default:
        return;
    }
    if (workflowId === current) emit();
  }

  return {
    subscribe(listener) { listeners.add(listener); listener(snapshot()); return () => listeners.delete(listener); },
    getState: snapshot,

    // Shows the cached history at once (source "cache") and refreshes it from the server in the background.
    selectWorkflow(workflowId) {
      if (!workflowId || workflowId === current) return;
      current = workflowId;
      const e = entry(workflowId);
      e.source = e.loaded ? "cache" : "none";
      e.loading = !e.loaded;
      e.error = null;
      emit();
      open(workflowId);
    },

    send(text) {
      const content = text.trim();
      if (!current || content.length === 0) return null;
      const message = { id: newId(), role: "user", content, status: "pending", createdAt: new Date().toISOString() };
      entry(current).messages.push(message);
      flush(current);
      emit();
      return message.id;
    },

    // A failed message is sent again with the same id: the server stores it at most once.
    retry(messageId) {
      const m = entry(current).messages.find(x => x.id === messageId);
      if (!m || m.status !== "failed") return;
      Object.assign(m, { status: "pending", error: null, sentOnThisConnection: false });
      flush(current);
      emit();
    },

    async loadOlder() {
      const workflowId = current;
      const e = entry(workflowId);
      if (!e.hasOlder || e.loading) return;
      e.loading = true;
      emit();
      try {
        const page = await api.history(workflowId, e.olderCursor, 50);
        const known = new Set(e.messages.map(m => m.id));
        e.messages = page.messages.filter(m => !known.has(m.id)).map(m => ({ ...m, status: "saved" })).concat(e.messages);
        e.hasOlder = page.hasOlder;
        e.olderCursor = page.olderCursor;
      } finally {
        e.loading = false;
        if (workflowId === current) emit();
      }
    },

    // Clearing happens only here, when the user asks — never as a side effect of switching workflows.
    async clear() {
      const workflowId = current;
      await api.clear(workflowId);
      const e = entry(workflowId);
      e.messages = [];
      e.hasOlder = false;
      e.olderCursor = null;
      if (workflowId === current) emit();
    },

    search(query) { return api.search(query, current); },

    async toggleFavorite(messageId) {
      const m = entry(current).messages.find(x => x.id === messageId);
      if (!m || m.status !== "saved") return;
      const updated = await api.favorite(messageId, !m.isFavorite);
      m.isFavorite = updated.isFavorite;
      emit();
    },

    dispose() {
      disposed = true;
      clearTimeout(reconnectTimer);
      if (connection) connection.close();
      listeners.clear();
    },
  };
}
