import { AVATAR_MAX_FRAMES, AVATAR_MAX_SIDE, AVATAR_MEDIA_TYPES, type AvatarMediaType } from "@bazaar/contracts";
import type { ImageLimits } from "@bazaar/files";

/** What an avatar may be, as the shared image inspector (`@bazaar/files`) checks it. */
export const AVATAR_IMAGE_LIMITS: ImageLimits<AvatarMediaType> = { types: AVATAR_MEDIA_TYPES, maxSide: AVATAR_MAX_SIDE, maxFrames: AVATAR_MAX_FRAMES };
