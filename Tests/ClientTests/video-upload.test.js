// The video chunk uploader (web-static/js/video-upload.js) against a fake engine: order, retries, resuming after a
// reconnect, bounded memory, and the engine's refusals.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkUploader } from '../../web-static/js/video-upload.js';

/** A stand-in blob: only its size matters to the uploader. */
const blob = (size = 10, label = '') => ({ size, label });

/** An engine that keeps chunks idempotently per number, like the real one; `script` answers chosen calls instead. */
function fakeEngine() {
  const engine = {
    stored: new Map(),
    calls: [],
    script: [],
    finishedWith: null,
    answer(kind, number) {
      const index = engine.script.findIndex((entry) => entry.kind === kind && (entry.number === undefined || entry.number === number));
      if (index < 0) return null;
      const [entry] = engine.script.splice(index, 1);
      return entry.answer;
    },
    state() {
      let next = 0;
      while (engine.stored.has(next)) next += 1;
      return { next_chunk: next, held: [...engine.stored.keys()].filter((number) => number > next) };
    },
  };
  engine.transport = {
    begin: async () => {
      engine.calls.push('begin');
      return engine.answer('begin') ?? { status: 200, video: engine.state() };
    },
    put: async (number, data) => {
      engine.calls.push(`put ${number}`);
      const scripted = engine.answer('put', number);
      if (scripted) return scripted;
      engine.stored.set(number, data);
      return { status: 200 };
    },
    finish: async (count) => {
      engine.calls.push(`finish ${count}`);
      engine.finishedWith = count;
      return engine.answer('finish') ?? { status: 200, video: engine.state() };
    },
  };
  return engine;
}

function uploader(engine, options = {}) {
  const waits = [];
  const upload = new ChunkUploader({ transport: engine.transport, wait: async (ms) => { waits.push(ms); }, options });
  return { upload, waits };
}

test('chunks go in number order, one at a time, and finishing tells the engine how many there were', async () => {
  const engine = fakeEngine();
  const { upload } = uploader(engine);
  assert.equal(await upload.begin(), true);
  for (let i = 0; i < 5; i += 1) upload.add(blob(10, `c${i}`));
  await upload.finish();
  assert.deepEqual(engine.calls, ['begin', 'put 0', 'put 1', 'put 2', 'put 3', 'put 4', 'finish 5']);
  assert.deepEqual([...engine.stored.values()].map((chunk) => chunk.label), ['c0', 'c1', 'c2', 'c3', 'c4']);
  assert.equal(upload.status, 'done');
  assert.equal(upload.uploadedBytes, 50);
});

test('no chunk is sent before the engine has started the video', async () => {
  const engine = fakeEngine();
  const { upload } = uploader(engine);
  upload.add(blob());
  upload.add(blob());
  await Promise.resolve();
  assert.deepEqual(engine.calls, []);
  await upload.begin();
  await upload.finish();
  assert.deepEqual(engine.calls, ['begin', 'put 0', 'put 1', 'finish 2']);
});

test('a chunk is retried with backoff through network failures and server errors, and after 429 as told', async () => {
  const engine = fakeEngine();
  engine.script.push({ kind: 'put', number: 1, answer: { status: 0 } }, { kind: 'put', number: 1, answer: { status: 503 } },
    { kind: 'put', number: 2, answer: { status: 429, code: 'rate_limited', retryAfterMs: 3000 } });
  const { upload, waits } = uploader(engine);
  await upload.begin();
  for (let i = 0; i < 3; i += 1) upload.add(blob());
  await upload.finish();
  assert.deepEqual(engine.calls, ['begin', 'put 0', 'put 1', 'put 1', 'put 1', 'put 2', 'put 2', 'finish 3']);
  assert.deepEqual(waits, [500, 1000, 3000]);
  assert.deepEqual([...engine.stored.keys()], [0, 1, 2]);
});

test('after a reconnect only what the engine lacks is sent, held chunks included', async () => {
  const engine = fakeEngine();
  const { upload } = uploader(engine);
  await upload.begin();
  // The engine got 0, 1 and 3 before the connection dropped (the page never heard its answers).
  engine.stored.set(0, blob()).set(1, blob()).set(3, blob());
  engine.script.push({ kind: 'put', number: 0, answer: { status: 0 } });
  for (let i = 0; i < 5; i += 1) upload.add(blob());
  upload.reconnected();
  await upload.finish();
  // Chunk 0 is retried as it was (the engine has it: harmless), then the page asks what the engine has.
  assert.deepEqual(engine.calls, ['begin', 'put 0', 'put 0', 'begin', 'put 2', 'put 4', 'finish 5']);
  assert.deepEqual([...engine.stored.keys()].sort(), [0, 1, 2, 3, 4]);
  assert.equal(upload.uploaded, 5);
});

test('a chunk the engine refuses for good is dropped (a gap) and the rest go on', async () => {
  const engine = fakeEngine();
  engine.script.push({ kind: 'put', number: 1, answer: { status: 413, code: 'chunk_too_large', message: 'too big' } });
  const { upload } = uploader(engine);
  await upload.begin();
  for (let i = 0; i < 3; i += 1) upload.add(blob());
  await upload.finish();
  assert.deepEqual(upload.dropped, [1]);
  assert.deepEqual([...engine.stored.keys()], [0, 2]);
  assert.equal(engine.finishedWith, 3);
  assert.equal(upload.lastRefusal, 'too big');
});

test('a full account stops the upload with the engine’s message, and nothing more is sent', async () => {
  const engine = fakeEngine();
  engine.script.push({ kind: 'put', number: 1, answer: { status: 507, code: 'storage_limit_reached', message: 'Your recordings use 2048 MiB' } });
  const { upload } = uploader(engine);
  await upload.begin();
  for (let i = 0; i < 4; i += 1) upload.add(blob());
  await upload.finish();
  assert.equal(upload.status, 'stopped');
  assert.equal(upload.stopped.message, 'Your recordings use 2048 MiB');
  assert.deepEqual(engine.calls, ['begin', 'put 0', 'put 1']);
  upload.add(blob());
  await Promise.resolve();
  assert.deepEqual(engine.calls, ['begin', 'put 0', 'put 1']);
});

test('a refused start stops everything: no chunk leaves', async () => {
  const engine = fakeEngine();
  engine.script.push({ kind: 'begin', answer: { status: 409, code: 'session_ended', message: 'This interview has ended' } });
  const { upload } = uploader(engine);
  assert.equal(await upload.begin(), false);
  upload.add(blob());
  await upload.finish();
  assert.deepEqual(engine.calls, ['begin']);
  assert.equal(upload.stopped.code, 'session_ended');
});

test('while the engine is unreachable memory stays bounded: the oldest unsent chunks go first', async () => {
  const engine = fakeEngine();
  const { upload } = uploader(engine, { maxQueuedBytes: 30 });
  // Start, then lose the network before any chunk: the first put fails until the test lets it through.
  await upload.begin();
  let release;
  const blocked = new Promise((resolve) => { release = resolve; });
  const put = engine.transport.put;
  engine.transport.put = async (number, data) => { await blocked; return put(number, data); };
  for (let i = 0; i < 6; i += 1) upload.add(blob(10));
  assert.ok(upload.queuedBytes <= 30);
  release();
  await upload.finish();
  // Chunk 0 was in flight (kept); 1, 2 and 3 were dropped in turn to make room for the newer ones.
  assert.deepEqual(upload.dropped, [1, 2, 3]);
  assert.deepEqual([...engine.stored.keys()], [0, 4, 5]);
  assert.equal(engine.finishedWith, 6);
});
