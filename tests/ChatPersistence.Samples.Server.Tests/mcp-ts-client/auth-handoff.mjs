// The official MCP TypeScript SDK's sign-in, run against the chat server's /mcp up to the hand-off to the authorization
// server: connect without a token, follow the 401's resource_metadata to the Protected Resource Metadata, discover the
// authorization server's metadata, and build the authorization request (PKCE, resource indicator) a browser would open.
// Usage: node auth-handoff.mjs <mcp url>. Prints one JSON line: { redirect, error, discovery }.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

const mcpUrl = new URL(process.argv[2]);
let redirect = null;
let discovery = null;
let client = { client_id: "chat-tests" }; // pre-registered at the authorization server
let verifier = null;

const provider = {
  get redirectUrl() { return "http://127.0.0.1:33418/callback"; },
  get clientMetadata() {
    return { client_name: "chat-tests", redirect_uris: ["http://127.0.0.1:33418/callback"], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "none" };
  },
  clientInformation: () => client,
  saveClientInformation: (information) => { client = information; },
  tokens: () => undefined,
  saveTokens: () => {},
  redirectToAuthorization: (url) => { redirect = url.href; },
  saveCodeVerifier: (value) => { verifier = value; },
  codeVerifier: () => verifier,
  saveDiscoveryState: (state) => { discovery = state; },
  discoveryState: () => discovery ?? undefined,
};

let error = null;
try {
  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
  await new Client({ name: "chat-tests", version: "1.0.0" }).connect(transport);
  error = "connected without signing in";
} catch (e) {
  error = e instanceof UnauthorizedError ? "unauthorized (redirect issued)" : String(e?.stack ?? e);
}

console.log(JSON.stringify({ redirect, error, discovery }));
