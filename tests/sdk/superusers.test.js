import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { startCairn, SUPERUSER } from "./server.js";

let server;
before(async () => { server = await startCairn(); });
after(async () => { await server.stop(); });

test("a superuser signs in and the SDK recognises the token as a superuser's", async () => {
  const pb = new PocketBase(server.url);
  const auth = await pb.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
  assert.equal(auth.record.email, SUPERUSER.email);
  assert.equal(auth.record.collectionId, "pbc_3142635823");
  assert.ok(pb.authStore.isValid);
  assert.ok(pb.authStore.isSuperuser);
});

test("auth-refresh returns a new valid token for the same record", async () => {
  const pb = new PocketBase(server.url);
  await pb.collection("_superusers").authWithPassword(SUPERUSER.email, SUPERUSER.password);
  const refreshed = await pb.collection("_superusers").authRefresh();
  assert.equal(refreshed.record.email, SUPERUSER.email);
  assert.ok(pb.authStore.isValid);
});

test("a wrong password is a 400 with the error shape", async () => {
  const pb = new PocketBase(server.url);
  await assert.rejects(pb.collection("_superusers").authWithPassword(SUPERUSER.email, "wrong-password"), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.response.message, "Failed to authenticate.");
    assert.deepEqual(e.response.data, {});
    return true;
  });
});
