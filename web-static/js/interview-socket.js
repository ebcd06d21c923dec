// The interview WebSocket (docs/PROTOCOL.md, version 1). The session cookie authenticates the upgrade.
//
// Events (all CustomEvent, details in parentheses):
//   server             every event from the engine (the parsed JSON object); unknown types included, for views to ignore
//   dropped            the connection broke while a session was live ({code, reason})
//   reconnecting       a new connection attempt is about to start ({attempt, delayMs})
//   resume-unavailable a new connection is open, but the session could not be resumed ({code, message});
//                      the connection is kept, awaiting a new session.start
//   reconnect-failed   every reconnect attempt failed
//   closed             the connection closed when expected (after session.ended, or close())

import { resumeURL } from './resume-route.js';

export const protocolVersion = 1;

/** The WebSocket URL on this page's own host: wss:// on https pages. */
export function interviewURL(location = window.location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/v1/interview`;
}

function withQuestion(message, questionId) {
  if (questionId) message.question_id = questionId;
  return message;
}

export class InterviewSocket extends EventTarget {
  constructor({ url = interviewURL(), reconnectDelaysMs = [300, 1000, 2000, 4000, 8000, 15000] } = {}) {
    super();
    this.url = url;
    this.reconnectDelaysMs = reconnectDelaysMs;
    /** idle → connecting → open → live → ended/closed; live → reconnecting → live (resumed) or open (not resumed). */
    this.state = 'idle';
    this.ws = null;
    this.started = null;
    this.pending = new Map();
    this.nextId = 1;
    this.intentionalClose = false;
    this.reconnectTimer = null;
    this.onOnline = () => {
      if (this.state === 'reconnecting' && this.reconnectTimer !== null) {
        clearTimeout(this.reconnectTimer);
        this.reconnectTimer = null;
        // Back online: try now rather than at the end of the current wait.
        this.attemptReconnect(this.reconnectAttempt, 0);
      }
    };
  }

  get sessionId() { return this.started?.session_id ?? null; }
  get isLive() { return this.state === 'live' && this.ws?.readyState === WebSocket.OPEN; }

  /** Opens a connection; resolves when it is open, rejects if it closes first. */
  connect() {
    this.intentionalClose = false;
    this.state = 'connecting';
    return this.open().then(() => { this.state = 'open'; });
  }

  open(url = this.url) {
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WebSocket(url);
      } catch (error) {
        reject(error);
        return;
      }
      ws.binaryType = 'arraybuffer';
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.ws = ws;
        resolve();
      };
      ws.onmessage = (event) => this.received(event);
      ws.onclose = (event) => {
        if (!opened) {
          reject(new Error('The interview connection could not be opened.'));
          return;
        }
        if (this.ws === ws) this.closedUnderneath(event);
      };
    });
  }

  /** Sends session.start; resolves with session.started, rejects with the error event ({code, message}). */
  start({ track, mode, sampleRate, record }) {
    const message = { type: 'session.start', protocol: protocolVersion, track, mode, sample_rate: sampleRate, record };
    return this.request(message, 15000).then((started) => {
      this.started = started;
      this.state = 'live';
      window.addEventListener('online', this.onOnline);
      return started;
    });
  }

  /** Sends a message with an id and waits for the reply that echoes it (session.started, session.resumed or error). */
  request(message, timeoutMs) {
    const id = `c${this.nextId}`;
    this.nextId += 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject({ code: 'timeout', message: 'The interview server did not answer in time. Please try again.' });
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => { clearTimeout(timer); resolve(value); },
        reject: (value) => { clearTimeout(timer); reject(value); },
      });
      if (!this.sendJSON({ ...message, id })) {
        this.pending.get(id)?.reject({ code: 'not_connected', message: 'The interview connection is not open.' });
        this.pending.delete(id);
      }
    });
  }

  sendJSON(message) {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  answerText(text) { return this.sendJSON({ type: 'answer.text', text }); }
  /** Transcripts name their question, so an utterance that crosses a turn's end is not added to the next one. */
  transcriptPartial(text, questionId) { return this.sendJSON(withQuestion({ type: 'transcript.partial', text }, questionId)); }
  transcriptFinal(text, questionId) { return this.sendJSON(withQuestion({ type: 'transcript.final', text }, questionId)); }

  /** Tells the engine the question is being read aloud (or no longer is), for barge-ins (§2.9). */
  playback(playing, questionId) {
    return this.sendJSON({ type: playing ? 'playback.started' : 'playback.stopped', question_id: questionId });
  }
  answerDone() { return this.sendJSON({ type: 'answer.done' }); }
  endSession() { return this.sendJSON({ type: 'session.end' }); }

  /**
   * Sends one binary audio frame. Frames are dropped, not queued, when the network cannot keep up: late audio is
   * worth less than a live connection.
   */
  sendAudio(buffer) {
    if (!this.isLive) return false;
    if (this.ws.bufferedAmount > 512 * 1024) return false;
    this.ws.send(buffer);
    return true;
  }

  received(event) {
    if (typeof event.data !== 'string') return;
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!message || typeof message !== 'object' || typeof message.type !== 'string') return;
    const waiting = message.id !== undefined ? this.pending.get(String(message.id)) : undefined;
    if (waiting) {
      this.pending.delete(String(message.id));
      if (message.type === 'error') waiting.reject(message); else waiting.resolve(message);
    }
    if (message.type === 'session.ended') this.state = 'ended';
    // Each token takes the session back once: the next drop needs the new one.
    if (message.type === 'session.resumed' && this.started && typeof message.resume_token === 'string') {
      this.started = { ...this.started, resume_token: message.resume_token };
    }
    this.dispatchEvent(new CustomEvent('server', { detail: message }));
  }

  closedUnderneath(event) {
    this.ws = null;
    // For support and the browser tests' reports: why the connection went.
    console.info(`the interview connection closed: ${event.code} ${event.reason}`);
    for (const waiting of this.pending.values()) waiting.reject({ code: 'connection_closed', message: 'The connection closed.' });
    this.pending.clear();
    if (this.intentionalClose || this.state === 'ended' || this.state === 'closed') {
      this.finish();
      return;
    }
    if (event.code === 1008) {
      // A policy close: the sign-in ended (logged out elsewhere, expired, account deleted). Reconnecting cannot help.
      this.state = 'closed';
      window.removeEventListener('online', this.onOnline);
      this.dispatchEvent(new CustomEvent('dropped', { detail: { code: event.code, reason: event.reason, final: true } }));
      return;
    }
    if (this.state === 'reconnecting') {
      // The new connection broke while asking for the session back: keep trying.
      this.attemptReconnect((this.reconnectAttempt ?? 0) + 1);
      return;
    }
    if (this.state === 'live') {
      this.state = 'reconnecting';
      this.dispatchEvent(new CustomEvent('dropped', { detail: { code: event.code, reason: event.reason } }));
      this.attemptReconnect(0);
      return;
    }
    // Closed while waiting for a start: nothing to resume, but the page should know.
    this.state = 'closed';
    this.dispatchEvent(new CustomEvent('dropped', { detail: { code: event.code, reason: event.reason } }));
  }

  attemptReconnect(attempt, delayMs = this.reconnectDelaysMs[attempt]) {
    if (this.intentionalClose) return;
    if (attempt >= this.reconnectDelaysMs.length) {
      this.state = 'closed';
      this.dispatchEvent(new CustomEvent('reconnect-failed'));
      return;
    }
    this.reconnectAttempt = attempt;
    this.dispatchEvent(new CustomEvent('reconnecting', { detail: { attempt: attempt + 1, delayMs } }));
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = null;
      if (this.intentionalClose) return;
      try {
        // To the node that holds the parked session, when a load balancer routes by it.
        await this.open(resumeURL(this.url, this.started?.resume_token));
      } catch {
        this.attemptReconnect(attempt + 1);
        return;
      }
      await this.resume();
    }, delayMs);
  }

  /** Asks the engine for the dropped session back (§2.10); its session.resumed comes as a `server` event. */
  async resume() {
    const message = { type: 'session.resume', session_id: this.sessionId, resume_token: this.started.resume_token };
    try {
      await this.request(message, 5000);
      this.state = 'live';
    } catch (error) {
      if (this.ws === null) return;  // the new connection broke as well; its close handler takes over
      console.info(`the interview could not be resumed: ${error?.code}`);
      if (error?.code === 'timeout') {
        // No answer on this connection: another one asks again (a resume takes the session over from it).
        const ws = this.ws;
        this.ws = null;
        ws.close(4000, 'resume timed out');
        this.attemptReconnect(this.reconnectAttempt + 1);
        return;
      }
      this.started = null;
      this.state = 'open';
      window.removeEventListener('online', this.onOnline);
      this.dispatchEvent(new CustomEvent('resume-unavailable', { detail: error }));
    }
  }

  finish() {
    if (this.state === 'closed') return;
    this.state = 'closed';
    window.removeEventListener('online', this.onOnline);
    this.dispatchEvent(new CustomEvent('closed'));
  }

  /** Closes on purpose: no reconnect. */
  close() {
    this.intentionalClose = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    window.removeEventListener('online', this.onOnline);
    const ws = this.ws;
    this.ws = null;
    this.state = 'closed';
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'client closed');
  }

  /**
   * Breaks the connection without telling the engine, as a network failure would. Used by the browser tests to
   * exercise the reconnect path; the engine sees an ordinary disconnect.
   */
  simulateDrop() {
    this.ws?.close(4000, 'simulated drop');
  }
}
