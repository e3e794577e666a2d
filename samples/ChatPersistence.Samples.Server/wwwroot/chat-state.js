// Framework-agnostic chat state for one signed-in user: per-workflow history with a cache, pending → saved messages,
// older pages, clear, search, favourites and a reconnecting socket with an outbox. Live across tabs and server instances:
// what another tab saves arrives as message / snapshot / favorite frames and is merged by id (never shown twice), and a
// reconnect passes the last sequence received so the server sends only what was missed. No DOM here: the page
// (chat-dom.js) or a React hook (docs/server-sample.md) subscribes to snapshots.
//
//   const chat = createChatClient({ api, connect });
//   chat.subscribe(state => render(state));
//   chat.selectWorkflow("alpha"); chat.send("Olá!");
//
// api:     { history(workflowId, before, limit), clear(workflowId), remove(workflowId), search(query, workflowId), favorite(messageId, on),
//           replyText(messageId, offset), stop(messageId) }
// connect: (workflowId, { onOpen, onFrame, onClose }, { after }) => { send(frame) -> boolean, close() }
//          after: the sequence of the last message received from the server for this workflow (null: send the newest page)
//
// A frontend that reads the same tables with supabase-js (createClient<Database>(url, publishableKey)) gets their types
// from supabase/types/database.ts, generated from the migration and checked in CI:

/** A stored message as `chat_messages` holds it (RLS shows a signed-in user only their own rows).
 * @typedef {import("../../../supabase/types/database").Database["public"]["Tables"]["chat_messages"]["Row"]} ChatMessageRow */
/** A session as `chat_sessions` holds it: one per (user, workflow).
 * @typedef {import("../../../supabase/types/database").Database["public"]["Tables"]["chat_sessions"]["Row"]} ChatSessionRow */

