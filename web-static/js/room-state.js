// The interview room as data: each event (from the engine, the connection, or the candidate) goes in, the next room
// state comes out. No DOM, no clock, no socket: the views in views/room/ render this state, and
// Tests/ClientTests/ runs it in Node. Events carry `at` (milliseconds on the page's clock) where time matters.

import * as format from './format.js';

/** The room before anything happened. `balanceMs` is the account's balance as the page last knew it. */
export function initialRoomState({ mode, balanceMs = null, at = 0 }) {
  return {
    mode,
    /** connecting | live | reconnecting | resumed | lost | failed | signed-out | refused | ended */
    connection: 'connecting',
    reconnectAttempt: 0,
    resumedAt: null,
    /** Why the start failed ({code, message}); only while `connection` is refused. */
    startProblem: null,
    /** The engine's session.started of the session in this room. */
    session: null,
    sessionCount: 0,
    /** The open question (the engine's question event). */
    question: null,
    /** True from the end of a turn until the engine sends what comes next. */
    awaitingNext: false,
    /** The engine's model is wording the next question (`interviewer.thinking`, PROTOCOL.md §3.18). */
    interviewerThinking: false,
    /** The transcript, oldest first: turns ({kind: 'turn', …}) and, between sessions, dividers ({kind: 'divider'}). */
    entries: [],
    /** The latest feedback.live for the open question, and when it came. */
    feedback: null,
    feedbackAt: null,
    /** The latest answer.time_warning for the open question ({remainingMs, at}). */
    timeWarning: null,
    balance: { ms: balanceMs, at },
    billingWarning: null,
    /** The latest error the engine sent on its own ({message, at}). */
    serverError: null,
    /** What the engine's speech detector last said about the candidate (voice sessions). */
    candidateSpeaking: false,
    /** Whether the page is reading the question or a nudge aloud. */
    interviewerReading: false,
    /** The candidate asked to end: errors for frames still on the wire are of no interest any more. */
    ending: false,
    ended: null,
    /**
     * The model's written report after session.ended (PROTOCOL.md §3.19): null when none is coming, else
     * {status: 'pending'}, {status: 'ready', summary, practise, model} or {status: 'unavailable'}.
     */
    writtenReport: null,
    /** Whatever the interviewer should say aloud next ({text, key}); the voice view reads it once per key. */
    say: null,
    /** How many times the engine asked the page to stop reading (playback.stop on a barge-in). */
    playbackStops: 0,
    /**
     * Who turns the candidate's speech into words: 'engine' (the engine's transcriber; its `transcript` events fill
     * the answer and the browser's recogniser stays off), 'unavailable' (the engine's transcriber failed on the last
     * words, per transcription.status) or 'client' (the browser's recogniser, when it has one).
     */
    transcription: 'client',
  };
}

/** The next state after `event`. Never changes `state`. */
export function roomEvent(state, event) {
  const handler = handlers[event.type];
  return handler ? handler(state, event) : state;
}

/** Which state the room is in for people: the status pill. */
export function phaseOf(state) {
  if (state.ended) return 'ended';
  if (state.connection === 'reconnecting') return 'reconnecting';
  if (['lost', 'failed', 'signed-out', 'refused'].includes(state.connection)) return 'interrupted';
  if (!state.question) return 'connecting';
  if (state.awaitingNext) return 'thinking';
  if (state.interviewerReading) return 'speaking';
  if (state.mode === 'voice' && state.candidateSpeaking) return 'listening';
  return 'your-turn';
}

/** True while a session runs or is being reconnected: leaving the page would end it. */
export function isLive(state) {
  return !state.ended && state.session !== null && ['live', 'reconnecting', 'resumed'].includes(state.connection);
}

/** Whether the candidate's words can go to the engine now. */
export function acceptsAnswer(state) {
  return ['live', 'resumed'].includes(state.connection) && state.question !== null && !state.awaitingNext && !state.ended;
}

/** The open question's transcript entry, or null. */
export function openTurn(state) {
  const last = state.entries[state.entries.length - 1];
  return last?.kind === 'turn' && last.open ? last : null;
}

/** What the candidate has said or typed for a turn so far, as one text. */
export function answerText(turn) {
  return [...turn.chunks, ...turn.finals, turn.partial].filter(Boolean).join(' ');
}

/** The answer clock for the open question at `now`: the engine's elapsed_ms, moved on between its events. */
export function elapsedMs(state, now) {
  if (!state.question || !state.feedback) return 0;
  const running = ['live', 'resumed'].includes(state.connection) && !state.awaitingNext;
  return state.feedback.elapsed_ms + (running ? now - state.feedbackAt : 0);
}

