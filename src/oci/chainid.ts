import { sha256Digest, type Digest } from "./digest.ts";

/** ChainID(L0) = DiffID(L0); ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln)). */
export async function chainIds(diffIds: readonly Digest[]): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const d of diffIds) {
    out.push(await chainIdOf(out.at(-1) ?? null, d));
  }
  return out;
}

/** The chain ID of a layer with diff ID `diffId` on top of the chain `parent` (null: the bottom layer). */
export async function chainIdOf(parent: Digest | null, diffId: Digest): Promise<Digest> {
  return parent ? sha256Digest(`${parent} ${diffId}`) : diffId;
}
