// Sign-in flows through the SDK: authWithPassword, authRefresh, impersonate (a new client holding a
// non-refreshable token) and the lockout after repeated failures. The server runs with a lockout after
// 3 failures (CAIRN_LOCKOUT_FAILURES), so the lockout is reached without waiting for delays.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { getTokenPayload } from "pocketbase";
import { startCairn, superuserClient, guestClient, expectError } from "./server.js";

let server, admin;
before(async () => {
  process.env.CAIRN_LOCKOUT_FAILURES = "3";
  server = await startCairn();
  admin = await superuserClient(server.url);
});
after(async () => { await server.stop(); });

let counter = 0;
async function createUser() {
  counter += 1;
  const email = `user${counter}@example.com`;
  const record = await admin.collection("users").create({ email, password: "password123", passwordConfirm: "password123" });
  return { email, record };
}

test("a user signs in with a password and refreshes the token", async () => {
  const { email, record } = await createUser();
  const pb = guestClient(server.url);
  const auth = await pb.collection("users").authWithPassword(email, "password123");
  assert.equal(auth.record.id, record.id);
  assert.equal(auth.record.email, email);
  assert.ok(pb.authStore.isValid);
  assert.equal(pb.authStore.isSuperuser, false);
  assert.equal(getTokenPayload(auth.token).refreshable, true);

  const refreshed = await pb.collection("users").authRefresh();
  assert.equal(refreshed.record.id, record.id);
  assert.equal(pb.authStore.token, refreshed.token);
});

test("a wrong password and an unknown account fail alike", async () => {
  const { email } = await createUser();
  const pb = guestClient(server.url);
  const wrong = await expectError(pb.collection("users").authWithPassword(email, "wrong-password"), 400);
  const unknown = await expectError(pb.collection("users").authWithPassword("nobody-at-all@example.com", "wrong-password"), 400);
  assert.deepEqual(wrong, unknown);
  assert.equal(pb.authStore.isValid, false);
});

test("a superuser impersonates a user: a new client with a non-refreshable token", async () => {
  const { email, record } = await createUser();
  const impersonated = await admin.collection("users").impersonate(record.id, 3600);

  assert.notEqual(impersonated, admin);
  assert.equal(impersonated.authStore.record.id, record.id);
  assert.equal(impersonated.authStore.record.email, email);
  assert.ok(admin.authStore.isSuperuser, "the superuser's own client keeps its auth");
  const payload = getTokenPayload(impersonated.authStore.token);
  assert.equal(payload.refreshable, false);
  assert.equal(payload.id, record.id);
  const lifetime = payload.exp - Date.now() / 1000;
  assert.ok(lifetime > 3600 - 120 && lifetime <= 3600 + 5, `exp is about an hour away (${lifetime} s)`);

  const token = impersonated.authStore.token;
  const refreshed = await impersonated.collection("users").authRefresh();
  assert.equal(refreshed.token, token, "auth-refresh hands a non-refreshable token back unchanged");

  const own = await impersonated.collection("users").getOne(record.id);
  assert.equal(own.email, email);
  await expectError(impersonated.collections.getFullList(), 403);
});

test("only superusers impersonate", async () => {
  const { email, record } = await createUser();
  await expectError(guestClient(server.url).collection("users").impersonate(record.id), 401);
  const user = guestClient(server.url);
  await user.collection("users").authWithPassword(email, "password123");
  await expectError(user.collection("users").impersonate(record.id), 403);
  await expectError(admin.collection("users").impersonate(record.id, -1), 400);
});

test("after 3 failures the account is locked with 429, known or not", async () => {
  const { email } = await createUser();
  const pb = guestClient(server.url);
  for (let i = 0; i < 3; i++) {
    await expectError(pb.collection("users").authWithPassword(email, "wrong-password"), 400);
    await expectError(pb.collection("users").authWithPassword("ghost@example.com", "wrong-password"), 400);
  }
  const locked = await expectError(pb.collection("users").authWithPassword(email, "password123"), 429);
  const ghost = await expectError(pb.collection("users").authWithPassword("ghost@example.com", "password123"), 429);
  assert.deepEqual(locked, ghost);
  // Another account is not affected.
  const other = await createUser();
  await pb.collection("users").authWithPassword(other.email, "password123");
  assert.ok(pb.authStore.isValid);
});