/** The balance at `now`: between settlements (about a second apart) it keeps falling while the session runs. */
export function remainingMs(state, now) {
  if (state.balance.ms === null) return null;
  const running = ['live', 'resumed'].includes(state.connection) && !state.ended && state.session !== null;
  return Math.max(0, state.balance.ms - (running ? Math.min(1500, now - state.balance.at) : 0));
}

/** Seconds left before the answer's time limit after an answer.time_warning, or null. */
export function timeWarningMs(state, now) {
  if (!state.timeWarning || state.awaitingNext) return null;
  const left = state.timeWarning.remainingMs - (now - state.timeWarning.at);
  return left > 0 ? left : null;
}

// MARK: Handlers

const turnEndNotes = {
  silence: 'Your turn ended after a pause.',
  time_limit: 'Your turn ended at the time limit.',
};

function withOpenTurn(state, change) {
  const turn = openTurn(state);
  if (!turn) return state;
  return { ...state, entries: [...state.entries.slice(0, -1), { ...turn, ...change(turn) }] };
}

/** Closes the open turn; `cutOff` when the session ended or dropped in the middle of it. */
function closeTurn(state, { cutOff, endNote = null }) {
  return withOpenTurn(state, (turn) => {
    const text = answerText(turn);
    const audioMs = state.feedback?.question_id === turn.questionId ? state.feedback.audio_ms : 0;
    let note = '';
    if (!text && audioMs > 0) note = `Spoken answer (${format.duration(audioMs)} of audio).`;
    else if (!text) note = cutOff ? 'No answer.' : 'No answer given.';
    else if (cutOff) note = 'The answer was cut off.';
    if (endNote) note = note ? `${endNote} ${note}` : endNote;
    return { open: false, text, partial: '', note };
  });
}

function turnLabel(question) {
  return question.kind === 'follow_up' ? 'Interviewer · follow-up' : `Interviewer · question ${question.main_number}`;
}

const serverHandlers = {
  'session.started': (state, message, at) => ({
    ...state,
    connection: 'live',
    startProblem: null,
    session: message,
    transcription: message.transcription === 'engine' ? 'engine' : 'client',
    sessionCount: state.sessionCount + 1,
    entries: state.sessionCount > 0 ? [...state.entries, { kind: 'divider', text: 'A new interview started' }] : state.entries,
    ended: null,
    ending: false,
    billingWarning: null,
    balance: { ms: message.balance_ms, at },
  }),

  'session.resumed': (state, message, at) => ({
    ...state,
    connection: 'resumed',
    resumedAt: at,
    balance: { ms: message.balance_ms, at },
  }),

  question: (state, message) => {
    // After a resume the engine asks the open question again: the turn and its answer so far carry on.
    if (state.question?.question_id === message.question_id && openTurn(state)) {
      return { ...state, question: message, awaitingNext: false, interviewerThinking: false };
    }
    const closed = closeTurn(state, { cutOff: false });
    return {
      ...closed,
      question: message,
      awaitingNext: false,
      interviewerThinking: false,
      feedback: null,
      feedbackAt: null,
      timeWarning: null,
      entries: [...closed.entries, {
        kind: 'turn', questionId: message.question_id, label: turnLabel(message), question: message.text,
        chunks: [], finals: [], partial: '', text: '', nudges: [], open: true, note: '', score: null,
      }],
      say: { text: message.text, key: `question:${message.question_id}` },
    };
  },

  /** Only between a turn's end and the next question: the question card says the interviewer is thinking. */
  'interviewer.thinking': (state) => (state.awaitingNext ? { ...state, interviewerThinking: true } : state),

  'feedback.live': (state, message, at) => {
    if (message.question_id !== state.question?.question_id || state.awaitingNext) return state;
    return { ...state, feedback: message, feedbackAt: at };
  },

  'billing.updated': (state, message, at) => ({ ...state, balance: { ms: message.balance_ms, at } }),

  'billing.warning': (state, message) => (state.billingWarning ? state : { ...state, billingWarning: { remainingMs: message.remaining_ms } }),

  /** The engine's own transcript: interim ones replace each other, a final one is kept (PROTOCOL.md §3.16). */
  transcript: (state, message) => {
    if (message.question_id !== state.question?.question_id || state.awaitingNext) return state;
    return withOpenTurn(state, (turn) => (message.final
      ? { finals: [...turn.finals, message.text], partial: '' }
      : { partial: message.text }));
  },

  'transcription.status': (state, message) => (state.transcription === 'client'
    ? state
    : { ...state, transcription: message.transcription === 'engine' ? 'engine' : 'unavailable' }),

  'speech.started': (state) => ({ ...state, candidateSpeaking: true }),
  'speech.stopped': (state) => ({ ...state, candidateSpeaking: false }),

  'turn.ended': (state, message) => {
    if (message.question_id !== state.question?.question_id || state.awaitingNext) return state;
    return { ...closeTurn(state, { cutOff: false, endNote: turnEndNotes[message.reason] ?? null }), awaitingNext: true };
  },

  'answer.scored': (state, message) => ({
    ...state,
    entries: state.entries.map((entry) => (entry.kind === 'turn' && entry.questionId === message.question_id && !entry.score
      ? { ...entry, score: message } : entry)),
  }),

  nudge: (state, message) => {
    if (message.question_id !== state.question?.question_id) return state;
    const next = withOpenTurn(state, (turn) => ({ nudges: [...turn.nudges, message.text] }));
    return { ...next, say: { text: message.text, key: `nudge:${message.question_id}:${message.number}` } };
  },

  'answer.time_warning': (state, message, at) => {
    if (message.question_id !== state.question?.question_id) return state;
    return { ...state, timeWarning: { remainingMs: message.remaining_ms, at } };
  },

  'playback.stop': (state, message) => {
    if (message.question_id !== state.question?.question_id) return state;
    return { ...state, playbackStops: state.playbackStops + 1, interviewerReading: false };
  },

  'session.ended': (state, message) => ({
    ...closeTurn(state, { cutOff: message.reason !== 'completed' }),
    connection: 'ended',
    ended: message,
    awaitingNext: false,
    candidateSpeaking: false,
    balance: message.reason === 'balance_exhausted' ? { ...state.balance, ms: 0 } : state.balance,
    say: message.closing ? { text: message.closing, key: 'closing' } : state.say,
    writtenReport: message.written_report_pending ? { status: 'pending' } : null,
  }),

  'report.written': (state, message) => {
    if (state.writtenReport?.status !== 'pending') return state;
    const ready = message.available && typeof message.summary === 'string' && Array.isArray(message.practise);
    return {
      ...state,
      writtenReport: ready
        ? { status: 'ready', summary: message.summary, practise: message.practise.filter((item) => typeof item === 'string'), model: message.model }
        : { status: 'unavailable' },
    };
  },

  error: (state, message, at) => {
    // Replies to the page's own requests (with an id) are answered where they were asked. A recogniser's late result
    // for a turn that has ended is refused as intended (PROTOCOL.md §2.4), and frames that crossed the end on the
    // wire are nothing the candidate must know.
    if (message.id !== undefined || message.code === 'turn_ended' || state.ended || state.ending) return state;
    return { ...state, serverError: { message: message.message, at } };
  },
};

