// `bun run test`: the whole suite, as CI runs it. Type-check and lint, then every bun:test file
// (packages, core, and the edge against a real wrangler dev). Ends with one "N passed, N failed" line.
import { join } from "node:path";
import { ensureInstalled } from "./lib/ensure-installed.ts";

const ROOT = join(import.meta.dir, "..");
ensureInstalled(ROOT);

let passed = 0;
let failed = 0;

/** Runs a command, streaming its output, and returns its exit code and what it printed. */
async function run(label: string, cmd: string[]): Promise<{ code: number; output: string }> {
  console.log(`\n▶ ${label}: ${cmd.join(" ")}`);
  const child = Bun.spawn(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, FORCE_COLOR: "0" } });
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      output += text;
      sink.write(text);
    }
  };
  await Promise.all([pump(child.stdout, process.stdout), pump(child.stderr, process.stderr)]);
  return { code: await child.exited, output };
}

const check = await run("check (types, lint, format)", [process.execPath, "run", "check"]);
if (check.code === 0) passed++;
else failed++;

const tests = await run("tests", [process.execPath, "test", "--timeout", "30000"]);
const count = (word: string) => Number(new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(tests.output)?.[1] ?? 0);
passed += count("pass");
failed += count("fail");
// a crash before bun printed its summary must not look like success
if (tests.code !== 0 && count("fail") === 0) failed++;

// the live tests of production adapters are skipped unless their credentials are set
const skipped = count("skip");
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
