import { createChatClient } from "./chat-state.js";
import { createApi, createSocketConnector } from "./transport.js";
import { renderMessages, renderSearch } from "./chat-dom.js";

const $ = id => document.getElementById(id);
let token = sessionStorage.getItem("chat-token");

async function signIn(name) {
  const response = await fetch("/dev/token", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name }) });
  if (!response.ok) throw new Error("Sign-in failed: this server does not issue development tokens (configure Supabase auth).");
  token = (await response.json()).token;
  sessionStorage.setItem("chat-token", token);
}

async function start() {
  // A stored token may be from an earlier run (development tokens die with the server process): check it first.
  if (token && (await fetch("/api/me", { headers: { Authorization: `Bearer ${token}` } })).status === 401) token = null;
  if (!token) {
    const name = new URLSearchParams(location.search).get("user") || "demo";
    await signIn(name);
  }
  // The token of every call and (re)connect. A host page that signs users in itself sets window.chatGetToken to return its
  // current token (e.g. async () => (await supabase.auth.getSession()).data.session?.access_token): a socket closed at the
  // token's expiry (code 4401) then reconnects with the refreshed one.
  const getToken = async () => {
    if (typeof window.chatGetToken === "function") token = await window.chatGetToken();
    return token;
  };
  const api = createApi(getToken);
  // Unsent drafts and unacknowledged messages survive a reload, per user and workflow, in localStorage.
  const me = await (await fetch("/api/me", { headers: { Authorization: `Bearer ${await getToken()}` } })).json();
  const chat = createChatClient({ api, connect: createSocketConnector(getToken), storage: localStorage, storageKey: workflowId => `chat-drafts:${me.userId}:${workflowId}` });
  const actions = { loadOlder: () => chat.loadOlder(), retry: id => chat.retry(id), toggleFavorite: id => chat.toggleFavorite(id).catch(showError),
    stop: id => chat.stop(id), retryReply: id => chat.retryReply(id),
    switchVersion: (id, index) => chat.switchVersion(id, index), regenerate: id => chat.regenerate(id),
    edit: m => startEditing(m) };
  // Editing a question happens in the composer: its text is put there, and Send writes a new version of it.
  let editing = null;
  const startEditing = m => {
    editing = m.id;
    $("text").value = m.content;
    $("editing").hidden = false;
    $("send").textContent = "Save and resend";
    $("text").focus();
  };
  const stopEditing = () => {
    editing = null;
    $("editing").hidden = true;
    $("send").textContent = "Send";
  };
  $("cancel-edit").addEventListener("click", () => { stopEditing(); $("text").value = chat.getState().draft; });
  let shownWorkflow = null;
  chat.subscribe(state => {
    if (state.workflowId !== shownWorkflow) {
      shownWorkflow = state.workflowId;
      if (editing) stopEditing();
      $("text").value = state.draft; // the draft kept for this workflow (across reloads too)
    }
    renderMessages($("messages"), state, actions);
    $("loading").hidden = !(state.loading && !state.loaded);
    $("connection").textContent = state.connected ? "connected"
      : state.disconnectReason === "signed_out" ? "signed out: sign in again (unsent messages are kept)"
      : state.disconnectReason === "refused" ? "cannot connect: too many open tabs? close one (unsent messages are kept)"
      : "reconnecting…";
    $("connection").dataset.connected = state.connected;
  });

  const select = $("workflow");
  const choose = () => {
    const workflowId = select.value;
    history.replaceState(null, "", `?workflow=${encodeURIComponent(workflowId)}`);
    $("export").querySelectorAll("a").forEach(a => { a.href = api.exportUrl(workflowId, a.dataset.format); });
    chat.selectWorkflow(workflowId);
  };
  select.addEventListener("change", choose);
  const initial = new URLSearchParams(location.search).get("workflow");
  if (initial && [...select.options].some(o => o.value === initial)) select.value = initial;
  choose();

  $("text").addEventListener("input", () => { if (!editing) chat.setDraft($("text").value); });
  $("composer").addEventListener("submit", event => {
    event.preventDefault();
    if (editing) {
      if (chat.edit(editing, $("text").value)) {
        stopEditing();
        $("text").value = chat.getState().draft; // the draft written before the pencil was pressed comes back
      }
      return;
    }
    if (chat.send($("text").value)) $("text").value = "";
  });
  $("clear").addEventListener("click", async () => {
    if (confirm(`Clear the chat of workflow "${select.value}"? This deletes its messages.`)) await chat.clear().catch(showError);
  });
  $("delete").addEventListener("click", async () => {
    if (confirm(`Delete the chat of workflow "${select.value}"? This deletes the session and its messages.`)) await chat.remove().catch(showError);
  });
  $("messages").addEventListener("scroll", () => { if ($("messages").scrollTop === 0) chat.loadOlder().catch(showError); });
  $("search").addEventListener("submit", async event => {
    event.preventDefault();
    const query = $("query").value.trim();
    if (query) renderSearch($("results"), (await chat.search(query).catch(showError))?.items ?? []);
  });
  // Export links need the token: download with fetch, then save the blob.
  $("export").addEventListener("click", async event => {
    const link = event.target.closest("a");
    if (!link) return;
    event.preventDefault();
    const response = await fetch(link.href, { headers: { Authorization: `Bearer ${token}` } });
    const url = URL.createObjectURL(await response.blob());
    Object.assign(document.createElement("a"), { href: url, download: `${select.value}.${link.dataset.format}` }).click();
    URL.revokeObjectURL(url);
  });
}

function showError(error) {
  $("error").textContent = error?.message ?? String(error);
}

start().catch(showError);
