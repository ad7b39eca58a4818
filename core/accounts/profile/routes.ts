import {
  AddressIdParams,
  AddressList,
  AddressView,
  AVATAR_MAX_BYTES,
  AVATAR_MAX_FRAMES,
  AVATAR_MAX_SIDE,
  AVATAR_MEDIA_TYPES,
  AvatarQuery,
  CreateAddressBody,
  DeleteAccountBody,
  MAX_ADDRESSES_PER_USER,
  UpdateAddressBody,
  UpdateProfileBody,
  UserIdParams,
  UserView,
} from "@bazaar/contracts";
import { authentication } from "../../http/authentication.ts";
import { plugin } from "../../http/plugin.ts";
import { problemDoc, problems } from "../../http/problems.ts";
import { readBodyCapped } from "../../http/read-body.ts";
import { requestContext } from "../../http/request-context.ts";
import type { Deps } from "../../platform/deps.ts";
import type { PasswordHasher } from "../password.ts";
import type { Throttle } from "../throttle.ts";
import { createProfileService } from "./service.ts";

const TAGS = ["profile"];

/**
 * Served as an image and nothing else: no sniffing it into a page, and if a browser ever renders
 * it as a document, a sandbox with no sources at all.
 */
const AVATAR_HEADERS = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; sandbox",
  "cross-origin-resource-policy": "cross-origin",
};
/** A versioned URL names one file forever (a new avatar gets a new key); an unversioned one may change any time. */
const CACHE_IMMUTABLE = "public, max-age=31536000, immutable";
const CACHE_CURRENT = "public, max-age=300";

const BINARY = { type: "string" as const, format: "binary" };
const IMAGE_CONTENT = Object.fromEntries(AVATAR_MEDIA_TYPES.map((type) => [type, { schema: BINARY }]));

