// The spoken side of a turn: the interviewer reads the question and its nudges aloud (unless muted) and tells the
// engine while it reads; in a voice session the microphone streams to the engine and the browser's recogniser, when
// there is one, sends live transcripts. Everything heard goes back into the room as events.

import { h, setText } from '../../dom.js';
import { acceptsAnswer, openTurn } from '../../room-state.js';
import { Recognizer, Speaker } from '../../speech.js';
import { levelMeter } from '../practice.js';

export class VoiceTurn {
  /**
   * `capture`: the AudioCapture of a voice session (null for text). `dispatch(event)` feeds the room; `socket()`
   * returns the room's current InterviewSocket.
   */
  constructor({ mode, speak, capture, dispatch, socket }) {
    this.capture = capture;
    this.dispatch = dispatch;
    this.socket = socket;
    this.speaker = new Speaker();
    this.speaker.setMuted(!speak);
    this.recognizer = mode === 'voice' && Recognizer.available ? new Recognizer() : null;
    this.said = null;
    this.playbackStops = 0;
    this.reads = 0;
    this.listening = false;
    this.build(mode);
  }

  build(mode) {
    this.repeatButton = h('button', { type: 'button', class: 'button button--quiet button--small', disabled: !this.speaker.supported }, 'Repeat question');
    this.repeatButton.addEventListener('click', () => this.repeat());
    this.muteButton = h('button', { type: 'button', class: 'button button--quiet button--small', 'data-testid': 'mute', disabled: !this.speaker.supported });
    this.muteButton.addEventListener('click', () => this.setMuted(!this.speaker.muted));
    this.syncMuteButton();
    this.controls = h('div', { class: 'question__actions' }, this.repeatButton, this.muteButton,
      this.speaker.supported ? null : h('span', { class: 'muted' }, 'This browser cannot read questions aloud.'));
    if (mode !== 'voice') return;
    this.meter = levelMeter('Your microphone');
    this.audioSent = h('span', { class: 'stat__value', 'data-testid': 'audio-sent' }, '0.0 s');
    this.recognitionStatus = h('p', { class: 'coach__note', 'data-testid': 'recognition-status' }, this.recognizer
      ? 'Live transcript: on (your browser’s speech recognition).'
      : 'Live transcript: not available in this browser. Your voice still reaches the interviewer; if the word count stays at 0, type key points for coaching on words.');
    this.block = h('div', { class: 'coach__block' },
      this.meter.element,
      h('p', { class: 'stat' }, h('span', { class: 'stat__label' }, 'Audio sent'), this.audioSent),
      this.recognitionStatus);
  }

  /** Starts the microphone and the recogniser; their words become `partial`/`final` events for the open question. */
  begin() {
    if (this.capture) {
      this.capture.onLevel = ({ rms }) => this.meter.update(rms);
      this.capture.onFrame = (buffer) => this.socket()?.sendAudio(buffer);
      this.capture.resume().catch(() => {});
    }
    if (this.recognizer) {
      this.recognizer.onPartial = (text) => this.recognized('partial', text);
      this.recognizer.onFinal = (text) => this.recognized('final', text);
      this.recognizer.onUnavailable = (reason) => setText(this.recognitionStatus,
        `Live transcript: not available (${reason}) Your voice still reaches the interviewer; if the word count stays at 0, type key points for coaching on words.`);
    }
  }

  recognized(kind, text) {
    const { state } = this;
    if (!state || !acceptsAnswer(state)) return;
    const turn = openTurn(state);
    if (kind === 'partial' && text === turn?.partial) return;
    const socket = this.socket();
    const sent = kind === 'partial'
      ? socket.transcriptPartial(text, state.question.question_id)
      : socket.transcriptFinal(text, state.question.question_id);
    if (sent) this.dispatch({ type: kind, text });
  }

  render(state) {
    this.state = state;
    if (this.audioSent) setText(this.audioSent, `${((state.feedback?.audio_ms ?? 0) / 1000).toFixed(1)} s`);
    this.repeatButton.disabled = !this.speaker.supported || !state.question || state.ended !== null;
    // The microphone streams while the session is on this connection.
    const listening = ['live', 'resumed'].includes(state.connection) && !state.ended;
    if (listening !== this.listening) {
      this.listening = listening;
      if (this.capture) {
        if (listening) this.capture.setTargetRate(state.session.sample_rate);
        this.capture.setSending(listening);
      }
      if (listening) this.recognizer?.start(); else this.recognizer?.stop();
    }
    if (state.question && state.question.question_id !== this.questionId) {
      this.questionId = state.question.question_id;
      this.recognizer?.restart();
    }
    if (state.playbackStops !== this.playbackStops) {
      // The engine heard the candidate start talking over the question (a barge-in): stop reading.
      this.playbackStops = state.playbackStops;
      this.speaker.cancel();
    }
    if (state.say && state.say.key !== this.said) {
      this.said = state.say.key;
      this.read(state.say.text, state.ended ? null : state.question?.question_id);
    }
  }

  /**
   * Reads `text` aloud. While a question is open (`questionId`), the engine is told when reading starts and stops,
   * so that it can tell the candidate's voice over it as a barge-in.
   */
  async read(text, questionId) {
    this.reads += 1;
    const read = this.reads;
    const spoken = this.speaker.speak(text);
    if (!this.speaker.speaking) return;
    const socket = questionId ? this.socket() : null;
    socket?.playback(true, questionId);
    this.dispatch({ type: 'reading', reading: true });
    await spoken;
    if (socket?.isLive) socket.playback(false, questionId);
    // A newer reading cut this one short: that one reports its own end.
    if (read === this.reads) this.dispatch({ type: 'reading', reading: false });
  }

  repeat() {
    if (this.speaker.muted) this.setMuted(false);
    if (this.state?.question) this.read(this.state.question.text, this.state.question.question_id);
  }

  setMuted(muted) {
    this.speaker.setMuted(muted);
    this.syncMuteButton();
  }

  syncMuteButton() {
    this.muteButton.setAttribute('aria-pressed', String(this.speaker.muted));
    this.muteButton.textContent = this.speaker.muted ? 'Interviewer voice off' : 'Interviewer voice on';
  }

  /** The end of the room: microphone, recogniser and speech stop. */
  dispose() {
    this.recognizer?.stop();
    this.speaker.cancel();
    if (this.capture) {
      this.capture.onFrame = null;
      this.capture.onLevel = null;
      this.capture.stop();
    }
  }
}
