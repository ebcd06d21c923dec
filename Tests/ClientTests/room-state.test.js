// The interview room's state (web-static/js/room-state.js), event by event, without a browser.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  acceptsAnswer, answerText, elapsedMs, initialRoomState, isLive, openTurn, phaseOf, remainingMs, roomEvent, timeWarningMs,
} from '../../web-static/js/room-state.js';

const started = { type: 'session.started', session_id: 'S1', question_count: 9, mode: 'text', sample_rate: 16000, balance_ms: 600000, resume_token: 'secret' };
const question = (id, extra = {}) => ({ type: 'question', question_id: id, number: Number(id.slice(1)), kind: 'main', main_number: 1, text: `Question ${id}?`, target_seconds: 120, ...extra });
const feedback = (id, extra = {}) => ({
  type: 'feedback.live', question_id: id, elapsed_ms: 4000, target_ms: 120000, time_limit_ms: 240000, word_count: 3,
  words_per_minute: null, pace: 'unknown', filler_count: 0, fillers: {}, fillers_per_100_words: 0, hedges: {}, star_parts: [],
  specifics: { numbers: false, named: [], outcome: false }, i_count: 0, we_count: 0, audio_ms: 0, speaking_ms: 0,
  long_pauses: 0, clipping: false, tip: null, ...extra,
});
const ended = (reason, extra = {}) => ({ type: 'session.ended', reason, summary: { used_ms: 1000, text: 'Done.' }, report: {}, ...extra });

/** Deeply frozen, so a handler that changed its input would throw. */
function frozen(value) {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    Object.values(value).forEach(frozen);
  }
  return value;
}

/** Plays events (server messages as objects with a `type` from the protocol, local ones as {local: …}) from `state`. */
function play(events, state = initialRoomState({ mode: 'text', balanceMs: 600000, at: 0 })) {
  let at = 0;
  for (const event of events) {
    at += 100;
    const next = event.local ? { ...event.local, at } : { type: 'server', message: event, at };
    state = roomEvent(frozen(state), frozen(next));
  }
  return state;
}

const typed = (text) => ({ local: { type: 'typed', text } });

test('a typed answer goes into the open turn, and finishing it waits for the engine', () => {
  let state = play([started, question('q1'), typed('At my last job'), typed('I led the release.')]);
  assert.equal(phaseOf(state), 'your-turn');
  assert.equal(isLive(state), true);
  assert.equal(acceptsAnswer(state), true);
  assert.equal(answerText(openTurn(state)), 'At my last job I led the release.');

  state = play([{ local: { type: 'answer-done' } }], state);
  assert.equal(openTurn(state), null);
  assert.equal(phaseOf(state), 'thinking');
  assert.equal(acceptsAnswer(state), false);
  assert.equal(state.entries[0].text, 'At my last job I led the release.');
  assert.equal(state.entries[0].note, '');

  state = play([{ type: 'answer.scored', question_id: 'q1', overall: 61 }, question('q2', { kind: 'follow_up' })], state);
  assert.equal(state.entries.length, 2);
  assert.equal(state.entries[0].score.overall, 61);
  assert.equal(state.entries[1].label, 'Interviewer · follow-up');
  assert.equal(phaseOf(state), 'your-turn');
  assert.deepEqual(state.say, { text: 'Question q2?', key: 'question:q2' });
});

test('feedback counts only for the open question and only until its turn ends', () => {
  let state = play([started, question('q2'), feedback('q1')]);
  assert.equal(state.feedback, null, 'feedback about another question is not shown');
  state = play([feedback('q2', { word_count: 7 })], state);
  assert.equal(state.feedback.word_count, 7);
  state = play([{ type: 'turn.ended', question_id: 'q2', reason: 'time_limit' }, feedback('q2', { word_count: 9 })], state);
  assert.equal(state.feedback.word_count, 7, 'no feedback after the turn ended');
  assert.equal(state.entries[0].note, 'Your turn ended at the time limit. No answer given.');
});

test('a silent spoken answer is noted with its audio, and an answer cut off by the end is marked', () => {
  let state = play([started, question('q1'), feedback('q1', { audio_ms: 65000 }), { type: 'turn.ended', question_id: 'q1', reason: 'silence' }]);
  assert.equal(state.entries[0].note, 'Your turn ended after a pause. Spoken answer (1 min 5 s of audio).');

  state = play([question('q2'), typed('We had six weeks'), ended('client_ended')], state);
  assert.equal(state.entries[1].note, 'The answer was cut off.');
  assert.equal(phaseOf(state), 'ended');
  assert.equal(isLive(state), false);
});

