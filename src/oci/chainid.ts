import { sha256Digest, type Digest } from "./digest.ts";

/** ChainID(L0) = DiffID(L0); ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln)). */
export async function chainIds(diffIds: readonly Digest[]): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const d of diffIds) {
    const parent = out.at(-1);
    out.push(parent ? await sha256Digest(`${parent} ${d}`) : d);
  }
  return out;
}

export async function chainId(diffIds: readonly Digest[]): Promise<Digest | undefined> {
  return (await chainIds(diffIds)).at(-1);
}
