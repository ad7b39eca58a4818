// The image builders live beside the shared inspector they were written for; avatar tests use them from there.
export * from "../../../packages/files/test/fixtures/images.ts";
