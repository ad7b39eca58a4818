import { createHmac } from "node:crypto";

/** One HTTP request a fake provider received. */
export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  form: URLSearchParams;
}

interface PendingCode {
  challenge: string;
  redirectUri: string;
  person: string;
}

const S256 = (verifier: string) => new Bun.CryptoHasher("sha256").update(verifier).digest("base64url");
const random = (prefix: string) => `${prefix}${crypto.randomUUID().replaceAll("-", "")}`;

/**
 * Plays the provider's consent page for a test: the person approves, and the provider remembers
 * the PKCE challenge and redirect URI the code was issued for (what a real one checks at exchange).
 */
abstract class FakeProvider {
  readonly seen: Seen[] = [];
  protected readonly codes = new Map<string, PendingCode>();
  protected readonly tokens = new Map<string, string>();
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor(
    readonly clientId: string,
    readonly clientSecret: string,
  ) {
    this.server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async (request) => {
        const url = new URL(request.url);
        const form = request.method === "POST" ? new URLSearchParams(await request.text()) : new URLSearchParams();
        const seen = { method: request.method, path: url.pathname, query: url.searchParams, headers: request.headers, form };
        this.seen.push(seen);
        return this.handle(seen);
      },
    });
  }

  get base(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  /** The person approves on the provider's page: a code bound to this authorization URL's challenge. */
  approve(authorizationUrl: URL, person: string): string {
    const code = random("code_");
    this.codes.set(code, {
      challenge: authorizationUrl.searchParams.get("code_challenge") ?? "",
      redirectUri: authorizationUrl.searchParams.get("redirect_uri") ?? "",
      person,
    });
    return code;
  }

  stop(): void {
    this.server.stop(true);
  }

  /** The token request's verdict: the person the code was for, or why it is refused. */
  protected redeem(form: URLSearchParams): { person: string } | { refused: "code" | "client" } {
    if (form.get("client_id") !== this.clientId || form.get("client_secret") !== this.clientSecret) return { refused: "client" };
    const pending = this.codes.get(form.get("code") ?? "");
    this.codes.delete(form.get("code") ?? "");
    if (!pending || pending.redirectUri !== form.get("redirect_uri") || pending.challenge !== S256(form.get("code_verifier") ?? "")) return { refused: "code" };
    return { person: pending.person };
  }

  protected issueToken(prefix: string, person: string): string {
    const token = random(prefix);
    this.tokens.set(token, person);
    return token;
  }

  protected bearer(seen: Seen): string | undefined {
    const token = /^Bearer (\S+)$/i.exec(seen.headers.get("authorization") ?? "")?.[1];
    return token ? this.tokens.get(token) : undefined;
  }

  protected abstract handle(seen: Seen): Response | Promise<Response>;
}

export interface GitHubPerson {
  user: { id: number; login: string; name: string | null; email: string | null };
  emails: { email: string; primary: boolean; verified: boolean; visibility: string | null }[];
}

/** GitHub's wire format: the token endpoint answers 200 even to refuse; REST API with `/user` and `/user/emails`. */
export class FakeGitHub extends FakeProvider {
  failUser = false;

  constructor(readonly people: Record<string, GitHubPerson>) {
    super("Iv1.8a61f9b3a7aba766", "gh-secret-0123456789abcdef");
  }

  protected handle(seen: Seen): Response {
    if (seen.method === "POST" && seen.path === "/login/oauth/access_token") {
      const verdict = this.redeem(seen.form);
      if ("refused" in verdict) {
        return Response.json(
          verdict.refused === "client"
            ? { error: "incorrect_client_credentials", error_description: "The client_id and/or client_secret passed are incorrect." }
            : { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." },
        );
      }
      return Response.json({ access_token: this.issueToken("gho_", verdict.person), token_type: "bearer", scope: "read:user,user:email" });
    }
    const person = this.people[this.bearer(seen) ?? ""];
    if (!person) return Response.json({ message: "Bad credentials", documentation_url: "https://docs.github.com/rest" }, { status: 401 });
    if (seen.path === "/user") return this.failUser ? new Response("oops", { status: 500 }) : Response.json(person.user);
    if (seen.path === "/user/emails") return Response.json(person.emails);
    return Response.json({ message: "Not Found" }, { status: 404 });
  }
}

export interface FacebookPerson {
  id: string;
  name: string;
  email?: string;
}

const graphError = (message: string, code: number, status = 400) =>
  Response.json({ error: { message, type: "OAuthException", code, fbtrace_id: "AbCdEf123" } }, { status });

/** Facebook's wire format: Graph error objects, `/me?fields=…` with `appsecret_proof`. */
export class FakeFacebook extends FakeProvider {
  constructor(readonly people: Record<string, FacebookPerson>) {
    super("1234567890123456", "fb-app-secret-0123456789abcdef");
  }

  protected handle(seen: Seen): Response {
    if (seen.method === "POST" && seen.path === "/v23.0/oauth/access_token") {
      const verdict = this.redeem(seen.form);
      if ("refused" in verdict) {
        return verdict.refused === "client" ? graphError("Error validating client secret.", 1) : graphError("This authorization code has been used.", 100);
      }
      return Response.json({ access_token: this.issueToken("EAAB", verdict.person), token_type: "bearer", expires_in: 5183944 });
    }
    if (seen.path === "/v23.0/me") {
      const token = /^Bearer (\S+)$/i.exec(seen.headers.get("authorization") ?? "")?.[1] ?? "";
      const person = this.people[this.bearer(seen) ?? ""];
      if (!person) return graphError("Invalid OAuth access token.", 190);
      if (seen.query.get("appsecret_proof") !== createHmac("sha256", this.clientSecret).update(token).digest("hex")) {
        return graphError("Invalid appsecret_proof provided in the API argument", 100);
      }
      const fields = (seen.query.get("fields") ?? "").split(",");
      return Response.json(Object.fromEntries(Object.entries(person).filter(([key]) => fields.includes(key))));
    }
    return graphError("Unknown path components", 2500, 404);
  }
}
