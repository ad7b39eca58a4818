export { IMAGE_MEDIA_TYPES, type ImageLimits, type ImageMediaType, type InspectedImage, inspectImage, isImageType, sniffImageType } from "./image.ts";
export { LocalFileStore } from "./local.ts";
export { S3FileStore, type S3FileStoreOptions } from "./s3.ts";
export type { FileStore, StoredFile } from "./store.ts";
