// The interview room: the question (read aloud unless muted), whose turn it is, the live transcript, typing,
// live coaching, the minutes counting down, and the end screen. Speaks protocol version 1 through InterviewSocket.

import { accountState } from '../account-state.js';
import { api } from '../api.js';
import { meterValue } from '../audio-capture.js';
import { confirmDialog } from '../dialog.js';
import { h, message, replaceChildren, setText, uid } from '../dom.js';
import * as format from '../format.js';
import { InterviewSocket } from '../interview-socket.js';
import { Recognizer, Speaker } from '../speech.js';
import { buyMinutesSection } from './minutes.js';
import { CoachPanel } from './coach-panel.js';
import { answerScore, sessionReport } from './report.js';

/** The sample rate asked for in session.start: the engine's default, and plenty for speech. */
const requestedSampleRate = 16000;

const phaseText = {
  connecting: 'Connecting…',
  speaking: 'Interviewer speaking',
  'your-turn': 'Your turn',
  listening: 'Listening',
  thinking: 'Thinking…',
  reconnecting: 'Reconnecting…',
  interrupted: 'Connection lost',
  ended: 'Interview over',
};

const turnEndNotes = {
  silence: 'Your turn ended after a pause.',
  time_limit: 'Your turn ended at the time limit.',
};

const endHeadings = {
  completed: 'Interview complete',
  client_ended: 'You ended the interview',
  balance_exhausted: 'You have run out of minutes',
  idle: 'The interview ended after a long silence',
  error: 'The interview was interrupted',
};

function isNudge(type) {
  return type === 'nudge' || type.endsWith('.nudge') || type === 'coach.tip';
}

export function renderInterview(root, context) {
  const setup = context.handoff.interview;
  delete context.handoff.interview;
  if (!setup) {
    context.notify('info', 'Choose a track and how you want to answer, then start the interview.');
    context.navigate('/practice');
    return null;
  }
  const room = new InterviewRoom(root, setup, context);
  room.begin();
  return room;
}

class InterviewRoom {
  constructor(root, setup, context) {
    this.root = root;
    this.setup = setup;
    this.context = context;
    this.capture = setup.capture;
    this.speaker = new Speaker();
    this.speaker.setMuted(!setup.speak);
    this.recognizer = setup.mode === 'voice' && Recognizer.available ? new Recognizer() : null;
    this.recognitionWorks = this.recognizer !== null;
    this.socket = null;
    this.started = null;
    this.phase = 'connecting';
    this.question = null;
    this.questionAt = 0;
    this.awaitingNext = false;
    this.answer = { chunks: [], finals: [], partial: '' };
    this.feedback = null;
    this.feedbackAt = 0;
    this.balanceMs = accountState.account?.balance_ms ?? null;
    this.balanceAt = performance.now();
    this.serverSpeech = null;
    this.localSpeechUntil = 0;
    this.recognizerSpeech = false;
    this.nudge = null;
    this.turns = new Map();
    this.sessionCount = 0;
    this.ended = null;
    this.warned = false;
    /** Whether the engine understands playback.started/stopped; an unknown_type answer turns the reports off. */
    this.playbackReporting = true;
    this.timeWarning = null;
    this.onBeforeUnload = (event) => {
      if (!this.live) return;
      event.preventDefault();
      event.returnValue = '';
    };
    this.build();
  }

  /** True while a session runs or is being reconnected: leaving would end it. */
  get live() {
    return this.socket !== null && (this.socket.state === 'live' || this.socket.state === 'reconnecting');
  }

  // MARK: Layout