const handlers = {
  server: (state, { message, at }) => serverHandlers[message.type]?.(state, message, at) ?? state,

  /** A new session.start is on its way (first start, or "start again"). */
  connecting: (state) => ({ ...state, connection: 'connecting', startProblem: null }),

  /** The engine refused session.start, or could not be reached ({code, message}). */
  'start-refused': (state, { code, message }) => ({ ...state, connection: 'refused', startProblem: { code, message } }),

  /** The candidate's words went to the engine: typed text, or the recogniser's partial and final transcripts. */
  typed: (state, { text }) => withOpenTurn(state, (turn) => ({ chunks: [...turn.chunks, text] })),
  partial: (state, { text }) => withOpenTurn(state, () => ({ partial: text })),
  final: (state, { text }) => withOpenTurn(state, (turn) => ({ finals: [...turn.finals, text], partial: '' })),

  'answer-done': (state) => ({ ...closeTurn(state, { cutOff: false }), awaitingNext: true }),

  ending: (state) => ({ ...state, ending: true }),

  reading: (state, { reading }) => ({ ...state, interviewerReading: reading }),

  dropped: (state, { final = false }) => {
    if (state.ended || !isLive(state)) return state;
    if (final) return { ...closeTurn(state, { cutOff: true }), connection: 'signed-out', candidateSpeaking: false };
    return { ...state, connection: 'reconnecting', reconnectAttempt: 1, candidateSpeaking: false };
  },

  reconnecting: (state, { attempt }) => (state.connection === 'reconnecting' ? { ...state, reconnectAttempt: attempt } : state),

  /** The engine no longer had the session (its grace period ran out): this interview is over. */
  'resume-failed': (state) => ({
    ...closeTurn(state, { cutOff: true }),
    connection: 'lost',
    question: null,
    feedback: null,
    timeWarning: null,
    awaitingNext: false,
  }),

  'reconnect-failed': (state) => ({ ...state, connection: 'failed' }),

  /** The candidate asked to try reconnecting again after every attempt failed. */
  'retry-reconnect': (state) => (state.connection === 'failed' ? { ...state, connection: 'reconnecting', reconnectAttempt: 1 } : state),
};
