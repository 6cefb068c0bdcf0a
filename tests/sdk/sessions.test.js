// Server-side cookie sessions through the PocketBase SDK (beyond PocketBase; issue 5): the SDK passes the unknown
// option `{ session: true }` as `?session=true`, so a sign-in also starts a session; its cookie then signs in plain
// requests, unsafe ones need the CSRF token (or a same-origin Origin), and sign-out ends it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startCairn, superuserClient, guestClient, uniqueName, expectError } from "./server.js";

let server, pb, users;
before(async () => {
  server = await startCairn();
  pb = await superuserClient(server.url);
  users = await pb.collections.create({
    name: uniqueName("users"),
    type: "auth",
    listRule: "id = @request.auth.id", viewRule: "id = @request.auth.id", createRule: "",
  });
});
after(async () => { await server.stop(); });

let seq = 0;
/** Signs a new user in with `{ session: true }`; returns the auth response and the cookies the server set. */
async function signInWithSession() {
  seq += 1;
  const email = `session${seq}@example.com`;
  await pb.collection(users.name).create({ email, password: "user-pass-123", passwordConfirm: "user-pass-123" });
  const client = guestClient(server.url);
  let setCookies = [];
  const auth = await client.collection(users.name).authWithPassword(email, "user-pass-123", {
    session: true,
    fetch: async (url, config) => {
      const response = await fetch(url, config);
      setCookies = response.headers.getSetCookie();
      return response;
    },
  });
  const cookie = (name) => setCookies.find((c) => c.startsWith(name + "="));
  const value = (name) => cookie(name).slice(name.length + 1, cookie(name).indexOf(";"));
  return { auth, client, cookie, header: `cairn_session=${value("cairn_session")}; cairn_csrf=${value("cairn_csrf")}` };
}

test("a sign-in with { session: true } sets the session cookies and answers meta.csrfToken", async () => {
  const { auth, client, cookie } = await signInWithSession();
  assert.match(cookie("cairn_session"), /; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
  assert.match(cookie("cairn_csrf"), /; Path=\/; Secure; SameSite=Lax$/);
  assert.ok(cookie("cairn_csrf").includes(`cairn_csrf=${auth.meta.csrfToken};`));
  assert.equal(client.authStore.isValid, true, "the SDK still gets its token");
});

test("without the option no session starts", async () => {
  seq += 1;
  const email = `plain${seq}@example.com`;
  await pb.collection(users.name).create({ email, password: "user-pass-123", passwordConfirm: "user-pass-123" });
  let setCookies;
  const auth = await guestClient(server.url).collection(users.name).authWithPassword(email, "user-pass-123", {
    fetch: async (url, config) => { const r = await fetch(url, config); setCookies = r.headers.getSetCookie(); return r; },
  });
  assert.deepEqual(setCookies, []);
  assert.equal(auth.meta, undefined);
});

test("the cookie signs in requests; writes need the CSRF token; sign-out ends the session", async () => {
  const { auth, header } = await signInWithSession();
  const browser = guestClient(server.url); // no token: only the cookie speaks for it
  const sessionsUrl = `/api/collections/${users.name}/sessions`;

  const list = await browser.send(sessionsUrl, { headers: { Cookie: header } });
  assert.equal(list.items.length, 1);
  assert.equal(list.items[0].current, true);
  const own = await browser.collection(users.name).getList(1, 10, { headers: { Cookie: header } });
  assert.deepEqual(own.items.map((r) => r.id), [auth.record.id]);

  await expectError(browser.send(`/api/collections/${users.name}/sign-out`, {
    method: "POST", headers: { Cookie: header, Origin: "https://evil.example" },
  }), 403);
  await browser.send(`/api/collections/${users.name}/sign-out`, {
    method: "POST", headers: { Cookie: header, "X-CSRF-Token": auth.meta.csrfToken },
  });
  await expectError(browser.send(sessionsUrl, { headers: { Cookie: header } }), 401);
});

test("a superuser sees and revokes a user's session through the _sessions records", async () => {
  const { auth, header } = await signInWithSession();
  const rows = await pb.collection("_sessions").getFullList({ filter: pb.filter("recordRef = {:id}", { id: auth.record.id }) });
  assert.equal(rows.length, 1);
  await pb.collection("_sessions").delete(rows[0].id);
  await expectError(guestClient(server.url).send(`/api/collections/${users.name}/sessions`, { headers: { Cookie: header } }), 401);
});
