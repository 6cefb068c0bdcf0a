// Realtime through the SDK (POCKETBASE_API.md 1.4, and 1.3's @oauth2 popup flow): the SSE stream at /api/realtime
// with the npm `eventsource` polyfill as globalThis.EventSource, PB_CONNECT and the client id, create/update/delete
// delivery per topic, topics with options echoed exactly (expand, fields, filter applied), a rolled-back batch never
// delivered, per-subscriber rule checks (owner-only collections, a guest upgrading to a signed-in user), unsubscribe,
// a 1,000-mutation authorization soak, and authWithOAuth2's one-call popup flow through /api/oauth2-redirect.
//
// Note on the SDK (0.28.1, RealtimeService): it does NOT resubmit its subscriptions when the auth store changes. The
// auth-upgrade test therefore changes the subscription set after signing in, which makes the SDK post it again with
// its token on the same connection (same clientId).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHash } from "node:crypto";
import { EventSource } from "eventsource";
import { startCairn, superuserClient, guestClient, uniqueName, expectError } from "./server.js";

globalThis.EventSource = EventSource;

const PASSWORD = "user-pass-123";
const OWNER = "owner = @request.auth.id";
let server, admin, usersId, authors, ann;
const people = {}; // name -> { id, email }
const clients = []; // every SDK client a test opened, so after() can close their EventSources

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A guest SDK client whose realtime connection after() closes. */
function client() {
  const pb = guestClient(server.url);
  clients.push(pb);
  return pb;
}

/** An SDK client signed in as one of the users made in before(). */
async function signedIn(name) {
  const pb = client();
  await pb.collection("users").authWithPassword(people[name].email, PASSWORD);
  return pb;
}

/** Closes a client's realtime connection (unsubscribe everything, then the SDK's own disconnect for a pending reconnect). */
async function closeRealtime(pb) {
  try { await pb.realtime.unsubscribe(); } catch {}
  pb.realtime.disconnect();
}

