// Settings through the SDK's SettingsService (POCKETBASE_API.md 1.7): getAll without secrets, update as a partial merge, validation errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCairn, superuserClient, expectError, guestClient } from "./server.js";

let server, pb;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
});
after(async () => { await server.stop(); });

test("pb.settings.getAll returns every section, without the SMTP password or S3 secret", async () => {
  const settings = await pb.settings.getAll();
  for (const section of ["meta", "smtp", "s3", "batch", "rateLimits", "trustedProxy", "logs", "superuserIPs"]) assert.ok(section in settings, section);
  assert.equal(typeof settings.meta.appURL, "string");
  assert.ok(!("password" in settings.smtp));
  assert.ok(!("secret" in settings.s3));
});

test("pb.settings.update merges, applies at once, and reports field errors", async () => {
  const updated = await pb.settings.update({ meta: { appName: "Acme" }, smtp: { password: "sdk-secret" }, batch: { enabled: false } });
  assert.equal(updated.meta.appName, "Acme");
  assert.ok(updated.meta.appURL.length > 0); // the keys not sent are kept
  assert.ok(!("password" in updated.smtp));
  assert.equal((await pb.settings.getAll()).meta.appName, "Acme");
  await expectError(pb.createBatch().send(), 403); // batch off takes effect on the next request

  const error = await expectError(pb.settings.update({ meta: { appURL: "not a url" } }), 400);
  assert.equal(error.data.meta.appURL.code, "validation_is_url");
});

test("a guest cannot read the settings", async () => {
  await expectError(guestClient(server.url).settings.getAll(), 401);
});