// onClose({ reason }) may say why the socket ended: "token_expired" (the server closed it at the token's expiry: reconnect at
// once, the connector asks the host for a fresh token), "signed_out" (the upgrade was refused: the token is no longer valid)
// or "refused" (the server would not open it: too many open tabs, another origin). The last two are shown in the state
// (disconnectReason) and retried slowly (refusedRetryDelayMs), not every second.
//
// storage (optional, e.g. localStorage): unsent work survives a reload, per workflow under storageKey(workflowId) — the
// composer's text (setDraft, state.draft) and the messages sent but not yet acknowledged, re-sent with the same ids after
// the reload (the server stores each at most once). A message leaves it when the server acknowledges it ("saved").
// Give a storageKey that includes the user (one browser, several accounts).
//
// Replies are stored while they stream. A message's `status` is the client's: pending, saved, failed, or streaming (a stored
// reply being written, its content growing); `reply` is the server's status of a stored message: complete, streaming, stopped
// or interrupted (`reason`, `reasonDetail` say why). A streaming reply grows from assistant.delta frames (the instance that
// generates it: {id, offset, text}) or reply.grew frames (another instance: {id, length}, the text is then read with
// api.replyText(id, <length shown>)); a gap (a refresh, a reconnect) is filled the same way. At its leaseExpiresAt the reply is
// read again: a reply whose writer died reads as interrupted. stop(id) stops one (wherever it is generated); retryReply(id)
// asks for a new answer after a stopped or interrupted one (a new reply appended after it).
//
// Versions (the conversation is a tree; the screen shows one path): a message's `parentId` is the one it follows, and
// `versions: { index, count }` (from the frames' `siblings`) says it is version index + 1 of count. edit(id, text) writes a
// new version of a question (answered like a sent one), regenerate(id) asks for another answer to an answer's question,
// switchVersion(id, index) shows another version. Every tab follows a change of path from the `path` frame: it keeps its
// messages up to `forkSequence` (shared by both paths) and takes the new path's newest page for the rest.
export function createChatClient({ api, connect, newId = () => crypto.randomUUID(), reconnectDelayMs = 1000, refusedRetryDelayMs = 15000,
  storage = null, storageKey = workflowId => `chat-drafts:${workflowId}` }) {
  const workflows = new Map();
  const listeners = new Set();
  let current = null;
  let connection = null;
  let connected = false;
  let disconnectReason = null;
  let reconnectTimer = null;
  let disposed = false;
  const following = new Map(); // reply id -> { fetching, again, timer, due }: reads of a streaming reply's text and lease

  function entry(workflowId) {
    if (!workflows.has(workflowId)) {
      // synced: the highest sequence received through history, message and snapshot frames. The server sends those in
      // sequence order without gaps, so a reconnect asks for what follows it (the socket's own acknowledged messages may
      // come again then: merged by id).
      const kept = load(workflowId);
      const outbox = kept.outbox.map(m => ({ id: m.id, role: "user", content: m.content, createdAt: m.createdAt, status: "pending", ...(m.versionOf ? { versionOf: m.versionOf } : {}), ...(m.sendUnder ? { sendUnder: m.sendUnder } : {}) }));
      workflows.set(workflowId, { messages: outbox, hasOlder: false, olderCursor: null, loaded: false, loading: false, source: "none", error: null, synced: null, draft: kept.draft });
    }
    return workflows.get(workflowId);
  }

  function load(workflowId) {
    try {
      const kept = storage && JSON.parse(storage.getItem(storageKey(workflowId)) ?? "null");
      return { draft: typeof kept?.draft === "string" ? kept.draft : "", outbox: Array.isArray(kept?.outbox) ? kept.outbox : [] };
    } catch {
      return { draft: "", outbox: [] };
    }
  }

  // Writes the workflow's draft and unacknowledged messages (removes the key when there is neither).
  function persist(workflowId) {
    if (!storage) return;
    const e = workflows.get(workflowId);
    const outbox = e.messages.filter(m => m.role === "user" && (m.status === "pending" || m.status === "failed"))
      .map(m => ({ id: m.id, content: m.content, createdAt: m.createdAt, ...(m.versionOf ? { versionOf: m.versionOf } : {}), ...(m.sendUnder ? { sendUnder: m.sendUnder } : {}) }));
    try {
      if (!e.draft && outbox.length === 0) storage.removeItem(storageKey(workflowId));
      else storage.setItem(storageKey(workflowId), JSON.stringify({ draft: e.draft, outbox }));
    } catch {
      // storage full or unavailable: the draft stays in memory only
    }
  }

  function snapshot() {
    const e = current ? entry(current) : null;
    return {
      workflowId: current,
      connected,
      disconnectReason,
      messages: e ? e.messages.slice() : [],
      hasOlder: e ? e.hasOlder : false,
      loading: e ? e.loading : false,
      loaded: e ? e.loaded : false,
      source: e ? e.source : "none",
      error: e ? e.error : null,
      draft: e ? e.draft : "",
      branches: e ? e.branches === true : false, // the server's store keeps versions: edit, regenerate and ‹ i / n › work
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
    const e = entry(workflowId);
    connection = connect(workflowId, {
      onOpen() {
        if (workflowId !== current) return;
        connected = true;
        disconnectReason = null;
        for (const m of entry(workflowId).messages) m.sentOnThisConnection = false;
        emit(); // pending messages are (re-)sent once the server's history frame has arrived
      },
      onFrame(frame) { handle(workflowId, frame); },
      onClose({ reason = null } = {}) {
        if (workflowId !== current || disposed) return;
        connected = false;
        disconnectReason = reason === "token_expired" ? null : reason;
        emit();
        // Reconnect; unsent and unacknowledged messages stay pending and are re-sent with the same ids (no duplicates).
        const delay = reason === "token_expired" ? 0 : reason ? refusedRetryDelayMs : reconnectDelayMs;
        reconnectTimer = setTimeout(() => { if (workflowId === current && !disposed) open(workflowId); }, delay);
      },
    }, { after: e.loaded ? e.synced : null });
  }

  // Adds a saved message, or replaces the one with its id: saved messages stay in sequence order, ahead of the local ones
  // not saved yet (pending, failed, streaming). The same message twice is shown once.
  function upsert(e, message) {
    const saved = fromServer(message);
    const index = e.messages.findIndex(x => x.id === saved.id);
    if (index >= 0) {
      const known = e.messages[index];
      if (known.reply && known.reply !== "streaming" && saved.reply === "streaming") return; // a late read of an ended reply
      // A streaming reply only grows (every read is a prefix of the final text): keep the longer text shown.
      if (saved.reply === "streaming" && known.status === "streaming" && (known.content ?? "").length > saved.content.length) saved.content = known.content;
      e.messages[index] = { ...known, ...saved, versions: saved.versions !== undefined ? saved.versions : known.versions };
      return;
    }
    let at = e.messages.length;
    while (at > 0 && (!stored(e.messages[at - 1]) || e.messages[at - 1].sequence > saved.sequence)) at--;
    e.messages.splice(at, 0, saved);
  }

  // A message as the server sends it: its `status` (complete, streaming, stopped, interrupted) becomes `reply`; the client's
  // status is streaming while it streams, else saved.
  function fromServer(message) {
    const reply = message.status ?? "complete";
    return { ...message, reply, status: reply === "streaming" ? "streaming" : "saved", error: null };
  }

  // Messages of a page as the client keeps them, each with its position among its versions (siblings: [{ id, index, count }]).
  function withVersions(messages, siblings) {
    const positions = new Map((siblings ?? []).map(s => [s.id, { index: s.index, count: s.count }]));
    return messages.map(m => ({ ...fromServer(m), versions: positions.get(m.id) ?? null }));
  }

  // The active path changed (here or on another tab or instance): messages up to forkSequence stay (both paths share them),
  // the rest is the new path's newest page. A reply still streaming keeps the longer text already shown.
  function applyPath(e, frame) {
    const page = withVersions(frame.messages ?? [], frame.siblings);
    const ids = new Set(page.map(m => m.id));
    const fork = frame.forkSequence ?? null;
    const first = page.length > 0 ? page[0].sequence : Infinity;
    const reachesFork = fork !== null && page.some(m => m.sequence <= fork);
    const prefix = frame.hasOlder && reachesFork ? e.messages.filter(m => stored(m) && !ids.has(m.id) && m.sequence <= fork && m.sequence < first) : [];
    const before = new Map(e.messages.map(m => [m.id, m]));
    const local = e.messages.filter(m => !stored(m) && !ids.has(m.id));
    const shown = page.map(m => {
      const old = before.get(m.id);
      if (!old) return m;
      const merged = { ...old, ...m };
      if (m.status === "streaming" && old.status === "streaming" && (old.content ?? "").length > m.content.length) merged.content = old.content;
      return merged;
    });
    e.messages = prefix.concat(shown, local);
    if (prefix.length === 0) {
      e.hasOlder = frame.hasOlder;
      e.olderCursor = frame.olderCursor;
    }
    e.synced = null;
    synced(e, e.messages.filter(stored));
  }

  function follow(id) {
    if (!following.has(id)) following.set(id, { fetching: false, again: false, timer: null, due: null, ahead: [] });
    return following.get(id);
  }

  // Stored on the server: saved, or a stored reply still streaming (local ones are pending or failed).
  function stored(m) {
    return m.status === "saved" || m.status === "streaming";
  }

  // Adds text given at `offset` to a streaming reply: appended when it continues the text shown, the new part of an overlap
  // taken, nothing when already shown; a gap (missed deltas) is filled by reading the stored text.
  // Text that arrives beyond a gap is kept until the read fills the gap.
  function grow(workflowId, m, offset, text) {
    const f = follow(m.id);
    f.ahead.push({ offset, text });
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const piece of f.ahead) {
        if (piece.offset <= m.content.length && piece.offset + piece.text.length > m.content.length) {
          m.content += piece.text.slice(m.content.length - piece.offset);
          progressed = true;
        }
      }
      f.ahead = f.ahead.filter(piece => piece.offset + piece.text.length > m.content.length);
    }
    if (f.ahead.length > 0) catchUp(workflowId, m.id);
  }

  // Reads a reply's stored text after what the tab shows (one read at a time per reply; asked again meanwhile, read again).
  function catchUp(workflowId, id) {
    const f = follow(id);
    if (f.fetching) { f.again = true; return; }
    const m = entry(workflowId).messages.find(x => x.id === id);
    if (!m || m.status !== "streaming" || !api.replyText) return;
    f.fetching = true;
    api.replyText(id, m.content.length).then(r => {
      const now = entry(workflowId).messages.find(x => x.id === id);
      if (!now || now.status !== "streaming") return;
      grow(workflowId, now, r.offset, r.text);
      // Still short of text sent as deltas (not stored yet): read again in a moment.
      if (r.status === "streaming" && f.ahead.length > 0) setTimeout(() => { if (!disposed) catchUp(workflowId, id); }, 200);
      if (r.status !== "streaming" && now.content.length >= r.length) {
        // Ended: the stored text is what stays (text shown from deltas but never stored died with its writer).
        Object.assign(now, { content: now.content.slice(0, r.length), status: "saved", reply: r.status, reason: r.reason ?? null, leaseExpiresAt: null });
      } else {
        now.leaseExpiresAt = r.leaseExpiresAt ?? now.leaseExpiresAt;
      }
    }, () => {}).finally(() => {
      f.fetching = false;
      if (disposed) return;
      if (f.again) { f.again = false; catchUp(workflowId, id); }
      watchLeases(workflowId);
      if (workflowId === current) emit();
    });
  }

  // A streaming reply is read again at its lease's end: if its writer died meanwhile, it now reads as interrupted.
  function watchLeases(workflowId) {
    if (disposed) return;
    for (const m of entry(workflowId).messages) {
      const f = following.get(m.id);
      if (m.status !== "streaming" || !m.leaseExpiresAt) {
        if (f?.timer && m.status !== "streaming") { clearTimeout(f.timer); f.timer = null; }
        continue;
      }
      if (f?.timer && f.due === m.leaseExpiresAt) continue;
      const entryOf = follow(m.id);
      clearTimeout(entryOf.timer);
      entryOf.due = m.leaseExpiresAt;
      const wait = Math.max(500, Date.parse(m.leaseExpiresAt) - Date.now() + 300);
      entryOf.timer = setTimeout(() => { entryOf.timer = null; entryOf.due = null; catchUp(workflowId, m.id); }, wait);
    }
  }

  // Clear or delete on the server, then empty the local list (keeping what `keep` says).
  async function empty(workflowId, call, keep) {
    await call(workflowId);
    const e = entry(workflowId);
    e.messages = e.messages.filter(keep);
    e.hasOlder = false;
    e.olderCursor = null;
    e.synced = null;
    if (workflowId === current) emit();
  }

  function synced(e, messages) {
    for (const m of messages) if (e.synced === null || m.sequence > e.synced) e.synced = m.sequence;
  }

  function flush(workflowId) {
    if (!connected || !connection) return;
    for (const m of entry(workflowId).messages) {
      if (m.role === "user" && m.status === "pending" && !m.sentOnThisConnection) {
        const frame = m.versionOf ? { type: "edit", id: m.id, content: m.content, versionOf: m.versionOf }
          : m.sendUnder ? { type: "send", id: m.id, content: m.content, parentId: m.sendUnder } : { type: "send", id: m.id, content: m.content };
        if (connection.send(frame)) m.sentOnThisConnection = true;
      }
    }
  }

  function handle(workflowId, frame) {
    const e = entry(workflowId);
    switch (frame.type) {
      case "history": {
        if (frame.after !== null && frame.after !== undefined && e.loaded) {
          // A reconnect that resumed after our last sequence: merge; what we already had (older pages too) stays.
          const resent = new Set(frame.messages.map(m => m.id));
          for (const m of withVersions(frame.messages, frame.siblings)) upsert(e, { ...m, status: m.reply });
          e.messages = e.messages.filter(m => m.status !== "streaming" || resent.has(m.id)); // a reply the frame does not carry is gone
        } else {
          const server = withVersions(frame.messages, frame.siblings);
          const known = new Set(server.map(m => m.id));
          const local = e.messages.filter(m => m.status !== "saved" && m.status !== "streaming" && !known.has(m.id));
          e.messages = server.concat(local);
          e.hasOlder = frame.hasOlder;
          e.olderCursor = frame.olderCursor;
          e.synced = null;
        }
        synced(e, frame.messages);
        e.branches = frame.branches === true;
        e.loaded = true;
        e.loading = false;
        e.source = "server";
        flush(workflowId);
        break;
      }
      case "saved": {
        const m = e.messages.find(x => x.id === frame.id);
        if (m) Object.assign(m, { status: "saved", sequence: frame.sequence, createdAt: frame.createdAt, error: null, parentId: frame.parentId ?? m.parentId ?? null });
        persist(workflowId);
        break;
      }
      case "message":
        upsert(e, frame.message);
        synced(e, [frame.message]);
        break;
      case "snapshot": {
        // The session was cleared or deleted (here or elsewhere): the server's newest page replaces the saved messages,
        // except ones saved here after the server read it (sequence above `through`); unsaved local ones stay.
        const known = new Set(frame.messages.map(m => m.id));
        const keep = e.messages.filter(m => !known.has(m.id) && (!stored(m) || (frame.through !== null && m.sequence > frame.through)));
        for (const m of keep) delete m.sendUnder; // what they followed may be gone with the clear
        e.messages = [];
        for (const m of withVersions(frame.messages, frame.siblings)) upsert(e, { ...m, status: m.reply });
        for (const m of keep) if (stored(m)) upsert(e, { ...m, status: m.reply ?? "complete" }); else e.messages.push(m);
        e.hasOlder = frame.hasOlder;
        e.olderCursor = frame.olderCursor;
        e.synced = null;
        synced(e, frame.messages);
        break;
      }
      case "favorite": {
        const m = e.messages.find(x => x.id === frame.id);
        if (m) m.isFavorite = frame.isFavorite;
        break;
      }
      case "assistant.start":
        // The stored streaming row (or, for a reply that already exists, its state now).
        upsert(e, frame.message);
        synced(e, [frame.message]);
        break;
      case "assistant.delta": {
        const m = e.messages.find(x => x.id === frame.id);
        if (m && m.status === "streaming") grow(workflowId, m, frame.offset ?? m.content.length, frame.text);
        break;
      }
      case "reply.grew": {
        const m = e.messages.find(x => x.id === frame.id);
        if (m && m.status === "streaming" && frame.length > m.content.length) catchUp(workflowId, m.id);
        break;
      }
      case "assistant.end":
      case "assistant.saved":
        upsert(e, frame.message);
        synced(e, [frame.message]);
        break;
      case "path":
        if (Array.isArray(frame.messages)) applyPath(e, frame);
        break;
      case "stopping": {
        const m = e.messages.find(x => x.id === frame.id);
        if (m && m.status === "streaming") m.stopping = true;
        break;
      }
      case "error": {
        const m = frame.id ? e.messages.find(x => x.id === frame.id) : null;
        if (m) Object.assign(m, { status: "failed", error: frame.message });
        else e.error = frame.message;
        if (m && frame.code === "not_found") delete m.sendUnder; // the message it followed is gone: Retry continues the chat
        break;
      }
      default:
        return;
    }
    watchLeases(workflowId);
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

    // The composer's unsent text for the current workflow, kept in storage until it is sent.
    setDraft(text) {
      if (!current) return;
      entry(current).draft = text;
      persist(current);
    },

    send(text) {
      const content = text.trim();
      if (!current || content.length === 0) return null;
      const message = { id: newId(), role: "user", content, status: "pending", createdAt: new Date().toISOString() };
      const e = entry(current);
      // On a store with versions the message follows the answer this tab shows last (the server appends under it): a tab
      // that still shows another version writes on that one. Not when an earlier message is unsent or the last question's
      // answer has not shown up yet (else it would fork from the answer), nor when offline (written offline, it joins the
      // end of the conversation as it is when it reconnects): then it continues the active path, as it always did.
      const last = e.messages[e.messages.length - 1];
      if (connected && e.branches && last && last.role === "assistant" && stored(last) && e.messages.every(m => stored(m))) message.sendUnder = last.id;
      e.messages.push(message);
      e.draft = "";
      persist(current); // the draft becomes an unacknowledged message, kept until "saved"
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

    // Stops a streaming reply, wherever it is generated (through the socket, or the API when it is down).
    stop(messageId) {
      const m = entry(current).messages.find(x => x.id === messageId);
      if (!m || m.status !== "streaming") return;
      m.stopping = true;
      if (!(connected && connection && connection.send({ type: "stop", messageId }))) api.stop?.(messageId).catch(() => { m.stopping = false; emit(); });
      emit();
    },

    // Asks for a new answer after a stopped or interrupted reply: a new reply appended after it, answering the conversation
    // as it stands (its question is the last one asked). Returns the new reply's id, or null when offline.
    retryReply(messageId) {
      const m = entry(current).messages.find(x => x.id === messageId);
      if (!m || (m.reply !== "stopped" && m.reply !== "interrupted") || !connected || !connection) return null;
      const id = newId();
      return connection.send({ type: "retry", id, messageId }) ? id : null;
    },

    // Edits a question: a new version under the same parent, answered like a sent message. The old question and everything
    // after it leave the screen at once (they stay stored: ‹ 1 / 2 › brings them back). Returns the new version's id.
    edit(messageId, text) {
      const content = text.trim();
      const e = current ? entry(current) : null;
      const old = e?.messages.find(x => x.id === messageId);
      if (!old || old.role !== "user" || old.status !== "saved" || content.length === 0) return null;
      const message = { id: newId(), role: "user", content, status: "pending", createdAt: new Date().toISOString(), versionOf: messageId, parentId: old.parentId ?? null };
      e.messages = e.messages.filter(m => !(stored(m) && m.sequence >= old.sequence) && m.id !== messageId);
      e.messages.push(message);
      persist(current);
      flush(current);
      emit();
      return message.id;
    },

    // Asks for another answer to the question an answer replies to: a new assistant version beside it (the old one stays).
    // Returns the new reply's id, or null when offline or the message is not an ended answer.
    regenerate(messageId) {
      const e = current ? entry(current) : null;
      const old = e?.messages.find(x => x.id === messageId);
      if (!old || old.role !== "assistant" || old.status !== "saved" || !old.parentId || !connected || !connection) return null;
      const id = newId();
      if (!connection.send({ type: "regenerate", id, questionId: old.parentId })) return null;
      e.messages = e.messages.filter(m => !(stored(m) && m.sequence >= old.sequence));
      emit();
      return id;
    },

    // Shows version `index` (0-based) of a message; the path frame that follows updates every tab. False when offline.
    switchVersion(messageId, index) {
      if (!connected || !connection) return false;
      return connection.send({ type: "switch", messageId, index });
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
        e.messages = withVersions(page.messages.filter(m => !known.has(m.id)), page.siblings).concat(e.messages);
        e.hasOlder = page.hasOlder;
        e.olderCursor = page.olderCursor;
      } finally {
        e.loading = false;
        if (workflowId === current) emit();
      }
    },

    // Clearing happens only here, when the user asks — never as a side effect of switching workflows.
    clear() { return empty(current, api.clear, () => false); },

    // Deletes the workflow's session (its next message starts a new one); other tabs get a snapshot from the server.
    remove() { return empty(current, api.remove, m => m.status === "pending"); },

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
      for (const f of following.values()) clearTimeout(f.timer);
      if (connection) connection.close();
      listeners.clear();
    },
  };
}