test('a dropped connection that is resumed carries on with the same turn and its answer', () => {
  let state = play([started, question('q1'), typed('We had six weeks.'), { local: { type: 'dropped' } }]);
  assert.equal(state.connection, 'reconnecting');
  assert.equal(phaseOf(state), 'reconnecting');
  assert.equal(isLive(state), true, 'leaving now would still end the session');
  assert.equal(acceptsAnswer(state), false);
  state = play([{ local: { type: 'reconnecting', attempt: 3 } }], state);
  assert.equal(state.reconnectAttempt, 3);

  // The engine answers session.resume, asks the open question again, and reports the balance (PROTOCOL.md §2.10).
  state = play([{ type: 'session.resumed', session_id: 'S1', balance_ms: 512000 }, question('q1'), { type: 'billing.updated', balance_ms: 511000 }], state);
  assert.equal(state.connection, 'resumed');
  assert.equal(state.entries.length, 1, 'the repeated question is the same turn');
  assert.equal(state.say.key, 'question:q1');
  assert.equal(acceptsAnswer(state), true);
  state = play([typed('I wrote the plan.')], state);
  assert.equal(answerText(openTurn(state)), 'We had six weeks. I wrote the plan.');
  assert.equal(state.balance.ms, 511000);
});

test('a session the engine no longer has ends the interview, and a new one starts below the old transcript', () => {
  let state = play([started, question('q1'), typed('We had six weeks.'), { local: { type: 'dropped' } }, { local: { type: 'resume-failed' } }]);
  assert.equal(state.connection, 'lost');
  assert.equal(phaseOf(state), 'interrupted');
  assert.equal(isLive(state), false);
  assert.equal(state.entries[0].open, false);
  assert.equal(state.entries[0].note, 'The answer was cut off.');

  state = play([{ local: { type: 'connecting' } }, { ...started, session_id: 'S2' }, question('q1')], state);
  assert.deepEqual(state.entries.map((entry) => entry.kind), ['turn', 'divider', 'turn']);
  assert.equal(state.session.session_id, 'S2');
  assert.equal(phaseOf(state), 'your-turn');
});

test('every reconnect failing leaves a way to try again; a policy close is final', () => {
  let state = play([started, question('q1'), { local: { type: 'dropped' } }, { local: { type: 'reconnect-failed' } }]);
  assert.equal(phaseOf(state), 'interrupted');
  state = play([{ local: { type: 'retry-reconnect' } }], state);
  assert.equal(state.connection, 'reconnecting');

  state = play([started, question('q1'), typed('Half an'), { local: { type: 'dropped', final: true } }]);
  assert.equal(state.connection, 'signed-out');
  assert.equal(state.entries[0].note, 'The answer was cut off.');
});

test('errors the engine sends on its own are shown; replies, refused late transcripts and errors after the end are not', () => {
  const error = (extra) => ({ type: 'error', code: 'audio_flood', message: 'Too many frames.', fatal: false, ...extra });
  let state = play([started, question('q1'), error({ id: 'c3' }), error({ code: 'turn_ended', message: 'late' })]);
  assert.equal(state.serverError, null);
  state = play([error()], state);
  assert.equal(state.serverError.message, 'Too many frames.');
  state = play([{ local: { type: 'ending' } }, error({ message: 'after the end' })], state);
  assert.equal(state.serverError.message, 'Too many frames.');
});

test('nudges join the turn and are said once each; a barge-in stops the reading', () => {
  let state = play([started, question('q1'), { local: { type: 'reading', reading: true } }]);
  assert.equal(phaseOf(state), 'speaking');
  state = play([{ type: 'playback.stop', question_id: 'q1', reason: 'barge_in' }], state);
  assert.equal(state.playbackStops, 1);
  assert.equal(phaseOf(state), 'your-turn');
  state = play([{ type: 'nudge', question_id: 'q1', number: 1, text: 'Take your time.' }, { type: 'nudge', question_id: 'q9', number: 2, text: 'Elsewhere.' }], state);
  assert.deepEqual(openTurn(state).nudges, ['Take your time.']);
  assert.equal(state.say.key, 'nudge:q1:1');
});

test('the engine’s speech detector says when a voice candidate is talking', () => {
  let state = play([{ ...started, mode: 'voice' }, question('q1'), { type: 'speech.started', audio_ms: 600 }],
    initialRoomState({ mode: 'voice', balanceMs: 600000 }));
  assert.equal(phaseOf(state), 'listening');
  state = play([{ type: 'speech.stopped', audio_ms: 4000 }], state);
  assert.equal(phaseOf(state), 'your-turn');
});

test('the clocks move between the engine’s events only while the session runs', () => {
  let state = roomEvent(play([started, question('q1')]), { type: 'server', message: feedback('q1', { elapsed_ms: 4000 }), at: 1000 });
  state = roomEvent(state, { type: 'server', message: { type: 'billing.updated', balance_ms: 60000 }, at: 1000 });
  assert.equal(elapsedMs(state, 1600), 4600);
  assert.equal(remainingMs(state, 1600), 59400);
  assert.equal(remainingMs(state, 9000), 58500, 'never more than 1.5 s ahead of the last settlement');
  state = roomEvent(state, { type: 'server', message: { type: 'answer.time_warning', question_id: 'q1', remaining_ms: 15000 }, at: 2000 });
  assert.equal(timeWarningMs(state, 7000), 10000);
  assert.equal(timeWarningMs(state, 17000), null);
  state = roomEvent(state, { type: 'dropped', at: 2000 });
  assert.equal(elapsedMs(state, 5000), 4000, 'the clock stops while the connection is down');
  assert.equal(remainingMs(state, 5000), 60000);
});

