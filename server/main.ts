/** `npm start`: the lab (app + registry proxy) on one port. */
import { startLabServer } from "../proxy/node.ts";

const args = process.argv.slice(2);
const allow = (process.env.LAYERLAB_ALLOW_REGISTRIES ?? "").split(",").map((s) => s.trim()).filter(Boolean);
let port = Number(process.env.PORT ?? 8080);
let host = "127.0.0.1";
let dev = true;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  const value = () => {
    const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : args[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    return v;
  };
  if (a.startsWith("--port")) port = Number(value());
  else if (a.startsWith("--host")) host = value();
  else if (a.startsWith("--allow-registry")) allow.push(value());
  else if (a === "--build") dev = false;
  else {
    console.error(`unknown argument ${a}\nusage: npm start -- [--port N] [--host ADDR] [--allow-registry HOST:PORT]… [--build]`);
    process.exit(2);
  }
}
const server = await startLabServer({ port, host, allowRegistries: allow, dev, log: process.env.LAYERLAB_LOG ? (l) => console.log(l) : undefined });
console.log(`Layerlab on ${server.url} (proxy at /proxy/, extra registries: ${allow.join(", ") || "none"})`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
