// The browser's interview connection across drops: reconnect delays, resume, a resume that gets no answer, refusals
// and policy closes. A fake WebSocket stands in for the browser's and the timers are node's mock timers, so no test
// waits in real time.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';

class FakeWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 3;
  /** Every socket the client opened, oldest first. */
  static made = [];

  constructor(url) {
    this.url = url;
    this.readyState = FakeWebSocket.CONNECTING;
    this.sent = [];
    this.closedWith = null;
    this.bufferedAmount = 0;
    FakeWebSocket.made.push(this);
  }

  send(data) { this.sent.push(JSON.parse(data)); }
  close(code, reason) {
    this.closedWith = { code, reason };
    this.readyState = FakeWebSocket.CLOSED;
  }

  // What the network does to it.
  accept() {
    this.readyState = FakeWebSocket.OPEN;
    this.onopen?.();
  }
  refuse() {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code: 1006, reason: '' });
  }
  drop(code = 1006, reason = '') {
    this.readyState = FakeWebSocket.CLOSED;
    this.onclose?.({ code, reason });
  }
  reply(message) { this.onmessage?.({ data: JSON.stringify(message) }); }
}

globalThis.WebSocket = FakeWebSocket;
globalThis.window = Object.assign(new EventTarget(), { location: { protocol: 'https:', host: 'app.example.com' } });
console.info = () => {};  // the client logs every close for support; not wanted in test output

const { InterviewSocket } = await import('../../web-static/js/interview-socket.js');

/** Lets promise callbacks (the client's awaits) run; mock timers do not cover setImmediate. */
const settle = () => new Promise((resolve) => setImmediate(resolve));
const latest = () => FakeWebSocket.made.at(-1);

function events(socket) {
  const seen = [];
  for (const type of ['dropped', 'reconnecting', 'resume-unavailable', 'reconnect-failed', 'closed']) {
    socket.addEventListener(type, (event) => seen.push({ type, detail: event.detail }));
  }
  return seen;
}

/** A client with a live session whose resume token is `token`. */
async function liveSession(token = 'node-a.first') {
  const socket = new InterviewSocket();
  const connected = socket.connect();
  latest().accept();
  await connected;
  const started = socket.start({ track: 'swe', mode: 'text' });
  const request = latest().sent.at(-1);
  latest().reply({ type: 'session.started', id: request.id, session_id: 'S1', resume_token: token });
  await started;
  return socket;
}

beforeEach(() => {
  FakeWebSocket.made = [];
  mock.timers.enable({ apis: ['setTimeout'] });
});
afterEach(() => mock.timers.reset());

test('the page talks to its own host, over wss on https', async () => {
  await liveSession();
  assert.equal(FakeWebSocket.made[0].url, 'wss://app.example.com/v1/interview');
});

test('a drop reconnects after the first delay, to the node in the token, and resumes with the token', async () => {
  const socket = await liveSession('node-a.first');
  const seen = events(socket);
  latest().drop(1006);
  assert.equal(socket.state, 'reconnecting');
  assert.deepEqual(seen.map((e) => e.type), ['dropped', 'reconnecting']);
  assert.equal(FakeWebSocket.made.length, 1, 'no new connection before the delay');

  mock.timers.tick(300);
  assert.equal(FakeWebSocket.made.length, 2);
  assert.equal(latest().url, 'wss://app.example.com/v1/interview?node=node-a');
  latest().accept();
  await settle();
  const resume = latest().sent.at(-1);
  assert.equal(resume.type, 'session.resume');
  assert.equal(resume.session_id, 'S1');
  assert.equal(resume.resume_token, 'node-a.first');

  latest().reply({ type: 'session.resumed', id: resume.id, session_id: 'S1', resume_token: 'node-a.second' });
  await settle();
  assert.equal(socket.state, 'live');
  assert.equal(socket.started.resume_token, 'node-a.second', 'the next drop needs the new token');
});

