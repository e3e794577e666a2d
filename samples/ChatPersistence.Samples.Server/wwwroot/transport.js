// HTTP API and WebSocket connector for chat-state.js. The token goes in the Authorization header for HTTP and in the
// access_token query parameter for the WebSocket (browsers cannot set headers on a WebSocket).

export function createApi(getToken) {
  async function call(method, path) {
    const response = await fetch(path, { method, headers: { Authorization: `Bearer ${getToken()}` } });
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
    exportUrl: (workflowId, format) => `/api/workflows/${encodeURIComponent(workflowId)}/export/${format}`,
  };
}

export function createSocketConnector(getToken) {
  // after: the last sequence the client has for the workflow (a reconnect), so the server sends only what follows it.
  return (workflowId, { onOpen, onFrame, onClose }, { after = null } = {}) => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const resume = after === null || after === undefined ? "" : `&after=${after}`;
    const socket = new WebSocket(`${scheme}://${location.host}/ws/chat?workflowId=${encodeURIComponent(workflowId)}${resume}&access_token=${encodeURIComponent(getToken())}`);
    let closedByUs = false;
    socket.onopen = () => onOpen();
    socket.onmessage = event => onFrame(JSON.parse(event.data));
    socket.onclose = () => { if (!closedByUs) onClose(); };
    return {
      send(frame) {
        if (socket.readyState !== WebSocket.OPEN) return false;
        socket.send(JSON.stringify(frame));
        return true;
      },
      close() { closedByUs = true; socket.close(); },
    };
  };
}
