// Starts a live `cairn serve` on a free loopback port with a temporary data folder and a superuser,
// for one test file; `stop()` ends it and removes the folder.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";

export const SUPERUSER = { email: "root@example.com", password: "password123" };

const dll = process.env.CAIRN_DLL;
if (!dll) throw new Error("CAIRN_DLL must point at the built Cairn.Server.dll (scripts/test.sh sets it)");

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
}

export async function startCairn() {
  const dir = mkdtempSync(join(tmpdir(), "cairn-sdk-"));
  execFileSync("dotnet", [dll, "superuser", "upsert", SUPERUSER.email, SUPERUSER.password, "--dir", dir], { stdio: "ignore" });
  const port = await freePort();
  const child = spawn("dotnet", [dll, "serve", "--http", `127.0.0.1:${port}`, "--dir", dir, "--synchronous", "normal"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) { child.kill("SIGKILL"); throw new Error("cairn did not start in 20 s"); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