test('a resume with no answer in 5 s closes that connection and asks again on a new one', async () => {
  const socket = await liveSession('node-a.first');
  latest().drop(1006);
  mock.timers.tick(300);
  const silent = latest();
  silent.accept();
  await settle();
  assert.equal(silent.sent.at(-1).type, 'session.resume');

  mock.timers.tick(4999);
  await settle();
  assert.equal(silent.closedWith, null, 'still waiting just before 5 s');
  mock.timers.tick(1);
  await settle();
  assert.deepEqual(silent.closedWith, { code: 4000, reason: 'resume timed out' });
  assert.equal(socket.state, 'reconnecting');

  // The next attempt waits the second delay, then asks again with the same token.
  mock.timers.tick(999);
  assert.equal(FakeWebSocket.made.length, 2);
  mock.timers.tick(1);
  assert.equal(FakeWebSocket.made.length, 3);
  latest().accept();
  await settle();
  const again = latest().sent.at(-1);
  assert.equal(again.type, 'session.resume');
  assert.equal(again.resume_token, 'node-a.first');
  latest().reply({ type: 'session.resumed', id: again.id, session_id: 'S1', resume_token: 'node-a.second' });
  await settle();
  assert.equal(socket.state, 'live');

  // The closed connection's late close event changes nothing.
  silent.drop(4000, 'resume timed out');
  assert.equal(socket.state, 'live');
});

test('a refused resume keeps the new connection for a new session', async () => {
  const socket = await liveSession();
  const seen = events(socket);
  latest().drop(1006);
  mock.timers.tick(300);
  latest().accept();
  await settle();
  const resume = latest().sent.at(-1);
  latest().reply({ type: 'error', id: resume.id, code: 'resume_expired', message: 'The interview has ended.' });
  await settle();
  assert.equal(socket.state, 'open');
  assert.equal(socket.started, null);
  const refusal = seen.find((e) => e.type === 'resume-unavailable');
  assert.equal(refusal?.detail.code, 'resume_expired');
});

test('connections that cannot be opened are retried with growing delays, then given up', async () => {
  const socket = await liveSession();
  const seen = events(socket);
  latest().drop(1006);
  for (const delay of [300, 1000, 2000, 4000, 8000, 15000]) {
    const before = FakeWebSocket.made.length;
    mock.timers.tick(delay - 1);
    assert.equal(FakeWebSocket.made.length, before, `not before ${delay} ms`);
    mock.timers.tick(1);
    assert.equal(FakeWebSocket.made.length, before + 1);
    latest().refuse();
    await settle();
  }
  assert.deepEqual(seen.filter((e) => e.type === 'reconnecting').map((e) => e.detail.delayMs),
    [300, 1000, 2000, 4000, 8000, 15000]);
  assert.equal(seen.at(-1).type, 'reconnect-failed');
  assert.equal(socket.state, 'closed');
});

test('a policy close (the sign-in ended) is final: no reconnect', async () => {
  const socket = await liveSession();
  const seen = events(socket);
  latest().drop(1008, 'signed out');
  mock.timers.tick(60_000);
  assert.equal(FakeWebSocket.made.length, 1);
  assert.equal(socket.state, 'closed');
  assert.deepEqual(seen, [{ type: 'dropped', detail: { code: 1008, reason: 'signed out', final: true } }]);
});

test('coming back online tries at once instead of waiting out the delay', async () => {
  const socket = await liveSession();
  latest().drop(1006);
  mock.timers.tick(300);
  latest().refuse();
  await settle();
  assert.equal(FakeWebSocket.made.length, 2, 'now waiting the 1 s delay');
  window.dispatchEvent(new Event('online'));
  mock.timers.tick(0);
  assert.equal(FakeWebSocket.made.length, 3);
  assert.equal(socket.state, 'reconnecting');
});

test('a session that ended closes without reconnecting', async () => {
  const socket = await liveSession();
  const seen = events(socket);
  latest().reply({ type: 'session.ended', session_id: 'S1', reason: 'client_ended' });
  latest().drop(1000);
  mock.timers.tick(60_000);
  assert.equal(FakeWebSocket.made.length, 1);
  assert.deepEqual(seen.map((e) => e.type), ['closed']);
});
