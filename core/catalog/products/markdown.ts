import MarkdownIt from "markdown-it";

/** Links and images may only point here: no javascript:, vbscript:, data: or file: URLs, however they are spelled. */
const SAFE_LINK = /^(?:https?:|mailto:)/i;
const SAFE_IMAGE = /^https?:/i;
const LINK_REL = "nofollow ugc noopener";

/**
 * Sellers write Markdown; buyers see its HTML. Raw HTML is never passed through (html: false shows
 * it as text), so the only markup is what markdown-it itself emits, and the only URLs are ones the
 * allow-list above accepted.
 */
const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false });

// markdown-it hands validateLink the URL before entity decoding and normalisation, so an allow-list on its
// start is the safe check: "java&#x73;cript:" or " javascript:" start with neither protocol and are refused
markdown.validateLink = (url) => SAFE_LINK.test(url.trim());

const renderLinkOpen = markdown.renderer.rules.link_open ?? ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
markdown.renderer.rules.link_open = (tokens, index, options, env, self) => {
  tokens[index]?.attrSet("rel", LINK_REL);
  return renderLinkOpen(tokens, index, options, env, self);
};

const renderImage = markdown.renderer.rules.image;
markdown.renderer.rules.image = (tokens, index, options, env, self) => {
  const token = tokens[index];
  // images load without a click: only from http(s), never a mailto: or anything validateLink let through for links
  if (!token || !SAFE_IMAGE.test(token.attrGet("src") ?? "")) return markdown.utils.escapeHtml(token?.content ?? "");
  token.attrSet("loading", "lazy");
  token.attrSet("referrerpolicy", "no-referrer");
  return renderImage ? renderImage(tokens, index, options, env, self) : self.renderToken(tokens, index, options);
};

/** A product description as sanitised HTML: what the storefront and the seller's preview show. */
export function renderDescription(source: string): string {
  return markdown.render(source);
}
