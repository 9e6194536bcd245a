/**
 * The JavaScript decoders compression.ts imports on first use (not with the page): only the classes
 * it uses, so a bundle keeps no more of each package than a static import would.
 */
export { Gunzip } from "fflate";
export { Decompress as ZstdDecompress } from "fzstd";
export { Inflate as PakoInflate } from "pako";