/** Waits until check() is true; throws with `what` after timeoutMs. */
async function waitUntil(check, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits for list to hold at least n items, then for a quiet spell so that extra (unwanted) events show up too. */
async function settle(list, n, what, quietMs = 300, timeoutMs = 10000) {
  await waitUntil(() => list.length >= n, `${what} (have ${list.length} of ${n})`, timeoutMs);
  let seen = list.length;
  for (;;) {
    await sleep(quietMs);
    if (list.length === seen) return;
    seen = list.length;
  }
}

/** [action, id, title] of each event, the compact form the delivery assertions compare. */
const brief = (events) => events.map((e) => [e.action, e.record?.id, e.record?.title]);

/** A public base collection (every rule ""), optionally with extra fields. */
async function publicCollection(prefix, extraFields = []) {
  return admin.collections.create({
    name: uniqueName(prefix),
    listRule: "", viewRule: "", createRule: "", updateRule: "", deleteRule: "",
    fields: [{ name: "title", type: "text", required: true }, { name: "n", type: "number" }, ...extraFields],
  });
}

/** A collection whose records only their owner (a users record) may see and change. */
async function ownerOnlyCollection(prefix, extraFields = [], readRule = OWNER) {
  return admin.collections.create({
    name: uniqueName(prefix),
    listRule: readRule, viewRule: readRule, createRule: OWNER, updateRule: OWNER, deleteRule: OWNER,
    fields: [
      { name: "owner", type: "relation", collectionId: usersId, maxSelect: 1, required: true },
      { name: "title", type: "text" },
      { name: "n", type: "number" },
      ...extraFields,
    ],
  });
}

before(async () => {
  server = await startCairn();
  admin = await superuserClient(server.url);
  usersId = (await admin.collections.getOne("users")).id;
  for (const name of ["alice", "bob", "carol"]) {
    const email = `${name}@example.com`;
    const record = await admin.collection("users").create({ email, password: PASSWORD, passwordConfirm: PASSWORD, verified: true });
    people[name] = { id: record.id, email };
  }
  authors = await publicCollection("authors", [{ name: "name", type: "text" }]);
  ann = await admin.collection(authors.name).create({ title: "author", name: "Ann" });
});

after(async () => {
  await Promise.all(clients.map(closeRealtime));
  await server.stop();
});

test("the raw stream: event-stream headers, PB_CONNECT with the client id in the SSE id field and in data; unknown ids get 404", async () => {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 5000);
  let text = "";
  try {
    const res = await fetch(`${server.url}/api/realtime`, { signal: abort.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(res.headers.get("x-accel-buffering"), "no");
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    while (!text.includes("\n\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  const frame = {};
  for (const line of text.split("\n\n")[0].split("\n")) {
    const colon = line.indexOf(":");
    frame[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, "");
  }
  assert.equal(frame.event, "PB_CONNECT", `first frame: ${JSON.stringify(text)}`);
  assert.equal(frame.id.length, 40, `client id ${frame.id}`);
  assert.deepEqual(JSON.parse(frame.data), { clientId: frame.id });

  const pb = client();
  const response = await expectError(pb.send("/api/realtime", {
    method: "POST", body: { clientId: "no-such-client-id", subscriptions: ["users/*"] },
  }), 404);
  assert.equal(response.message, "Missing or invalid client id.");
});

test("PB_CONNECT: subscribe resolves and the SDK holds a 40-character client id", async () => {
  const posts = await publicCollection("posts");
  const pb = client();
  const unsubscribe = await pb.collection(posts.name).subscribe("*", () => {});
  assert.equal(typeof unsubscribe, "function");
  assert.equal(typeof pb.realtime.clientId, "string");
  assert.equal(pb.realtime.clientId.length, 40);
  assert.equal(pb.realtime.isConnected, true);
});

test("create, update and delete reach a collection/* subscriber in order, and collection/ID only gets that record's", async () => {
  const posts = await publicCollection("posts");
  const pb = client();
  const all = [], one = [];
  const targetId = "rtcrudtarget001";
  await pb.collection(posts.name).subscribe("*", (e) => all.push(e));
  await pb.collection(posts.name).subscribe(targetId, (e) => one.push(e));

  const writer = client();
  await writer.collection(posts.name).create({ id: targetId, title: "first", n: 1 });
  const other = await writer.collection(posts.name).create({ title: "second", n: 2 });
  await writer.collection(posts.name).update(targetId, { title: "first, edited", n: 10 });
  await writer.collection(posts.name).update(other.id, { title: "second, edited" });
  await writer.collection(posts.name).delete(targetId);
  await writer.collection(posts.name).delete(other.id);

  await settle(all, 6, "six events on posts/*");
  await settle(one, 3, "three events on posts/ID");
  assert.deepEqual(brief(all), [
    ["create", targetId, "first"],
    ["create", other.id, "second"],
    ["update", targetId, "first, edited"],
    ["update", other.id, "second, edited"],
    ["delete", targetId, "first, edited"],
    ["delete", other.id, "second, edited"],
  ]);
  assert.deepEqual(brief(one), [
    ["create", targetId, "first"],
    ["update", targetId, "first, edited"],
    ["delete", targetId, "first, edited"],
  ]);
  for (const e of all) {
    assert.deepEqual(Object.keys(e).sort(), ["action", "record"]);
    assert.equal(e.record.collectionName, posts.name);
    assert.equal(e.record.collectionId, posts.id);
  }
  assert.equal(all[0].record.n, 1);
  assert.equal(all[2].record.n, 10);
  assert.equal(all[3].record.n, 2, "an update event carries the whole record, not only the changed fields");
});

test("a topic with options is echoed exactly (the SDK's callback fires) and its expand, fields and filter apply", async () => {
  const posts = await publicCollection("posts", [{ name: "author", type: "relation", collectionId: authors.id, maxSelect: 1 }]);
  const pb = client();
  const events = [], plain = [];
  await pb.collection(posts.name).subscribe("*", (e) => events.push(e), { expand: "author", fields: "id,title,expand", filter: "title ~ 'x'" });
  await pb.collection(posts.name).subscribe("*", (e) => plain.push(e));

  const writer = client();
  const xray = await writer.collection(posts.name).create({ title: "xray", n: 1, author: ann.id });
  const nope = await writer.collection(posts.name).create({ title: "nope", n: 2, author: ann.id });
  await writer.collection(posts.name).update(nope.id, { title: "nix" }); // now matches the filter
  const box = await writer.collection(posts.name).create({ title: "box", n: 3, author: ann.id });

  await settle(plain, 4, "four events without options");
  await settle(events, 3, "three events with options");
  assert.deepEqual(brief(events), [
    ["create", xray.id, "xray"],
    ["update", nope.id, "nix"],
    ["create", box.id, "box"],
  ], "'nope' does not match title ~ 'x' and is not delivered");
  for (const e of events) {
    assert.deepEqual(Object.keys(e.record).sort(), ["expand", "id", "title"], `fields trims the record: ${JSON.stringify(e.record)}`);
    assert.equal(e.record.expand.author.id, ann.id);
    assert.equal(e.record.expand.author.name, "Ann");
  }
  assert.equal(plain[0].record.n, 1, "the option-less subscription gets the whole record");
  assert.equal(plain[0].record.expand, undefined, "and no expand it did not ask for");
});

test("a rolled-back batch is never delivered; the next committed write is", async () => {
  const posts = await publicCollection("posts");
  const keep = await admin.collection(posts.name).create({ title: "keep", n: 1 });
  const doomed = await admin.collection(posts.name).create({ title: "doomed" });
  const pb = client();
  const events = [];
  await pb.collection(posts.name).subscribe("*", (e) => events.push(e));

  const writer = client();
  const batch = writer.createBatch();
  batch.collection(posts.name).create({ title: "ghost" });
  batch.collection(posts.name).update(keep.id, { title: "ghost edit" });
  batch.collection(posts.name).delete(doomed.id);
  batch.collection(posts.name).create({ n: 4 }); // no title: violates the required field, so the batch rolls back
  await expectError(batch.send(), 400);

  const alive = await writer.collection(posts.name).create({ title: "alive" });
  await settle(events, 1, "the create after the failed batch");
  assert.deepEqual(brief(events), [["create", alive.id, "alive"]]);
  assert.equal((await admin.collection(posts.name).getOne(keep.id)).title, "keep");
  assert.equal((await admin.collection(posts.name).getOne(doomed.id)).title, "doomed");
});

test("owner-only rules: a guest gets nothing, each user gets only their own records' events", async () => {
  const notes = await ownerOnlyCollection("notes");
  const pub = await publicCollection("pub");
  const guest = client(), alice = await signedIn("alice"), bob = await signedIn("bob");
  const seen = { guest: [], alice: [], bob: [] }, guestPub = [];
  await guest.collection(notes.name).subscribe("*", (e) => seen.guest.push(e));
  await guest.collection(pub.name).subscribe("*", (e) => guestPub.push(e));
  await alice.collection(notes.name).subscribe("*", (e) => seen.alice.push(e));
  await bob.collection(notes.name).subscribe("*", (e) => seen.bob.push(e));

  const a1 = await alice.collection(notes.name).create({ owner: people.alice.id, title: "a1" });
  const b1 = await bob.collection(notes.name).create({ owner: people.bob.id, title: "b1" });
  await alice.collection(notes.name).update(a1.id, { title: "a1 edited" });
  await bob.collection(notes.name).update(b1.id, { title: "b1 edited" });
  await alice.collection(notes.name).delete(a1.id);
  await bob.collection(notes.name).delete(b1.id);
  // Sentinels: each stream's last expected event comes after every write the others made.
  const a2 = await alice.collection(notes.name).create({ owner: people.alice.id, title: "a2" });
  const b2 = await bob.collection(notes.name).create({ owner: people.bob.id, title: "b2" });
  const marker = await admin.collection(pub.name).create({ title: "marker" });

  await settle(seen.alice, 4, "alice's four events");
  await settle(seen.bob, 4, "bob's four events");
  await settle(guestPub, 1, "the guest's public marker");
  assert.deepEqual(brief(seen.alice), [
    ["create", a1.id, "a1"], ["update", a1.id, "a1 edited"], ["delete", a1.id, "a1 edited"], ["create", a2.id, "a2"],
  ]);
  assert.deepEqual(brief(seen.bob), [
    ["create", b1.id, "b1"], ["update", b1.id, "b1 edited"], ["delete", b1.id, "b1 edited"], ["create", b2.id, "b2"],
  ]);
  assert.deepEqual(brief(guestPub), [["create", marker.id, "marker"]]);
  assert.deepEqual(seen.guest, [], "a guest sees no owner-only record");
});

test("auth upgrade: a guest subscriber signs in, resubmits on the same connection, and then gets its own records' events", async () => {
  const notes = await ownerOnlyCollection("notes");
  const pub = await publicCollection("pub");
  const pb = client();
  const mine = [], marks = [];
  await pb.collection(notes.name).subscribe("*", (e) => mine.push(e));
  await pb.collection(pub.name).subscribe("*", (e) => marks.push(e));
  const clientId = pb.realtime.clientId;

  await admin.collection(notes.name).create({ owner: people.alice.id, title: "before sign-in" });
  const m1 = await admin.collection(pub.name).create({ title: "m1" });
  await settle(marks, 1, "the first marker");
  assert.deepEqual(mine, [], "as a guest it sees no owner-only record");

  await pb.collection("users").authWithPassword(people.alice.email, PASSWORD);
  // The SDK does not resubmit on an auth change; dropping and re-adding the notes topic makes it post the set twice,
  // now with alice's token. pub/* stays subscribed, so the connection and its client id are kept.
  await pb.collection(notes.name).unsubscribe("*");
  await pb.collection(notes.name).subscribe("*", (e) => mine.push(e));
  assert.equal(pb.realtime.clientId, clientId, "the same connection was upgraded, not a new one opened");

  const own = await admin.collection(notes.name).create({ owner: people.alice.id, title: "alice's" });
  await admin.collection(notes.name).create({ owner: people.bob.id, title: "bob's" });
  const m2 = await admin.collection(pub.name).create({ title: "m2" });
  await settle(marks, 2, "the second marker");
  await settle(mine, 1, "alice's note");
  assert.deepEqual(brief(marks), [["create", m1.id, "m1"], ["create", m2.id, "m2"]]);
  assert.deepEqual(brief(mine), [["create", own.id, "alice's"]]);

  // Once signed in, the client's auth may not change to another user or back to a guest (403), and stays alice's.
  const bob = await signedIn("bob");
  const asBob = await expectError(bob.send("/api/realtime", {
    method: "POST", body: { clientId, subscriptions: [`${notes.name}/*`] },
  }), 403);
  assert.equal(asBob.message, "The current and the previous request authorization don't match.");
  await expectError(client().send("/api/realtime", {
    method: "POST", body: { clientId, subscriptions: [`${notes.name}/*`] },
  }), 403);
  const own2 = await admin.collection(notes.name).create({ owner: people.alice.id, title: "alice's second" });
  await admin.collection(notes.name).create({ owner: people.bob.id, title: "bob's second" });
  const m3 = await admin.collection(pub.name).create({ title: "m3" });
  await settle(marks, 3, "the third marker");
  await settle(mine, 2, "alice's second note");
  assert.deepEqual(brief(marks).at(-1), ["create", m3.id, "m3"]);
  assert.deepEqual(brief(mine), [["create", own.id, "alice's"], ["create", own2.id, "alice's second"]]);
});

test("after unsubscribe the server sends no more events for that topic", async () => {
  const posts = await publicCollection("posts");
  const other = await publicCollection("other");
  const pb = client();
  const events = [], marks = [], wire = [];
  const unsubscribe = await pb.collection(posts.name).subscribe("*", (e) => events.push(e));
  await pb.collection(other.name).subscribe("*", (e) => marks.push(e));
  // A listener of our own on the SDK's EventSource: it sees what the server sends, even after the SDK drops its listener.
  pb.realtime.eventSource.addEventListener(`${posts.name}/*`, (e) => wire.push(JSON.parse(e.data)));

  const p1 = await admin.collection(posts.name).create({ title: "p1" });
  await settle(events, 1, "p1");
  await unsubscribe();
  await admin.collection(posts.name).create({ title: "p2" });
  const o1 = await admin.collection(other.name).create({ title: "o1" });
  await settle(marks, 1, "the marker on the other collection");
  assert.deepEqual(brief(events), [["create", p1.id, "p1"]]);
  assert.deepEqual(brief(wire), [["create", p1.id, "p1"]], "the server stopped sending posts/* after the unsubscribe");

  await pb.realtime.unsubscribe();
  assert.equal(pb.realtime.isConnected, false, "with no subscription left the SDK closes its EventSource");
});

test("authorization soak: 1,000 mixed writes by two users; bob gets every event he may see and none of alice's private ones", async () => {
  const priv = await ownerOnlyCollection("private");
  const shared = await ownerOnlyCollection("shared", [{ name: "shared", type: "bool" }], `shared = true || ${OWNER}`);
  const sdk = { alice: await signedIn("alice"), bob: await signedIn("bob") };
  const received = [];
  await sdk.bob.collection(priv.name).subscribe("*", (e) => received.push({ collection: priv.name, ...e }));
  await sdk.bob.collection(shared.name).subscribe("*", (e) => received.push({ collection: shared.name, ...e }));

  // A deterministic mix: 45 % creates, 35 % updates (in the shared collection often flipping `shared`), 20 % deletes;
  // each write sets n to a fresh number, so every expected event has a unique key.
  let seed = 20261128;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const live = []; // { collection, id, owner, shared, n }
  const bobMaySee = (r) => r.owner === "bob" || (r.collection === shared.name && r.shared);
  const expected = [];
  let n = 0, writes = 0;
  const started = Date.now();
  while (writes < 1000) {
    const touched = new Set();
    const ops = [], created = [];
    for (let i = 0; i < 20 && writes < 1000; i++, writes++) {
      const owner = random() < 0.5 ? "alice" : "bob";
      const mine = live.filter((r) => r.owner === owner && !touched.has(r.id));
      const roll = random();
      const records = (r) => sdk[owner].collection(r.collection);
      if (mine.length === 0 || roll < 0.45) {
        const r = { collection: random() < 0.5 ? priv.name : shared.name, owner, n: ++n };
        if (r.collection === shared.name) r.shared = random() < 0.5;
        created.push(r);
        ops.push(async () => {
          const body = { owner: people[owner].id, title: `${owner} ${r.n}`, n: r.n };
          if (r.collection === shared.name) body.shared = r.shared;
          r.id = (await records(r).create(body)).id;
          if (bobMaySee(r)) expected.push(`${r.collection} create ${r.id} ${r.n}`);
        });
      } else if (roll < 0.8) {
        const r = pick(mine);
        touched.add(r.id);
        r.n = ++n;
        if (r.collection === shared.name && random() < 0.5) r.shared = !r.shared;
        ops.push(async () => {
          const body = { title: `${owner} ${r.n}`, n: r.n };
          if (r.collection === shared.name) body.shared = r.shared;
          await records(r).update(r.id, body);
          if (bobMaySee(r)) expected.push(`${r.collection} update ${r.id} ${r.n}`);
        });
      } else {
        const r = pick(mine);
        touched.add(r.id);
        live.splice(live.indexOf(r), 1);
        ops.push(async () => {
          await records(r).delete(r.id);
          if (bobMaySee(r)) expected.push(`${r.collection} delete ${r.id} ${r.n}`); // checked on the state before the delete
        });
      }
    }
    await Promise.all(ops.map((op) => op()));
    live.push(...created); // in plan order, so the whole mix is the same on every run
  }
  const writeMs = Date.now() - started;
  // The model the expectations come from matches what the server stored.
  const stored = [];
  for (const c of [priv, shared]) {
    for (const r of await admin.collection(c.name).getFullList({ batch: 1000 })) {
      stored.push(`${c.name} ${r.id} ${r.n} ${c.name === shared.name ? r.shared : ""}`);
    }
  }
  assert.deepEqual(stored.sort(), live.map((r) => `${r.collection} ${r.id} ${r.n} ${r.collection === shared.name ? r.shared : ""}`).sort());

  await settle(received, expected.length, `bob's ${expected.length} events`, 500, 30000).catch(() => {});
  const leaks = received.filter((e) => e.record?.owner === people.alice.id && !(e.collection === shared.name && e.record.shared === true));
  assert.deepEqual(leaks.map((e) => `${e.collection} ${e.action} ${e.record.id} shared=${e.record.shared}`), [],
    "bob received events about alice's private records");
  const got = received.map((e) => `${e.collection} ${e.action} ${e.record?.id} ${e.record?.n}`);
  const missing = expected.filter((k) => !got.includes(k));
  const extra = got.filter((k) => !expected.includes(k));
  assert.deepEqual({ missing: missing.slice(0, 10), missingCount: missing.length, extra: extra.slice(0, 10), extraCount: extra.length },
    { missing: [], missingCount: 0, extra: [], extraCount: 0 });
  assert.equal(received.length, expected.length, "no event twice");
  assert.ok(expected.length > 300, `the mix gave bob ${expected.length} events to see`);
  assert.ok(writeMs < 40000, `1,000 writes took ${writeMs} ms`);
});

test("authWithOAuth2 popup flow: @oauth2 subscription, provider redirect to /api/oauth2-redirect, then the code exchange", async () => {
  const challenges = new Map(); // state -> code_challenge seen at /authorize
  const seen = { redirectStatus: 0 };
  const provider = http.createServer(async (req, res) => {
    const body = await new Promise((r) => { let s = ""; req.on("data", (c) => (s += c)); req.on("end", () => r(s)); });
    const json = (status, value) => { res.writeHead(status, { "content-type": "application/json" }); res.end(JSON.stringify(value)); };
    const url = new URL(req.url, "http://provider");
    if (req.method === "GET" && url.pathname === "/authorize") {
      const state = url.searchParams.get("state");
      challenges.set(state, url.searchParams.get("code_challenge"));
      const back = new URL(url.searchParams.get("redirect_uri"));
      back.searchParams.set("code", "popup-code");
      back.searchParams.set("state", state);
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (req.method === "POST" && url.pathname === "/token") {
      const form = new URLSearchParams(body);
      const verifier = form.get("code_verifier") ?? "";
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      const ok = form.get("code") === "popup-code" && form.get("redirect_uri") === `${server.url}/api/oauth2-redirect`
        && [...challenges.values()].includes(challenge) && form.get("client_id") === "popup-client" && form.get("client_secret") === "popup-secret";
      return ok ? json(200, { access_token: "popup-access", expires_in: 3600 }) : json(400, { error: "invalid_grant" });
    }
    if (req.method === "GET" && url.pathname === "/user" && req.headers.authorization === "Bearer popup-access")
      return json(200, { sub: "p-1", name: "Pop Up", email: "popup@example.com", email_verified: true, picture: "" });
    json(404, {});
  });
  await new Promise((r) => provider.listen(0, "127.0.0.1", r));
  try {
    const providerUrl = `http://127.0.0.1:${provider.address().port}`;
    await admin.collections.update("users", {
      oauth2: {
        enabled: true,
        providers: [{ name: "google", clientId: "popup-client", clientSecret: "popup-secret",
          authURL: `${providerUrl}/authorize`, tokenURL: `${providerUrl}/token`, userInfoURL: `${providerUrl}/user` }],
      },
    });

    const pb = client();
    const auth = await pb.collection("users").authWithOAuth2({
      provider: "google",
      // The "popup": follow the provider's 302 to Cairn's /api/oauth2-redirect by hand (Cairn's own redirect after
      // that may point at a UI page that does not exist here, so it is not followed).
      urlCallback: async (url) => {
        const atProvider = await fetch(url, { redirect: "manual" });
        assert.equal(atProvider.status, 302);
        const location = atProvider.headers.get("location");
        assert.ok(location.startsWith(`${server.url}/api/oauth2-redirect?`), location);
        seen.redirectStatus = (await fetch(location, { redirect: "manual" })).status;
      },
    });
    assert.equal(auth.record.email, "popup@example.com");
    assert.equal(pb.authStore.record.email, "popup@example.com");
    assert.ok(pb.authStore.isValid);
    assert.equal(auth.meta.isNew, true);
    assert.equal(challenges.size, 1, "one authorize request, with the realtime client id as its state");
    assert.equal([...challenges.keys()][0].length, 40);
    assert.ok(seen.redirectStatus >= 200 && seen.redirectStatus < 400, `/api/oauth2-redirect answered ${seen.redirectStatus}`);
  } finally {
    await new Promise((r) => provider.close(r));
  }
});

test("/api/oauth2-redirect pushes only to the @oauth2 client whose id is the state; an unknown state pushes nothing and is no 5xx", async () => {
  const pb = client(), other = client();
  const messages = [], otherMessages = [];
  await pb.realtime.subscribe("@oauth2", (e) => messages.push(e));
  await other.realtime.subscribe("@oauth2", (e) => otherMessages.push(e));
  const state = pb.realtime.clientId;

  const unknown = await fetch(`${server.url}/api/oauth2-redirect?state=unknown&code=x`, { redirect: "manual" });
  assert.ok(unknown.status >= 300 && unknown.status < 500, `unknown state answered ${unknown.status}`);
  const unknownPost = await fetch(`${server.url}/api/oauth2-redirect`, {
    method: "POST", redirect: "manual", body: new URLSearchParams({ state: "unknown", code: "x" }),
  });
  assert.ok(unknownPost.status >= 300 && unknownPost.status < 500, `unknown state (POST) answered ${unknownPost.status}`);

  const good = await fetch(`${server.url}/api/oauth2-redirect?state=${state}&code=first`, { redirect: "manual" });
  assert.ok(good.status >= 200 && good.status < 400, `a live state answered ${good.status}`);
  await settle(messages, 1, "the first @oauth2 message");
  const posted = await fetch(`${server.url}/api/oauth2-redirect`, {
    method: "POST", redirect: "manual", body: new URLSearchParams({ state, code: "second" }),
  });
  assert.ok(posted.status >= 200 && posted.status < 400, `a live state (POST) answered ${posted.status}`);
  await settle(messages, 2, "the second @oauth2 message");

  assert.deepEqual(messages, [{ state, code: "first" }, { state, code: "second" }], "error is omitted when empty");
  assert.deepEqual(otherMessages, [], "another client's @oauth2 subscription gets nothing");
});
