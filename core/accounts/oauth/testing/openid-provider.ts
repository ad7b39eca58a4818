import { createServer, type Server } from "node:http";
import Provider from "oidc-provider";

/** A person the test OpenID Provider knows, keyed by the login typed into its form. */
export interface TestAccount {
  email: string;
  email_verified: boolean;
  name?: string;
}

export interface TestClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface TestOpenIdProvider {
  issuer: string;
  accounts: Map<string, TestAccount>;
  /** every request the provider served, as `METHOD /path` */
  requests: string[];
  stop(): Promise<void>;
}

/**
 * A real OpenID Provider (the certified `oidc-provider`, a Koa app) on 127.0.0.1 and a free port,
 * in this process. PKCE is required of every client; login and consent are plain HTML forms the
 * test posts to, finished through the provider's interaction API. With `idTokenClaims: false`
 * (the provider's default) email claims come only from userinfo; with true, in the ID token too.
 */
export async function startOpenIdProvider(options: {
  clients: TestClient[];
  accounts: Record<string, TestAccount>;
  idTokenClaims?: boolean;
}): Promise<TestOpenIdProvider> {
  const accounts = new Map(Object.entries(options.accounts));
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the test OpenID Provider has no port");
  const issuer = `http://127.0.0.1:${address.port}`;

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({ ...c, grant_types: ["authorization_code"], response_types: ["code"] })),
    pkce: { required: () => true },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    conformIdTokenClaims: !options.idTokenClaims,
    findAccount: async (_ctx: unknown, id: string) => {
      const account = accounts.get(id);
      return account ? { accountId: id, claims: async () => ({ sub: id, ...account }) } : undefined;
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    jwks: { keys: [await signingKey()] },
    cookies: { keys: ["test-op-cookie-key-0123456789"] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
  });

  const requests: string[] = [];
  server.on("request", (request) => requests.push(`${request.method} ${new URL(request.url ?? "/", issuer).pathname}`));
  provider.use(async (ctx, next) => {
    const match = /^\/interaction\/([\w-]+)$/.exec(ctx.path);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === "GET") {
      ctx.type = "html";
      ctx.body = `<form method="post" action="/interaction/${details.uid}" data-prompt="${details.prompt.name}"><input name="login"><button>Continue</button></form>`;
      return;
    }
    if (details.prompt.name === "login") {
      const login = new URLSearchParams(await readBody(ctx.req)).get("login") ?? "";
      if (!accounts.has(login)) {
        ctx.status = 400;
        ctx.body = "unknown login";
        return;
      }
      await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId: details.session?.accountId ?? "", clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  });
  server.on("request", provider.callback());

  return {
    issuer,
    accounts,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(request: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => resolve(body));
    request.on("error", reject);
  });
}

async function signingKey(): Promise<Record<string, unknown>> {
  const pair = await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  );
  const { key_ops: _ops, ext: _ext, ...jwk } = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return jwk;
}
