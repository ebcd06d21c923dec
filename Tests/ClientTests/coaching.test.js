// How the coaching panel reads the engine's feedback.live (web-static/js/coaching.js): it shows the engine's
// judgement, never its own.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countBreakdown, paceBands, paceReading, timeReading } from '../../web-static/js/coaching.js';

test('the pace label and band are the engine’s, placed on the 60–220 wpm gauge', () => {
  assert.deepEqual(paceReading({ words_per_minute: 140, pace: 'good' }), { position: 0.5, label: '140 wpm — Good pace', band: 'good' });
  // The engine's band wins even where the page's gauge would colour it otherwise.
  assert.equal(paceReading({ words_per_minute: 100, pace: 'good' }).band, 'good');
  assert.equal(paceReading({ words_per_minute: 400, pace: 'fast' }).position, 1);
  assert.deepEqual(paceReading({ words_per_minute: null, pace: 'unknown' }), { position: null, label: 'Measuring…', band: 'unknown' });
  assert.equal(paceReading(null).label, 'Measuring…');
  assert.ok(paceBands.slowEnd < paceBands.idealStart && paceBands.idealStart < paceBands.idealEnd && paceBands.idealEnd < paceBands.fastStart);
});

test('fillers and hedges are listed most frequent first', () => {
  assert.equal(countBreakdown({ like: 1, um: 3, uh: 1, er: 0 }), '“um” ×3, “like” ×1, “uh” ×1');
  assert.equal(countBreakdown({}), '');
});

test('the answer clock colours near and past the target', () => {
  assert.deepEqual(timeReading(60000, 120000), { fraction: 0.5, state: 'ok' });
  assert.equal(timeReading(100000, 120000).state, 'near');
  assert.deepEqual(timeReading(180000, 120000), { fraction: 1, state: 'over' });
  assert.deepEqual(timeReading(5000, 0), { fraction: 0, state: 'ok' });
});
