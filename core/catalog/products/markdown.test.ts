import { describe, expect, test } from "bun:test";
import { renderDescription } from "./markdown.ts";

/** What must never appear in rendered HTML, however the input spells it. */
function expectInert(html: string) {
  expect(html).not.toMatch(/<script/i);
  // attribute names only (quoted values, where escaped text may say anything, removed): no event handlers
  for (const tag of html.match(/<[a-z][^>]*>/gi) ?? []) expect(tag.replace(/="[^"]*"/g, "")).not.toMatch(/\son\w+/i);
  expect(html).not.toMatch(/<iframe|<svg|<object|<embed|<style|<form/i);
  expect(html).not.toMatch(/href\s*=\s*"\s*(?:javascript|vbscript|data|file):/i);
  expect(html).not.toMatch(/src\s*=\s*"\s*(?:javascript|vbscript|data|file):/i);
}

describe("renderDescription", () => {
  test("Markdown becomes HTML", () => {
    expect(renderDescription("**Soft** _organic_ cotton.\n\n- washable\n- durable")).toBe(
      "<p><strong>Soft</strong> <em>organic</em> cotton.</p>\n<ul>\n<li>washable</li>\n<li>durable</li>\n</ul>\n",
    );
  });

  const attacks: [string, string][] = [
    ["a script tag", "<script>alert(1)</script>"],
    ["a script tag inside Markdown", "**bold** <script src=https://evil.example/x.js></script>"],
    ["a javascript: link", "[x](javascript:alert(1))"],
    ["a javascript: link in mixed case", "[x](JaVaScRiPt:alert(1))"],
    ["a javascript: link behind spaces and entities", "[x]( java&#x73;cript:alert(1))"],
    ["a javascript: autolink", "<javascript:alert(1)>"],
    ["a vbscript: link", "[x](vbscript:msgbox(1))"],
    ["a data: link", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"],
    ["a data: image", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"],
    ["a javascript: image", "![x](javascript:alert(1))"],
    ["raw <img onerror>", '<img src=x onerror="alert(1)">'],
    ["raw <a href=javascript:>", '<a href="javascript:alert(1)">click</a>'],
    ["raw <iframe>", '<iframe src="https://evil.example"></iframe>'],
    ["raw <svg onload>", "<svg onload=alert(1)>"],
    ["an attribute breakout in a title", '[x](https://example.com "a\\" onmouseover=\\"alert(1)")'],
    ["an attribute breakout in an image URL", '![x](https://a.example/x.png" onerror="alert(1))'],
    ["a reference-style javascript: link", "[x][1]\n\n[1]: javascript:alert(1)"],
    ["HTML in a code block", "```\n<script>alert(1)</script>\n```"],
  ];
  for (const [name, source] of attacks) {
    test(`${name} is rendered inert`, () => expectInert(renderDescription(source)));
  }

  test("raw HTML is shown as text, not parsed", () => {
    expect(renderDescription("<script>alert(1)</script>")).toBe("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
    expect(renderDescription('<img src=x onerror="alert(1)">')).toBe("<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>\n");
  });

  test("a link to an unsafe protocol stays text", () => {
    expect(renderDescription("[x](javascript:alert(1))")).toBe("<p>[x](javascript:alert(1))</p>\n");
  });

  test('http, https and mailto links work and carry rel="nofollow ugc noopener"', () => {
    const html = renderDescription("[a](https://example.com/a) [b](http://example.com/b) [c](mailto:shop@example.com) https://bare.example.com");
    expect(html).toContain('<a href="https://example.com/a" rel="nofollow ugc noopener">a</a>');
    expect(html).toContain('<a href="http://example.com/b" rel="nofollow ugc noopener">b</a>');
    expect(html).toContain('<a href="mailto:shop@example.com" rel="nofollow ugc noopener">c</a>');
    expect(html).toContain('<a href="https://bare.example.com" rel="nofollow ugc noopener">');
    expect(html.match(/<a /g)?.length).toBe(html.match(/rel="nofollow ugc noopener"/g)?.length);
  });

  test("relative and protocol-relative links are not links", () => {
    expect(renderDescription("[x](/account) [y](//evil.example)")).not.toContain("<a ");
  });

  test("images only from http(s); mailto: and data: images become their alt text", () => {
    expect(renderDescription("![shirt](https://cdn.example/shirt.png)")).toContain('<img src="https://cdn.example/shirt.png" alt="shirt"');
    expect(renderDescription("![shirt](mailto:x@example.com)")).toBe("<p>shirt</p>\n");
    expect(renderDescription("![shirt](data:image/png;base64,iVBORw0KGgo=)")).not.toContain("<img");
  });
});
