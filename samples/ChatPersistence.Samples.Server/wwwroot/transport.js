// HTTP API and WebSocket connector for chat-state.js. The token goes in the Authorization header for HTTP and in the
// access_token query parameter for the WebSocket (browsers cannot set headers on a WebSocket).

export function createApi(getToken) {
  async function call(method, path) {
    const response = await fetch(path, { method, headers: { Authorization: `Bearer ${await getToken()}` } });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new Error(problem.detail || problem.title || `HTTP ${response.status}`);
    }
    return response.status === 204 ? null : response.json();
  }

  return {
    history: (workflowId, before, limit) =>
      call("GET", `/api/workflows/${encodeURIComponent(workflowId)}/messages?limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ""}`),
    clear: workflowId => call("DELETE", `/api/workflows/${encodeURIComponent(workflowId)}/messages`),
    remove: workflowId => call("DELETE", `/api/workflows/${encodeURIComponent(workflowId)}`),
    search: (query, workflowId) =>
      call("GET", `/api/search?q=${encodeURIComponent(query)}${workflowId ? `&workflowId=${encodeURIComponent(workflowId)}` : ""}`),
    favorite: (messageId, on) => call(on ? "PUT" : "DELETE", `/api/messages/${messageId}/favorite`),
    // A reply's text after `offset` (what the tab already shows), with its length, status, reason and lease.
    replyText: (messageId, offset) => call("GET", `/api/messages/${messageId}/text?offset=${offset}`),
    stop: messageId => call("POST", `/api/messages/${messageId}/stop`),
    exportUrl: (workflowId, format) => `/api/workflows/${encodeURIComponent(workflowId)}/export/${format}`,
  };
}

// The server closes a socket with this code when the token that opened it expires: reconnect with a fresh token.
export const TOKEN_EXPIRED = 4401;

export function createSocketConnector(getToken) {
  // after: the last sequence the client has for the workflow (a reconnect), so the server sends only what follows it.
  // getToken is asked on every (re)connect and may be async: a host fills it with its sign-in's current token, e.g.
  // async () => (await supabase.auth.getSession()).data.session?.access_token (supabase-js refreshes it).
  return (workflowId, { onOpen, onFrame, onClose }, { after = null } = {}) => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const resume = after === null || after === undefined ? "" : `&after=${after}`;
    let socket = null;
    let closedByUs = false;
    Promise.resolve(getToken()).then(token => {
      if (closedByUs) return;
      socket = new WebSocket(`${scheme}://${location.host}/ws/chat?workflowId=${encodeURIComponent(workflowId)}${resume}&access_token=${encodeURIComponent(token ?? "")}`);
      let opened = false;
      socket.onopen = () => { opened = true; onOpen(); };
      socket.onmessage = event => onFrame(JSON.parse(event.data));
      socket.onclose = async event => {
        if (closedByUs) return;
        if (opened) {
          onClose({ code: event.code, reason: event.code === TOKEN_EXPIRED ? "token_expired" : null });
          return;
        }
        // A refused upgrade looks like a plain drop to a page (no status): ask the API whether the token is still good.
        const me = await fetch("/api/me", { headers: { Authorization: `Bearer ${token ?? ""}` } }).catch(() => null);
        if (!closedByUs) onClose({ code: event.code, reason: me === null ? null : me.status === 401 ? "signed_out" : me.ok ? "refused" : null });
      };
    }, () => { if (!closedByUs) onClose({ code: TOKEN_EXPIRED, reason: "signed_out" }); });
    return {
      send(frame) {
        if (!socket || socket.readyState !== WebSocket.OPEN) return false;
        socket.send(JSON.stringify(frame));
        return true;
      },
      close() { closedByUs = true; socket?.close(); },
    };
  };
}
