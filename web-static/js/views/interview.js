// The interview room: wires the InterviewSocket (protocol version 1) and the candidate's input to the room state
// (room-state.js), and renders that state with the views in views/room/ after every event and every 250 ms.

import { accountState } from '../account-state.js';
import { api } from '../api.js';
import { confirmDialog } from '../dialog.js';
import { h, replaceChildren } from '../dom.js';
import { InterviewSocket } from '../interview-socket.js';
import { initialRoomState, isLive, roomEvent } from '../room-state.js';
import { AnswerForm } from './room/answer-form.js';
import { CameraPanel } from './room/camera-panel.js';
import { CoachPanel } from './room/coach-panel.js';
import { ConnectionBanner } from './room/connection-banner.js';
import { EndScreen } from './room/end-screen.js';
import { QuestionCard } from './room/question-card.js';
import { RoomAlerts } from './room/room-alerts.js';
import { StatusBar } from './room/status-bar.js';
import { TranscriptView } from './room/transcript-view.js';
import { VoiceTurn } from './room/voice-turn.js';

/** The sample rate asked for in session.start: the engine's default, and plenty for speech. */
const requestedSampleRate = 16000;

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
    this.setup = setup;
    this.context = context;
    this.socket = null;
    this.state = initialRoomState({ mode: setup.mode, balanceMs: accountState.account?.balance_ms ?? null, at: performance.now() });
    this.onBeforeUnload = (event) => {
      if (!this.live) return;
      event.preventDefault();
      event.returnValue = '';
    };

    this.voice = new VoiceTurn({ mode: setup.mode, speak: setup.speak, capture: setup.capture,
      dispatch: (event) => this.dispatch(event), socket: () => this.socket });
    this.bar = new StatusBar({ title: setup.track.title, endInterview: () => this.endByCandidate() });
    this.banner = new ConnectionBanner({
      startAgain: () => this.connectAndStart(),
      retryStart: () => this.connectAndStart(),
      retryReconnect: () => this.retryReconnect(),
    });
    this.alerts = new RoomAlerts();
    this.question = new QuestionCard({ controls: this.voice.controls });
    this.answer = new AnswerForm({
      mode: setup.mode,
      send: (text) => this.sendTyped(text),
      finish: () => this.finishAnswer(),
    });
    this.transcript = new TranscriptView();
    this.coach = new CoachPanel({ voiceBlock: this.voice.block });
    this.end = new EndScreen();
    this.camera = setup.camera ? new CameraPanel({ camera: setup.camera, recordVideo: setup.recordVideo,
      audioTrack: () => setup.capture?.stream?.getAudioTracks()[0] ?? null }) : null;
    this.grid = h('div', { class: 'room__grid' },
      h('div', { class: 'room__main' }, this.end.element, this.camera?.element ?? null, this.question.element, this.answer.element, this.transcript.element),
      this.coach.element);
    replaceChildren(root, h('div', { class: 'room', 'data-mode': setup.mode },
      this.bar.element, this.banner.element, this.alerts.element, this.grid));
    this.render();
  }

  /** True while a session runs or is being reconnected: leaving would end it. */
  get live() {
    return isLive(this.state);
  }

  dispatch(event) {
    const before = this.state;
    this.state = roomEvent(before, event);
    if (this.state !== before) this.render();
  }

  serverEvent(message) {
    this.dispatch({ type: 'server', message, at: performance.now() });
    if (message.type === 'billing.updated' || message.type === 'session.started' || message.type === 'session.resumed') {
      accountState.setBalance(message.balance_ms);
    }
    if (message.type === 'session.started') this.camera?.sessionStarted(message.session_id);
    if (message.type === 'session.resumed') this.camera?.resumed();
    if (message.type === 'session.ended') {
      this.camera?.sessionEnded();
      if (message.reason === 'balance_exhausted') accountState.setBalance(0);
      // The last part of the session is charged after session.ended (§3.5): read the final balance.
      api.me().then((account) => accountState.set(account)).catch(() => {});
    }
  }

  render() {
    const now = performance.now();
    const { state } = this;
    this.bar.render(state, now);
    this.banner.render(state, now);
    this.alerts.render(state, now);
    this.question.render(state);
    this.answer.render(state);
    this.transcript.render(state);
    this.coach.render(state, now);
    this.voice.render(state);
    // With no session in the room (it ended, or was lost with the connection) only the transcript stays.
    const over = this.end.render(state) || state.connection === 'lost';
    this.grid.classList.toggle('room__grid--ended', over);
    for (const view of [this.question, this.answer, this.coach]) view.element.hidden = over;
  }

  // MARK: Lifecycle

  async begin() {
    window.addEventListener('beforeunload', this.onBeforeUnload);
    // The clocks (answer time, minutes left) move between the engine's events.
    this.ticker = setInterval(() => this.render(), 250);
    this.voice.begin();
    await this.connectAndStart();
  }

  newSocket() {
    const socket = new InterviewSocket();
    socket.addEventListener('server', (event) => this.serverEvent(event.detail));
    socket.addEventListener('dropped', (event) => this.dropped(event.detail));
    socket.addEventListener('reconnecting', (event) => this.dispatch({ type: 'reconnecting', attempt: event.detail.attempt }));
    socket.addEventListener('resume-unavailable', () => this.resumeFailed());
    socket.addEventListener('reconnect-failed', () => this.dispatch({ type: 'reconnect-failed' }));
    return socket;
  }

  async connectAndStart() {
    this.dispatch({ type: 'connecting' });
    if (this.socket?.state !== 'open') {
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
        record: this.setup.mode === 'voice' ? this.setup.record : false,
      });
    } catch (error) {
      if (error?.code === 'insufficient_balance') accountState.setBalance(0);
      this.dispatch({ type: 'start-refused', code: error?.code ?? 'unknown', message: error?.message ?? 'The interview could not start.' });
    }
  }

  /** The upgrade failed: signed out (401), or the server is unreachable. */
  async connectionRefused() {
    try {
      await api.me();
    } catch (error) {
      if (this.context.handleSignedOut(error)) return;
    }
    this.dispatch({ type: 'start-refused', code: 'unreachable', message: 'The interview server could not be reached.' });
  }

  dropped(detail) {
    this.dispatch({ type: 'dropped', final: detail.final === true });
    if (detail.final) api.me().catch((error) => this.context.handleSignedOut(error));
  }

  resumeFailed() {
    this.dispatch({ type: 'resume-failed' });
    api.me().then((account) => {
      accountState.set(account);
      this.dispatch({ type: 'server', message: { type: 'billing.updated', balance_ms: account.balance_ms }, at: performance.now() });
    }).catch(() => {});
  }

  retryReconnect() {
    this.dispatch({ type: 'retry-reconnect' });
    this.socket.state = 'reconnecting';
    this.socket.attemptReconnect(0);
  }

  dispose() {
    clearInterval(this.ticker);
    this.coach.dispose();
    this.voice.dispose();
    this.camera?.dispose();
    window.removeEventListener('beforeunload', this.onBeforeUnload);
    this.socket?.close();
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

  // MARK: Candidate input

  sendTyped(text) {
    if (!this.socket?.answerText(text)) return false;
    this.dispatch({ type: 'typed', text });
    return true;
  }

  finishAnswer() {
    if (!this.socket?.answerDone()) return false;
    this.dispatch({ type: 'answer-done' });
    return true;
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
    this.answer.flush();
    this.dispatch({ type: 'ending' });
    this.socket.endSession();
  }
}
