// Superuser sign-in through the SDK: auth-with-password, auth-refresh, the auth store's view of the
// token (isValid, isSuperuser via pbc_3142635823), and how the API treats guests and bad tokens.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import PocketBase, { getTokenPayload } from "pocketbase";
import { startCairn, SUPERUSER, expectError, guestClient } from "./server.js";

let server;
before(async () => { server = await startCairn(); });
after(async () => { await server.stop(); });

test("a superuser signs in and the SDK recognises the token as a superuser's", async () => {
  const pb = new PocketBase(server.url);
  assert.equal(pb.authStore.isSuperuser, false);
  const auth = await pb.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
  assert.equal(auth.record.email, SUPERUSER.email);
  assert.equal(auth.record.collectionId, "pbc_3142635823");
  assert.equal(auth.record.collectionName, "_superusers");
  assert.equal(auth.record.password, undefined, "password is never output");
  assert.equal(auth.record.tokenKey, undefined, "tokenKey is never output");
  assert.match(auth.record.id, /^[a-z0-9]{15}$/);
  assert.ok(pb.authStore.isValid);
  assert.ok(pb.authStore.isSuperuser);
  assert.equal(pb.authStore.token, auth.token);
  assert.equal(pb.authStore.record.id, auth.record.id);
});

test("the token is an HS256 JWT whose payload the SDK can decode", async () => {
  const pb = new PocketBase(server.url);
  const { token, record } = await pb.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
  const [header] = token.split(".");
  assert.deepEqual(JSON.parse(Buffer.from(header, "base64url").toString()), { alg: "HS256", typ: "JWT" });
  const payload = getTokenPayload(token);
  assert.equal(payload.type, "auth");
  assert.equal(payload.id, record.id);
  assert.equal(payload.collectionId, "pbc_3142635823");
  assert.equal(payload.refreshable, true);
  // _superusers tokens last one day (POCKETBASE_API.md 1.3)
  const lifetime = payload.exp - Date.now() / 1000;
  assert.ok(lifetime > 86400 - 120 && lifetime <= 86400 + 5, `exp is about one day away (${lifetime} s)`);
});

test("isSuperuser also holds for a stored record without collectionName (token payload fallback)", async () => {
  const pb = new PocketBase(server.url);
  const { token, record } = await pb.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
  const bare = { ...record };
  delete bare.collectionName;
  pb.authStore.save(token, bare);
  assert.ok(pb.authStore.isSuperuser);
});

test("auth-refresh returns a new valid token for the same record", async () => {
  const pb = new PocketBase(server.url);
  const first = await pb.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
  // exp has second resolution: wait so a re-issued token differs from the first one
  await new Promise((r) => setTimeout(r, 1100));
  const refreshed = await pb.collection("_superusers").authRefresh();
  assert.equal(refreshed.record.email, SUPERUSER.email);
  assert.equal(refreshed.record.id, first.record.id);
  assert.notEqual(refreshed.token, first.token);
  assert.ok(getTokenPayload(refreshed.token).exp > getTokenPayload(first.token).exp);
  assert.equal(pb.authStore.token, refreshed.token);
  assert.ok(pb.authStore.isValid);
  assert.ok(pb.authStore.isSuperuser);
});

test("auth-refresh without a token is a 401", async () => {
  const response = await expectError(guestClient(server.url).collection("_superusers").authRefresh(), 401);
  assert.deepEqual(response.data, {});
});

test("a refreshed token works for superuser-only routes", async () => {
  const pb = new PocketBase(server.url);
  await pb.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
  await pb.collection("_superusers").authRefresh();
  const list = await pb.collections.getList(1, 10);
  assert.ok(list.items.some((c) => c.id === "pbc_3142635823"));
});

test("a wrong password is a 400 with the error shape", async () => {
  const pb = new PocketBase(server.url);
  const response = await expectError(pb.collection("_superusers").authWithPassword(SUPERUSER.email, "wrong-password"), 400);
  assert.equal(response.message, "Failed to authenticate.");
  assert.deepEqual(response.data, {});
  assert.equal(pb.authStore.isValid, false);
});

test("an unknown identity is the same 400 as a wrong password", async () => {
  const pb = new PocketBase(server.url);
  const response = await expectError(pb.collection("_superusers").authWithPassword("nobody@example.com", SUPERUSER.password), 400);
  assert.equal(response.message, "Failed to authenticate.");
  assert.deepEqual(response.data, {});
});

test("blank credentials are reported per field", async () => {
  const response = await expectError(guestClient(server.url).collection("_superusers").authWithPassword("", ""), 400);
  assert.equal(response.data.identity.code, "validation_required");
  assert.equal(response.data.password.code, "validation_required");
});

test("auth-methods lists password sign-in with the email identity", async () => {
  const methods = await guestClient(server.url).collection("_superusers").listAuthMethods();
  assert.equal(methods.password.enabled, true);
  assert.deepEqual(methods.password.identityFields, ["email"]);
  assert.equal(methods.oauth2.enabled, false);
  assert.equal(methods.mfa.enabled, false);
  assert.equal(methods.otp.enabled, false);
});

test("auth routes on an unknown or non-auth collection are 404", async () => {
  const response = await expectError(guestClient(server.url).collection("nope").authWithPassword("a@b.co", "x12345678"), 404);
  assert.equal(response.message, "Missing or invalid auth collection context.");
});

test("the collections API needs a superuser: a guest gets 401", async () => {
  await expectError(guestClient(server.url).collections.getList(1, 10), 401);
});

test("a bad or expired token makes the request a guest's, not an error, on public routes", async () => {
  const pb = new PocketBase(server.url);
  pb.authStore.save("not.a.token", null);
  const health = await pb.health.check();
  assert.equal(health.code, 200);
  await expectError(pb.collections.getList(1, 1), 401);
});

test("the token is accepted with or without a Bearer prefix", async () => {
  const { token } = await new PocketBase(server.url).collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
  for (const header of [token, `Bearer ${token}`, `bearer ${token}`]) {
    const res = await fetch(`${server.url}/api/collections?perPage=1`, { headers: { Authorization: header } });
    assert.equal(res.status, 200, header.slice(0, 7));
  }
});

test("auth responses honor ?fields=, as the SDK's token-only sign-ins use", async () => {
  const pb = new PocketBase(server.url);
  const auth = await pb.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password, { fields: "token,record.id" });
  assert.deepEqual(Object.keys(auth).sort(), ["record", "token"]);
  assert.deepEqual(Object.keys(auth.record), ["id"]);
  assert.ok(pb.authStore.isValid);
});

test("listAuthMethods' fields=mfa,otp,password,oauth2 strips everything else", async () => {
  const res = await fetch(`${server.url}/api/collections/_superusers/auth-methods?fields=mfa,otp,password,oauth2`);
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys(await res.json()).sort(), ["mfa", "oauth2", "otp", "password"]);
});