  build() {
    const setup = this.setup;
    // Not a live region: in voice mode it changes whenever the candidate starts or stops talking. New questions are
    // announced by the question card, connection problems and warnings by alerts.
    this.statusPill = h('p', { class: 'status-pill', 'data-phase': 'connecting', 'data-testid': 'status' }, phaseText.connecting);
    this.remaining = h('span', { class: 'remaining__value', 'data-testid': 'remaining' }, format.clock(this.balanceMs ?? 0));
    this.remainingBox = h('p', { class: 'remaining' }, h('span', { class: 'remaining__label' }, 'Time left'), ' ', this.remaining);
    this.progress = h('p', { class: 'room__progress', 'data-testid': 'question-progress' }, '');
    this.alerts = h('div', { class: 'room__alerts', 'data-testid': 'room-alerts' });

    this.questionKicker = h('p', { class: 'question__kicker' }, 'Getting your first question…');
    this.questionText = h('p', { class: 'question__text', 'data-testid': 'question-text' }, '');
    this.repeatButton = h('button', { type: 'button', class: 'button button--quiet button--small', disabled: !this.speaker.supported }, 'Repeat question');
    this.repeatButton.addEventListener('click', () => this.speakQuestion(true));
    this.muteButton = h('button', { type: 'button', class: 'button button--quiet button--small', 'aria-pressed': String(this.speaker.muted), disabled: !this.speaker.supported, 'data-testid': 'mute' },
      this.speaker.muted ? 'Interviewer voice off' : 'Interviewer voice on');
    this.muteButton.addEventListener('click', () => this.toggleMute());
    this.questionCard = h('section', { class: 'question-card', 'aria-labelledby': 'question-heading' },
      h('h2', { id: 'question-heading', class: 'visually-hidden' }, 'Current question'),
      h('div', { 'aria-live': 'polite', 'aria-atomic': 'true' }, this.questionKicker, this.questionText),
      h('div', { class: 'question__actions' },
        this.repeatButton, this.muteButton,
        this.speaker.supported ? null : h('span', { class: 'muted' }, 'This browser cannot read questions aloud.')));

    this.transcriptList = h('ol', { class: 'transcript__list', role: 'log', 'aria-label': 'Interview transcript', 'data-testid': 'transcript' });
    this.transcript = h('section', { class: 'transcript', 'aria-labelledby': 'transcript-title' },
      h('h2', { id: 'transcript-title', class: 'section-title' }, 'Transcript'),
      this.transcriptList);

    const inputId = uid('answer');
    const hintId = `${inputId}-hint`;
    this.answerInput = h('textarea', { id: inputId, rows: 3, 'aria-describedby': hintId, 'data-testid': 'answer-input', autocomplete: 'off', spellcheck: 'true' });
    this.sendButton = h('button', { type: 'submit', class: 'button', 'data-testid': 'send-answer' }, 'Send');
    this.finishButton = h('button', { type: 'button', class: 'button button--primary', 'data-testid': 'finish-answer' }, 'Finish answer');
    this.inputNote = h('p', { class: 'answer-form__note', role: 'status' });
    this.answerForm = h('form', { class: 'answer-form', 'aria-labelledby': `${inputId}-label` },
      h('label', { for: inputId, id: `${inputId}-label`, class: 'field__label' }, setup.mode === 'voice' ? 'Speak, or type your answer' : 'Type your answer'),
      h('p', { class: 'field__hint', id: hintId }, 'Enter sends what you typed; Shift+Enter starts a new line; Ctrl+Enter sends and finishes the answer. Send in sentences: coaching updates as you go.'),
      this.answerInput,
      h('div', { class: 'answer-form__actions' }, this.sendButton, this.finishButton),
      this.inputNote);
    this.answerForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.sendTyped();
    });
    this.finishButton.addEventListener('click', () => this.finishAnswer());
    this.answerInput.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      if (event.ctrlKey || event.metaKey) this.finishAnswer(); else this.sendTyped();
    });

    this.endButton = h('button', { type: 'button', class: 'button button--danger-quiet', 'data-testid': 'end-interview' }, 'End interview');
    this.endButton.addEventListener('click', () => this.endByCandidate());

    this.coach = new CoachPanel({ mode: setup.mode, recognizer: this.recognizer !== null });
    this.main = h('div', { class: 'room__main' }, this.questionCard, this.answerForm, this.transcript);
    this.grid = h('div', { class: 'room__grid' }, this.main, this.coach.element);
    this.heading = h('h1', { class: 'room__title' }, setup.track.title);
    replaceChildren(this.root,
      h('div', { class: 'room', 'data-mode': setup.mode },
        h('div', { class: 'room__bar' },
          h('div', { class: 'room__heading' }, this.heading, this.progress),
          h('div', { class: 'room__meta' }, this.statusPill, this.remainingBox, this.endButton)),
        this.alerts,
        this.grid));
    this.setInputEnabled(false);
  }

  // MARK: Lifecycle

  async begin() {
    window.addEventListener('beforeunload', this.onBeforeUnload);
    this.ticker = setInterval(() => this.tick(), 250);
    if (this.capture) {
      this.capture.onLevel = ({ rms }) => this.levelReceived(rms);
      this.capture.onFrame = (buffer) => this.socket?.sendAudio(buffer);
      this.capture.resume().catch(() => {});
    }
    if (this.recognizer) {
      this.recognizer.onPartial = (text) => this.partialRecognized(text);
      this.recognizer.onFinal = (text) => this.finalRecognized(text);
      this.recognizer.onSpeech = (speaking) => { this.recognizerSpeech = speaking; this.updatePhase(); };
      this.recognizer.onUnavailable = (reason) => {
        this.recognitionWorks = false;
        this.coach.setRecognitionStatus(`Live transcript: not available (${reason}) Your voice still reaches the interviewer; if the word count stays at 0, type key points for coaching on words.`);
      };
    }
    await this.connectAndStart();
  }

  newSocket() {
    const socket = new InterviewSocket();
    socket.addEventListener('server', (event) => this.serverEvent(event.detail));
    socket.addEventListener('dropped', (event) => this.dropped(event.detail));
    socket.addEventListener('reconnecting', (event) => this.reconnecting(event.detail));
    socket.addEventListener('resumed', () => this.resumed());
    socket.addEventListener('resume-unavailable', () => this.resumeUnavailable());
    socket.addEventListener('reconnect-failed', () => this.reconnectFailed());
    return socket;
  }

  async connectAndStart() {
    this.setPhase('connecting');
    if (!this.socket || this.socket.state !== 'open') {
      this.socket?.close();
      this.socket = this.newSocket();
      try {
        await this.socket.connect();
      } catch {
        await this.connectionRefused();
        return;
      }
    }
    try {
      await this.socket.start({
        track: this.setup.track.id,
        mode: this.setup.mode,
        sampleRate: requestedSampleRate,
        record: this.setup.mode === 'voice' ? this.setup.record : undefined,
      });
    } catch (error) {
      this.startRefused(error);
    }
  }

  /** The upgrade failed: signed out (401), or the server is unreachable. */
  async connectionRefused() {
    try {
      await api.me();
    } catch (error) {
      if (this.context.handleSignedOut(error)) return;
    }
    this.showStartProblem('The interview server could not be reached.', 'Check your connection and try again.');
  }

  startRefused(error) {
    if (error?.code === 'insufficient_balance') {
      accountState.setBalance(0);
      this.setPhase('ended');
      replaceChildren(this.grid, h('section', { class: 'panel end-panel', 'data-testid': 'end-screen', 'data-reason': 'insufficient_balance' },
        h('h2', { class: 'end-panel__title', tabindex: '-1' }, 'You have no minutes left'),
        h('p', {}, error.message),
        buyMinutesSection()));
      this.grid.querySelector('h2').focus();
      return;
    }
    if (error?.code === 'unknown_track') {
      this.showStartProblem(error.message, 'The tracks may have changed; choose another one.', false);
      return;
    }
    this.showStartProblem(error?.message ?? 'The interview could not start.', 'Try again in a moment.');
  }

  showStartProblem(text, advice, retry = true) {
    this.setPhase('interrupted');
    const retryButton = retry ? h('button', { type: 'button', class: 'button button--primary' }, 'Try again') : null;
    retryButton?.addEventListener('click', () => {
      this.alerts.replaceChildren();
      this.connectAndStart();
    });
    replaceChildren(this.alerts, message('error',
      h('p', { class: 'message__title' }, text), h('p', {}, advice),
      h('p', { class: 'message__actions' }, retryButton, h('a', { href: '#/practice', class: 'button button--quiet' }, 'Back to practice setup'))));
  }

  dispose() {
    clearInterval(this.ticker);
    this.coach.dispose();
    window.removeEventListener('beforeunload', this.onBeforeUnload);
    this.socket?.close();
    this.recognizer?.stop();
    this.speaker.cancel();
    if (this.capture) {
      this.capture.onFrame = null;
      this.capture.onLevel = null;
      this.capture.stop();
    }
  }

  async canLeave() {
    if (!this.live) return true;
    const leave = await confirmDialog({
      title: 'Leave the interview?',
      body: h('p', {}, 'Leaving ends this interview. Your answers so far are saved in your history.'),
      confirmLabel: 'End and leave',
      cancelLabel: 'Stay',
      danger: true,
    });
    if (leave) {
      this.socket.endSession();
      this.socket.close();
    }
    return Boolean(leave);
  }

  // MARK: Server events

  serverEvent(event) {
    switch (event.type) {
      case 'session.started': return this.sessionStarted(event);
      case 'question': return this.questionAsked(event);
      case 'feedback.live': return this.feedbackReceived(event);
      case 'billing.updated': return this.billingUpdated(event);
      case 'billing.warning': return this.billingWarning(event);
      case 'speech.started': this.serverSpeech = true; return this.updatePhase();
      case 'speech.stopped': this.serverSpeech = false; return this.updatePhase();
      case 'answer.scored': return this.answerScored(event);
      case 'turn.ended': return this.turnEnded(event);
      case 'nudge': return this.nudgeReceived(event);
      case 'answer.time_warning': return this.answerTimeWarning(event);
      case 'playback.stop':
        if (event.question_id === this.question?.question_id) this.speaker.cancel();
        return this.updatePhase();
      case 'session.ended': return this.sessionEnded(event);
      case 'error': return this.errorReceived(event);
      default:
        if (isNudge(event.type)) this.nudgeReceived(event);
        // Anything else is from a newer engine: ignored on purpose.
        return undefined;
    }
  }

  sessionStarted(event) {
    this.started = event;
    this.ending = false;
    this.sessionCount += 1;
    this.ended = null;
    this.warned = false;
    if (typeof event.balance_ms === 'number') this.balanceUpdated(event.balance_ms);
    if (this.capture) {
      this.capture.setTargetRate(event.sample_rate ?? requestedSampleRate);
      this.capture.setSending(true);
    }
    this.recognizer?.start();
    if (this.sessionCount > 1) {
      this.transcriptList.append(h('li', { class: 'transcript__divider' }, 'A new interview started'));
    }
    this.setInputEnabled(true);
  }

  questionAsked(event) {
    this.closeCurrentTurn(false);
    this.question = event;
    this.questionAt = performance.now();
    this.awaitingNext = false;
    this.answer = { chunks: [], finals: [], partial: '' };
    this.feedback = null;
    this.nudge = null;
    this.timeWarning = null;
    const count = this.started?.question_count;
    const kind = event.kind === 'follow_up' ? 'Follow-up question' : `Question ${event.main_number ?? event.number}${count ? ` of ${count}` : ''}`;
    setText(this.questionKicker, kind);
    setText(this.questionText, event.text);
    setText(this.progress, count ? `Question ${event.main_number ?? event.number} of ${count}${event.kind === 'follow_up' ? ' · follow-up' : ''}` : '');
    this.coach.startQuestion(event.target_seconds ? event.target_seconds * 1000 : 0);
    this.addTurn(event);
    this.recognizer?.restart();
    this.setInputEnabled(true);
    this.updateCoaching();
    this.speakQuestion(false);
  }

  feedbackReceived(event) {
    if (event.question_id !== this.question?.question_id || this.awaitingNext) return;
    this.feedback = event;
    this.feedbackAt = performance.now();
    this.updateCoaching();
  }

  billingUpdated(event) {
    this.balanceUpdated(event.balance_ms);
  }

  balanceUpdated(balanceMs) {
    if (typeof balanceMs !== 'number') return;
    this.balanceMs = balanceMs;
    this.balanceAt = performance.now();
    accountState.setBalance(balanceMs);
    this.renderRemaining();
  }

  billingWarning(event) {
    if (this.warned) return;
    this.warned = true;
    const remaining = event.remaining_ms ?? this.balanceMs ?? 0;
    this.alerts.querySelector('[data-alert="billing"]')?.remove();
    this.alerts.append(h('div', { class: 'message message--warning', role: 'alert', 'data-alert': 'billing', 'data-testid': 'billing-warning' },
      h('p', { class: 'message__title' }, `Less than a minute of practice time left (${format.duration(remaining)}).`),
      h('p', {}, 'The interview stops when your balance reaches zero; your answers are saved. ',
        h('a', { href: '#/minutes', target: '_blank', rel: 'noopener' }, 'Buy more minutes (opens in a new tab)'))));
  }

  answerScored(event) {
    const turn = this.turns.get(event.question_id);
    const rendered = answerScore(event, { compact: true });
    if (!turn || !rendered) return;
    replaceChildren(turn.score, rendered);
    turn.score.hidden = false;
  }

  /** The engine ended the turn itself (a long pause, or the time limit): the next question follows. */
  turnEnded(event) {
    if (event.question_id !== this.question?.question_id || this.awaitingNext) return;
    this.awaitingNext = true;
    this.closeCurrentTurn(false, turnEndNotes[event.reason]);
    this.setInputEnabled(true);
    this.updatePhase();
  }

  /** The interviewer prompts a silent candidate: shown as the tip, and said aloud unless muted. */
  nudgeReceived(event) {
    const text = event.text ?? event.message;
    if (!text || (event.question_id && event.question_id !== this.question?.question_id)) return;
    this.nudge = { text, at: performance.now() };
    this.updateCoaching();
    this.speaker.speak(text).then(() => this.updatePhase());
    this.updatePhase();
  }

  answerTimeWarning(event) {
    if (event.question_id !== this.question?.question_id) return;
    this.timeWarning = { remainingMs: event.remaining_ms, at: performance.now() };
    this.updateCoaching();
  }

  errorReceived(event) {
    // Start errors are handled by the promise of session.start; the rest are shown briefly. Audio and text that
    // crossed the end of the session on the wire are refused with wrong_state: nothing the candidate must know.
    if (typeof event.id === 'string' && event.id.startsWith('playback-')) {
      if (event.code === 'unknown_type' || event.code === 'invalid_message') this.playbackReporting = false;
      return;
    }
    if (event.id !== undefined && !event.fatal) return;
    if (this.ended || this.ending) return;
    // A recogniser's late result for a question whose turn has ended: refused, as intended (PROTOCOL.md §2.4).
    if (event.code === 'turn_ended') return;
    const text = event.message ?? 'The interview server reported a problem.';
    const box = message(event.fatal ? 'error' : 'warning', h('p', {}, text));
    box.dataset.alert = 'server-error';
    this.alerts.querySelector('[data-alert="server-error"]')?.remove();
    this.alerts.append(box);
    if (!event.fatal) setTimeout(() => box.remove(), 8000);
  }

  sessionEnded(event) {
    this.ended = event;
    this.closeCurrentTurn(event.reason !== 'completed');
    this.stopLiveInput();
    this.setPhase('ended');
    if (event.reason === 'balance_exhausted') accountState.setBalance(0);
    const summary = event.summary ?? {};
    const stats = [
      ['Questions asked', summary.questions_asked],
      ['Answers given', summary.answers_given],
      ['Follow-up questions', summary.follow_ups_asked],
      ['Words', summary.total_words],
      ['Average pace', summary.average_words_per_minute ? `${summary.average_words_per_minute} words per minute` : '—'],
      ['Filler words', summary.filler_count],
      ['Time used', summary.used_ms !== undefined ? format.duration(summary.used_ms) : undefined],
    ].filter(([, value]) => value !== undefined && value !== null);
    const sessionId = this.started?.session_id;
    const titleId = uid('end-title');
    const title = h('h2', { class: 'end-panel__title', id: titleId, tabindex: '-1' }, endHeadings[event.reason] ?? 'The interview has ended');
    const panel = h('section', { class: 'panel end-panel', 'data-testid': 'end-screen', 'data-reason': event.reason ?? 'unknown', 'aria-labelledby': titleId },
      title,
      event.reason === 'balance_exhausted'
        ? h('p', { class: 'lead' }, 'Your balance reached zero, so the interview stopped. Everything you said up to now is saved in your history.')
        : null,
      event.closing ? h('blockquote', { class: 'closing' }, h('p', {}, event.closing)) : null,
      summary.text ? h('p', { 'data-testid': 'summary-text' }, summary.text) : null,
      stats.length ? h('dl', { class: 'stats' }, stats.map(([label, value]) => h('div', { class: 'stats__item' }, h('dt', {}, label), h('dd', {}, String(value))))) : null,
      event.report ? h('section', { class: 'end-panel__report', 'aria-labelledby': `${titleId}-report` },
        h('h3', { id: `${titleId}-report` }, 'Your report'),
        sessionReport(event.report, { questionTexts: new Map([...this.turns.entries()].map(([id, turn]) => [id, turn.questionText])), headingLevel: 4 })) : null,
      h('p', { class: 'end-panel__actions' },
        sessionId ? h('a', { class: 'button button--primary', href: `#/history/${sessionId}`, 'data-testid': 'view-session' }, 'See this session in your history') : null,
        h('a', { class: 'button', href: '#/practice' }, 'Practise again')),
      event.reason === 'balance_exhausted' ? buyMinutesSection() : null);
    this.main.replaceChildren(panel, this.transcript);
    this.grid.classList.add('room__grid--ended');
    this.coach.element.hidden = true;
    this.endButton.hidden = true;
    this.alerts.querySelector('[data-alert="billing"]')?.remove();
    this.alerts.querySelector('[data-alert="server-error"]')?.remove();
    title.focus();
    if (event.closing) this.speaker.speak(event.closing);
    // The last part of the session is charged after session.ended (§3.5): read the final balance.
    api.me().then((account) => accountState.set(account)).catch(() => {});
  }

  // MARK: Connection drops

  dropped({ final = false } = {}) {
    if (this.ended) return;
    if (final) {
      this.closeCurrentTurn(true);
      this.stopLiveInput();
      this.setPhase('interrupted');
      this.showConnectionBanner('error', 'Your sign-in ended, so the interview stopped.',
        'Your answers up to now are saved. Sign in again to continue practising.',
        [h('a', { class: 'button button--primary', href: '#/signin' }, 'Sign in again')]);
      api.me().catch((error) => this.context.handleSignedOut(error));
      return;
    }
    if (this.socket?.state !== 'reconnecting') {
      // The spare connection kept after an interrupted interview closed: the next start opens a new one.
      return;
    }
    this.stopLiveInput(false);
    this.setPhase('reconnecting');
    this.showConnectionBanner('warning', 'The connection dropped. Reconnecting…', 'Your transcript is safe on this page.');
  }

  reconnecting({ attempt }) {
    if (attempt > 1) this.showConnectionBanner('warning', `The connection dropped. Reconnecting (attempt ${attempt})…`, 'Your transcript is safe on this page.');
  }

  resumed() {
    this.setPhase('your-turn');
    this.showConnectionBanner('success', 'Reconnected: your interview continues.', null);
    this.recognizer?.start();
    this.setInputEnabled(true);
    setTimeout(() => this.alerts.querySelector('[data-alert="connection"]')?.remove(), 5000);
  }

  resumeUnavailable() {
    this.closeCurrentTurn(true);
    this.setPhase('interrupted');
    this.question = null;
    this.feedback = null;
    this.capture?.setSending(false);
    this.coach.showTip({ kind: 'time', text: 'The interview stopped when the connection dropped. Start a new one when you are ready.' });
    const again = h('button', { type: 'button', class: 'button button--primary', 'data-testid': 'start-again' }, 'Start a new interview');
    again.addEventListener('click', () => {
      this.alerts.querySelector('[data-alert="connection"]')?.remove();
      this.connectAndStart();
    });
    const sessionId = this.started?.session_id;
    this.showConnectionBanner('error', 'The connection dropped, so this interview has ended.',
      'Your transcript is kept below, and your answers up to the drop are saved in your history. This server cannot pick up an interrupted interview yet; start a new one when you are ready.',
      [again, sessionId ? h('a', { class: 'button button--quiet', href: `#/history/${sessionId}` }, 'See it in your history') : null]);
    api.me().then((account) => {
      accountState.set(account);
      this.balanceUpdated(account.balance_ms);
    }).catch(() => {});
  }

  reconnectFailed() {
    this.setPhase('interrupted');
    const retry = h('button', { type: 'button', class: 'button button--primary' }, 'Try again');
    retry.addEventListener('click', () => {
      this.showConnectionBanner('warning', 'Reconnecting…', null);
      this.socket.state = 'reconnecting';
      this.socket.attemptReconnect(0);
    });
    this.showConnectionBanner('error', 'Jestry could not reconnect.', 'Check your internet connection, then try again. Your transcript stays on this page.', [retry]);
  }

  showConnectionBanner(kind, title, body, actions = []) {
    this.alerts.querySelector('[data-alert="connection"]')?.remove();
    const box = message(kind, h('p', { class: 'message__title' }, title), body ? h('p', {}, body) : null,
      actions.length ? h('p', { class: 'message__actions' }, actions) : null);
    box.dataset.alert = 'connection';
    box.dataset.testid = 'connection-banner';
    this.alerts.prepend(box);
  }

  // MARK: Candidate input

  setInputEnabled(enabled) {
    this.sendButton.disabled = !enabled;
    this.finishButton.disabled = !enabled || this.awaitingNext;
  }

  sendTyped() {
    const text = this.answerInput.value.trim();
    if (!text) return false;
    if (!this.socket?.isLive || !this.question || this.awaitingNext) {
      setText(this.inputNote, 'Not sent yet: wait for the next question. Your text stays here.');
      return false;
    }
    if (!this.socket.answerText(text)) {
      setText(this.inputNote, 'Not sent: the connection is not open. Your text stays here.');
      return false;
    }
    this.answer.chunks.push(text);
    this.answerInput.value = '';
    setText(this.inputNote, '');
    this.renderAnswer();
    this.updateCoaching();
    return true;
  }

  finishAnswer() {
    if (!this.socket?.isLive || !this.question || this.awaitingNext) return;
    if (this.answerInput.value.trim()) this.sendTyped();
    if (!this.socket.answerDone()) return;
    this.awaitingNext = true;
    this.closeCurrentTurn(false);
    this.setInputEnabled(true);
    this.updatePhase();
    this.answerInput.focus();
  }

  async endByCandidate() {
    if (!this.live) return;
    const end = await confirmDialog({
      title: 'End the interview now?',
      body: h('p', {}, 'Your answers so far are saved, and the minutes stop counting.'),
      confirmLabel: 'End interview',
      cancelLabel: 'Keep going',
      danger: true,
    });
    if (!end) return;
    if (this.answerInput.value.trim()) this.sendTyped();
    this.ending = true;
    this.capture?.setSending(false);
    this.recognizer?.stop();
    if (!this.socket.endSession()) {
      this.socket.close();
      this.sessionEnded({ reason: 'client_ended', summary: {} });
    }
  }

  partialRecognized(text) {
    if (!this.socket?.isLive || !this.question || this.awaitingNext) return;
    if (text === this.answer.partial) return;
    this.answer.partial = text;
    this.socket.transcriptPartial(text, this.question.question_id);
    this.renderAnswer();
  }

  finalRecognized(text) {
    if (!this.socket?.isLive || !this.question || this.awaitingNext) return;
    this.answer.finals.push(text);
    this.answer.partial = '';
    this.socket.transcriptFinal(text, this.question.question_id);
    this.renderAnswer();
    this.updateCoaching();
  }

  levelReceived(rms) {
    this.coach.showLevel(rms);
    if (meterValue(rms) > 0.4) {
      const wasSpeaking = performance.now() < this.localSpeechUntil;
      this.localSpeechUntil = performance.now() + 900;
      if (!wasSpeaking) this.updatePhase();
    }
  }

  stopLiveInput(stopMic = true) {
    this.recognizer?.stop();
    if (this.capture) {
      this.capture.setSending(false);
      if (stopMic) this.capture.stop();
    }
    this.setInputEnabled(false);
  }

  // MARK: Speech

  async speakQuestion(repeat) {
    if (!this.question) return;
    if (repeat && this.speaker.muted) {
      this.speaker.setMuted(false);
      this.syncMuteButton();
    }
    const questionId = this.question.question_id;
    const spoken = this.speaker.speak(this.question.text);
    const reading = this.speaker.speaking;
    if (reading && this.playbackReporting) this.socket?.playback(true, questionId);
    this.updatePhase();
    await spoken;
    if (reading && this.playbackReporting && this.socket?.isLive) this.socket.playback(false, questionId);
    this.updatePhase();
  }

  toggleMute() {
    this.speaker.setMuted(!this.speaker.muted);
    this.syncMuteButton();
    this.updatePhase();
  }

  syncMuteButton() {
    this.muteButton.setAttribute('aria-pressed', String(this.speaker.muted));
    this.muteButton.textContent = this.speaker.muted ? 'Interviewer voice off' : 'Interviewer voice on';
  }

  // MARK: Turn state

  get candidateSpeaking() {
    if (this.serverSpeech !== null) return this.serverSpeech;
    return this.recognizerSpeech || performance.now() < this.localSpeechUntil;
  }

  updatePhase() {
    if (['ended', 'reconnecting', 'interrupted'].includes(this.phase)) return;
    if (!this.question) return this.setPhase('connecting');
    if (this.awaitingNext) return this.setPhase('thinking');
    if (this.speaker.speaking) return this.setPhase('speaking');
    if (this.setup.mode === 'voice' && this.candidateSpeaking) return this.setPhase('listening');
    return this.setPhase('your-turn');
  }

  setPhase(phase) {
    this.phase = phase;
    // Ending is only possible while a session runs (or is being reconnected).
    this.endButton.hidden = phase === 'ended' || phase === 'interrupted';
    this.statusPill.dataset.phase = phase;
    setText(this.statusPill, phaseText[phase]);
  }

  // MARK: Transcript

  addTurn(question) {
    const answerText = h('p', { class: 'turn__text' });
    const partial = h('span', { class: 'turn__partial' });
    const audioNote = h('p', { class: 'turn__note', hidden: true });
    const score = h('p', { class: 'turn__score', hidden: true });
    const item = h('li', { class: 'turn turn--current', 'data-question-id': question.question_id },
      h('div', { class: 'turn__question' },
        h('span', { class: 'turn__who' }, question.kind === 'follow_up' ? 'Interviewer · follow-up' : `Interviewer · question ${question.main_number ?? question.number}`),
        h('p', {}, question.text)),
      h('div', { class: 'turn__answer' },
        h('span', { class: 'turn__who' }, 'You'),
        answerText, partial, audioNote),
      score);
    this.turns.set(question.question_id, { item, answerText, partial, audioNote, score, questionText: question.text });
    this.transcriptList.append(item);
    this.scrollTranscript();
  }

  currentTurn() {
    return this.question ? this.turns.get(this.question.question_id) : null;
  }

  answerTextSoFar() {
    return [...this.answer.chunks, ...this.answer.finals, this.answer.partial].filter(Boolean).join(' ');
  }

  renderAnswer() {
    const turn = this.currentTurn();
    if (!turn) return;
    setText(turn.answerText, [...this.answer.chunks, ...this.answer.finals].join(' '));
    setText(turn.partial, this.answer.partial ? ` ${this.answer.partial}` : '');
    this.scrollTranscript();
  }

  /** Marks the current turn as done; `cutOff` when the interview ended or dropped in the middle of it. */
  closeCurrentTurn(cutOff, endNote = null) {
    const turn = this.currentTurn();
    if (!turn || !turn.item.classList.contains('turn--current')) return;
    turn.item.classList.remove('turn--current');
    setText(turn.partial, '');
    if (this.answer.partial) setText(turn.answerText, this.answerTextSoFar());
    const hasWords = this.answerTextSoFar().trim().length > 0;
    const audioMs = this.feedback?.audio_ms ?? 0;
    let note = '';
    if (!hasWords && audioMs > 0) note = `Spoken answer (${format.duration(audioMs)} of audio).`;
    else if (!hasWords) note = cutOff ? 'No answer.' : 'No answer given.';
    if (cutOff && hasWords) note = 'The answer was cut off.';
    if (endNote) note = note ? `${endNote} ${note}` : endNote;
    if (note) {
      turn.audioNote.hidden = false;
      setText(turn.audioNote, note);
    }
  }

  scrollTranscript() {
    this.transcriptList.scrollTop = this.transcriptList.scrollHeight;
  }

  // MARK: Coaching

  elapsedMs() {
    if (!this.question) return 0;
    if (this.feedback) return this.feedback.elapsed_ms + (this.socket?.isLive ? performance.now() - this.feedbackAt : 0);
    return performance.now() - this.questionAt;
  }

  /** Runs every 250 ms: the clocks move smoothly between the engine's events. */
  tick() {
    if (this.question && !this.awaitingNext && this.socket?.isLive) this.coach.showElapsed(this.elapsedMs());
    this.renderRemaining();
    if (this.setup.mode === 'voice' && this.phase === 'listening' && !this.candidateSpeaking) this.updatePhase();
  }

  renderRemaining() {
    if (this.balanceMs === null) return;
    // Between settlements (about a second apart) the balance keeps falling while the session is live.
    const sinceUpdate = this.socket?.isLive ? Math.min(1500, performance.now() - this.balanceAt) : 0;
    const remaining = Math.max(0, this.balanceMs - sinceUpdate);
    setText(this.remaining, format.clock(remaining));
    this.remainingBox.dataset.low = String(remaining <= 60_000);
  }

  updateCoaching() {
    if (!this.question) return;
    const nudge = this.nudge && performance.now() - this.nudge.at < 15_000 ? this.nudge.text : null;
    const warning = this.timeWarning;
    const timeWarningMs = warning ? warning.remainingMs - (performance.now() - warning.at) : null;
    this.coach.update({
      feedback: this.feedback,
      answerText: this.answerTextSoFar(),
      nudge,
      timeWarningMs: timeWarningMs !== null && timeWarningMs > 0 ? timeWarningMs : null,
      hasTranscript: this.recognitionWorks,
    });
    this.updatePhase();
  }
}
