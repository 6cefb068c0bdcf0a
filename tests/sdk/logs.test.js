// Request logs through the SDK's LogService (POCKETBASE_API.md 1.7): getList with a filter on data.*, getOne, getStats.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCairn, superuserClient, expectError, guestClient } from "./server.js";

let server, pb;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
});
after(async () => { await server.stop(); });

test("pb.logs.getList / getOne / getStats read the request logs", async () => {
  await pb.health.check();
  let list;
  for (let i = 0; i < 100; i++) {
    list = await pb.logs.getList(1, 10, { filter: 'data.url = "/api/health"', sort: "-created" });
    if (list.totalItems > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(list.totalItems >= 1);
  const entry = list.items[0];
  assert.equal(entry.data.url, "/api/health");
  assert.equal(entry.data.status, 200);
  assert.equal((await pb.logs.getOne(entry.id)).id, entry.id);
  const stats = await pb.logs.getStats({ filter: 'data.url = "/api/health"' });
  assert.ok(stats.length >= 1 && stats.every((s) => /^\d{4}-\d\d-\d\d \d\d:00:00\.000Z$/.test(s.date) && s.total >= 1));
});

test("a guest cannot read the logs", async () => {
  await expectError(guestClient(server.url).logs.getList(1, 10), 401);
});