test('running out of minutes ends the room at a zero balance; a refused start keeps its reason', () => {
  let state = play([started, question('q1'), ended('balance_exhausted')]);
  assert.equal(state.balance.ms, 0);
  state = play([{ local: { type: 'start-refused', code: 'insufficient_balance', message: 'Your minute balance is zero.' } }]);
  assert.equal(phaseOf(state), 'interrupted');
  assert.deepEqual(state.startProblem, { code: 'insufficient_balance', message: 'Your minute balance is zero.' });
});

test('the engine\'s transcripts fill the open turn: interim ones replace each other, final ones stay', () => {
  const voice = initialRoomState({ mode: 'voice', balanceMs: 600000, at: 0 });
  let state = play([{ ...started, mode: 'voice', transcription: 'engine' }, question('q1')], voice);
  assert.equal(state.transcription, 'engine');
  state = play([
    { type: 'transcript', question_id: 'q1', text: 'At my last', final: false },
    { type: 'transcript', question_id: 'q1', text: 'At my last job we', final: false },
  ], state);
  assert.equal(answerText(openTurn(state)), 'At my last job we');
  state = play([
    { type: 'transcript', question_id: 'q1', text: 'At my last job we shipped.', final: true },
    { type: 'transcript', question_id: 'q0', text: 'an old turn', final: true },
    { type: 'transcript', question_id: 'q1', text: 'It took', final: false },
  ], state);
  assert.deepEqual(openTurn(state).finals, ['At my last job we shipped.']);
  assert.equal(answerText(openTurn(state)), 'At my last job we shipped. It took');
  state = play([{ type: 'turn.ended', question_id: 'q1', reason: 'silence' }], state);
  assert.equal(state.entries.at(-1).text, 'At my last job we shipped. It took');
  // After the turn ended, a late transcript changes nothing.
  const late = play([{ type: 'transcript', question_id: 'q1', text: 'late', final: true }], state);
  assert.deepEqual(late.entries, state.entries);
});

test('transcription.status says when the engine cannot transcribe, and when it can again', () => {
  const voice = initialRoomState({ mode: 'voice', balanceMs: 600000, at: 0 });
  let state = play([{ ...started, mode: 'voice', transcription: 'engine' }, question('q1')], voice);
  state = play([{ type: 'transcription.status', transcription: 'unavailable', message: 'Your last words could not be transcribed.' }], state);
  assert.equal(state.transcription, 'unavailable');
  state = play([{ type: 'transcription.status', transcription: 'engine', message: 'Transcription works again.' }], state);
  assert.equal(state.transcription, 'engine');
  // A session whose words come from the browser stays that way.
  const client = play([{ ...started, mode: 'voice', transcription: 'client' }, question('q1'),
    { type: 'transcription.status', transcription: 'unavailable', message: '…' }], voice);
  assert.equal(client.transcription, 'client');
  assert.equal(play([started], voice).transcription, 'client');
});

test("the interviewer thinking shows only between a turn's end and the next question", () => {
  let state = play([started, question('q1'), { type: 'interviewer.thinking', after_question_id: 'q1', budget_ms: 2500 }]);
  assert.equal(state.interviewerThinking, false, 'not while the candidate is answering');
  state = play([{ type: 'turn.ended', question_id: 'q1', reason: 'silence' },
    { type: 'interviewer.thinking', after_question_id: 'q1', budget_ms: 2500 }], state);
  assert.equal(state.interviewerThinking, true);
  assert.equal(phaseOf(state), 'thinking');
  state = play([question('q2', { kind: 'follow_up' })], state);
  assert.equal(state.interviewerThinking, false);
  assert.equal(phaseOf(state), 'your-turn');
});

test('a written report announced by session.ended arrives as report.written', () => {
  let state = play([started, question('q1'), ended('client_ended', { written_report_pending: true })]);
  assert.deepEqual(state.writtenReport, { status: 'pending' });
  state = play([{ type: 'report.written', available: true, summary: 'You gave clear numbers.', practise: ['One.', 'Two.', 'Three.'], model: 'm' }], state);
  assert.deepEqual(state.writtenReport, { status: 'ready', summary: 'You gave clear numbers.', practise: ['One.', 'Two.', 'Three.'], model: 'm' });
  // The session's end is what it was: only the written part changed.
  assert.equal(state.ended.reason, 'client_ended');
});

test('a written report that did not come is shown as not ready, and nothing is expected without the flag', () => {
  let state = play([started, question('q1'), ended('completed', { written_report_pending: true }), { type: 'report.written', available: false }]);
  assert.deepEqual(state.writtenReport, { status: 'unavailable' });
  state = play([started, question('q1'), ended('completed')]);
  assert.equal(state.writtenReport, null);
  // A report.written nobody announced (or a second one) changes nothing.
  assert.equal(play([{ type: 'report.written', available: true, summary: 'Late.', practise: [] }], state), state);
});
