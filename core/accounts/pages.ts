import { Type } from "@sinclair/typebox";
import { plugin } from "../http/plugin.ts";

/**
 * The two pages emailed links open: confirm an email, choose a new password. Tiny on purpose
 * (the storefront will restyle them); each is one static document whose script posts the token
 * from the URL to the API. Nothing acts on page load, so a mail scanner that prefetches the
 * link uses nothing up.
 */
const PAGES = {
  "/account/verify-email": page(
    "Confirm your email",
    `<p>Confirm the email address of your Bazaar account.</p>
<form id="form"><button type="submit">Confirm my email</button></form>`,
    `form.onsubmit = async (e) => {
  e.preventDefault();
  const res = await fetch("/v1/auth/verify-email", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }) });
  show(res.ok ? "Your email address is confirmed. You can close this page." : (await res.json()).detail);
};`,
  ),
  "/account/reset-password": page(
    "Choose a new password",
    `<form id="form">
<label>New password <input name="password" type="password" autocomplete="new-password" minlength="10" maxlength="128" required></label>
<label>Repeat it <input name="repeat" type="password" autocomplete="new-password" required></label>
<button type="submit">Set password</button></form>`,
    `form.onsubmit = async (e) => {
  e.preventDefault();
  const { password, repeat } = Object.fromEntries(new FormData(form));
  if (password !== repeat) return show("The two passwords differ.");
  const res = await fetch("/v1/auth/password-reset/confirm", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token, password }) });
  show(res.ok ? "Your password is changed and every device was signed out. Sign in with the new one." : (await res.json()).detail);
};`,
  ),
};

export function accountPages() {
  let app = plugin("accounts/pages");
  for (const [path, { html, csp }] of Object.entries(PAGES)) {
    app = app.get(
      path,
      ({ set }) => {
        set.headers["content-type"] = "text/html; charset=utf-8";
        set.headers["content-security-policy"] = csp;
        // the token is in the URL: never send it on to anyone as a Referer
        set.headers["referrer-policy"] = "no-referrer";
        set.headers["cache-control"] = "no-store";
        set.headers["x-frame-options"] = "DENY";
        return html;
      },
      {
        response: { 200: Type.String({ description: "HTML page", example: "<!doctype html>…" }) },
        detail: {
          operationId: `page${path.replace(/[^a-z]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
          tags: ["auth"],
          summary: `The page a ${path} link opens`,
        },
      },
    ) as typeof app;
  }
  return app;
}

function page(title: string, body: string, script: string): { html: string; csp: string } {
  const code = `const form = document.getElementById("form");
const token = new URLSearchParams(location.search).get("token") ?? "";
const show = (text) => { document.getElementById("result").textContent = text; };
${script}`;
  const hash = new Bun.CryptoHasher("sha256").update(code).digest("base64");
  return {
    html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · Bazaar</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.8rem 0}input{display:block;width:100%;padding:.4rem}button{margin-top:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${title}</h1>${body}<p id="result" role="status"></p><script>${code}</script></body></html>`,
    // only this exact script may run, and it may only talk to our own origin
    csp: `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`,
  };
}