export function profileRoutes(deps: Deps, services: { throttle: Throttle; hasher: PasswordHasher }) {
  const profile = createProfileService({ files: deps.files, ...services });
  return plugin("accounts/profile-routes")
    .use(requestContext(deps))
    .use(authentication(deps))
    .patch("/v1/me", ({ ctx, actor, body }) => profile.updateProfile(ctx, actor, body), {
      auth: true,
      body: UpdateProfileBody,
      response: { 200: UserView, ...problems(400, 401, 403, 413, 415, 422) },
      detail: {
        operationId: "updateProfile",
        tags: TAGS,
        summary: "Change the name, interface language or display currency",
        description: "Send only the fields to change. `locale` is one of the supported BCP 47 tags, `currency` one of the supported ISO 4217 codes.",
      },
    })
    .delete(
      "/v1/me",
      async ({ ctx, actor, body, set }) => {
        await profile.deleteAccount(ctx, actor, body);
        set.status = 204;
      },
      {
        auth: true,
        parse: "json",
        body: DeleteAccountBody,
        response: problems(400, 401, 403, 413, 415, 422, 429),
        detail: {
          operationId: "deleteAccount",
          tags: TAGS,
          summary: "Delete the account: personal data is erased, every session ends",
          description:
            "Needs `password` when the account has one; an account without a password sends `confirm: \"delete my account\"` from a sign-in less than 10 minutes old. The email address can register again at once. Orders and other records are kept under the account's id, without the person's name, email or addresses.",
        },
      },
    )
    .put(
      "/v1/me/avatar",
      async ({ ctx, actor, request }) =>
        profile.setAvatar(ctx, actor, { bytes: await readBodyCapped(request, AVATAR_MAX_BYTES), contentType: request.headers.get("content-type") ?? "" }),
      {
        auth: true,
        // the raw image: read (and size-capped) by readBodyCapped, never parsed by Elysia
        parse: "none",
        response: { 200: UserView, ...problems(401, 403, 413, 415, 422) },
        detail: {
          operationId: "setAvatar",
          tags: TAGS,
          summary: "Upload a new avatar (the raw image as the body)",
          description: `PNG, JPEG, WebP or GIF, at most ${AVATAR_MAX_BYTES / 1024 / 1024} MiB, ${AVATAR_MAX_SIDE}×${AVATAR_MAX_SIDE} pixels and ${AVATAR_MAX_FRAMES} frames. The bytes must be of the declared Content-Type (415 otherwise); files carrying markup are refused (422). Metadata such as EXIF is removed before storing. The previous avatar is deleted.`,
          requestBody: { required: true, description: "the image file's bytes", content: IMAGE_CONTENT },
        },
      },
    )
    .delete(
      "/v1/me/avatar",
      async ({ ctx, actor, set }) => {
        await profile.removeAvatar(ctx, actor);
        set.status = 204;
      },
      {
        auth: true,
        response: problems(401, 403),
        detail: { operationId: "removeAvatar", tags: TAGS, summary: "Remove the avatar" },
      },
    )
    .get(
      "/v1/users/:id/avatar",
      async ({ ctx, params, query, request }) => {
        const avatar = await profile.getAvatar(ctx, params.id);
        const headers = {
          ...AVATAR_HEADERS,
          "content-type": avatar.contentType,
          "cache-control": query.v === avatar.version ? CACHE_IMMUTABLE : CACHE_CURRENT,
          etag: avatar.etag,
        };
        if (request.headers.get("if-none-match") === avatar.etag) return new Response(null, { status: 304, headers });
        return new Response(avatar.bytes, { headers });
      },
      {
        params: UserIdParams,
        query: AvatarQuery,
        detail: {
          operationId: "getAvatar",
          tags: TAGS,
          summary: "A user's avatar image (public)",
          description: "Link to UserView.avatarUrl: with its `?v=` the response is cacheable for a year.",
          responses: {
            200: {
              description: "the image, as uploaded minus its metadata",
              headers: {
                "cache-control": { description: "immutable for a year with the current `?v=`, five minutes otherwise", schema: { type: "string" } },
                etag: { schema: { type: "string" } },
              },
              content: IMAGE_CONTENT,
            },
            304: { description: "If-None-Match matched: the cached copy is current" },
            404: problemDoc("no such user, or the user has no avatar"),
            422: problemDoc("the id or the version is malformed"),
          },
        },
      },
    )
    .group("/v1/me/addresses", (app) =>
      app
        .get("", ({ ctx, actor }) => profile.listAddresses(ctx, actor), {
          auth: true,
          response: { 200: AddressList, ...problems(401, 403) },
          detail: { operationId: "listAddresses", tags: TAGS, summary: `The address book (at most ${MAX_ADDRESSES_PER_USER}, oldest first)` },
        })
        .post(
          "",
          async ({ ctx, actor, body, set }) => {
            set.status = 201;
            return profile.createAddress(ctx, actor, body);
          },
          {
            auth: true,
            body: CreateAddressBody,
            response: { 201: AddressView, ...problems(400, 401, 403, 409, 413, 415, 422) },
            detail: {
              operationId: "createAddress",
              tags: TAGS,
              summary: "Add an address",
              description: `At most ${MAX_ADDRESSES_PER_USER} per account (409 beyond). \`country\` is ISO 3166-1 alpha-2; \`phone\` is international (+ and 7 to 15 digits) and stored as E.164. \`isDefaultShipping\` / \`isDefaultBilling\` make it the default, replacing the previous one.`,
            },
          },
        )
        .get("/:id", ({ ctx, actor, params }) => profile.getAddress(ctx, actor, params.id), {
          auth: true,
          params: AddressIdParams,
          response: { 200: AddressView, ...problems(401, 403, 404, 422) },
          detail: { operationId: "getAddress", tags: TAGS, summary: "One address" },
        })
        .patch("/:id", ({ ctx, actor, params, body }) => profile.updateAddress(ctx, actor, params.id, body), {
          auth: true,
          params: AddressIdParams,
          body: UpdateAddressBody,
          response: { 200: AddressView, ...problems(400, 401, 403, 404, 413, 415, 422) },
          detail: {
            operationId: "updateAddress",
            tags: TAGS,
            summary: "Change an address",
            description: "Send only the fields to change; `null` clears an optional one. `isDefaultShipping: false` stops it being the default.",
          },
        })
        .delete(
          "/:id",
          async ({ ctx, actor, params, set }) => {
            await profile.deleteAddress(ctx, actor, params.id);
            set.status = 204;
          },
          {
            auth: true,
            params: AddressIdParams,
            response: problems(401, 403, 404, 422),
            detail: { operationId: "deleteAddress", tags: TAGS, summary: "Delete an address (a default one stops being the default)" },
          },
        ),
    );
}
