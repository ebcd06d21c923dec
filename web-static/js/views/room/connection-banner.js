// What the room says about its connection: reconnecting, reconnected, the interview lost to a long drop, no way
// back, the sign-in ended, or a start that failed; with what the candidate can do about it.

import { h, message, replaceChildren } from '../../dom.js';

/** How long "Reconnected" stays up. */
const resumedNoticeMs = 5000;

export class ConnectionBanner {
  /** `actions`: startAgain(), retryReconnect(), retryStart(). */
  constructor(actions) {
    this.actions = actions;
    this.element = h('div', { class: 'room__connection' });
    this.shown = null;
  }

  render(state, now) {
    const content = this.content(state, now);
    const key = content ? `${content.kind}|${content.title}` : null;
    if (key === this.shown) return;
    this.shown = key;
    if (!content) {
      this.element.replaceChildren();
      return;
    }
    const box = message(content.kind, h('p', { class: 'message__title' }, content.title),
      content.body ? h('p', {}, content.body) : null,
      content.buttons?.length ? h('p', { class: 'message__actions' }, content.buttons) : null);
    box.dataset.testid = 'connection-banner';
    replaceChildren(this.element, box);
  }

  content(state, now) {
    switch (state.connection) {
      case 'reconnecting':
        return {
          kind: 'warning',
          title: state.reconnectAttempt > 1 ? `The connection dropped. Reconnecting (attempt ${state.reconnectAttempt})…` : 'The connection dropped. Reconnecting…',
          body: 'Your transcript is safe on this page.',
        };
      case 'resumed':
        return now - state.resumedAt < resumedNoticeMs ? { kind: 'success', title: 'Reconnected: your interview continues.' } : null;
      case 'lost': {
        const sessionId = state.session?.session_id;
        return {
          kind: 'error',
          title: 'The connection was gone too long, so this interview has ended.',
          body: 'Your transcript is kept below, and your answers up to the drop are saved in your history. Start a new interview when you are ready.',
          buttons: [
            this.button('Start a new interview', 'start-again', this.actions.startAgain),
            sessionId ? h('a', { class: 'button button--quiet', href: `#/history/${sessionId}` }, 'See it in your history') : null,
          ],
        };
      }
      case 'failed':
        return {
          kind: 'error',
          title: 'Jestry could not reconnect.',
          body: 'Check your internet connection, then try again. Your transcript stays on this page.',
          buttons: [this.button('Try again', 'retry-reconnect', this.actions.retryReconnect)],
        };
      case 'signed-out':
        return {
          kind: 'error',
          title: 'Your sign-in ended, so the interview stopped.',
          body: 'Your answers up to now are saved. Sign in again to continue practising.',
          buttons: [h('a', { class: 'button button--primary', href: '#/signin' }, 'Sign in again')],
        };
      case 'refused':
        return this.startProblem(state.startProblem);
      default:
        return null;
    }
  }

  /** A start that failed; running out of minutes is the end screen's, not a connection problem. */
  startProblem({ code, message: text }) {
    if (code === 'insufficient_balance') return null;
    const back = h('a', { href: '#/practice', class: 'button button--quiet' }, 'Back to practice setup');
    if (code === 'unknown_track') return { kind: 'error', title: text, body: 'The tracks may have changed; choose another one.', buttons: [back] };
    if (code === 'server_draining') {
      return { kind: 'error', title: 'The server is restarting.', body: 'Try again: another server will take your interview.',
        buttons: [this.button('Try again', 'retry-start', this.actions.retryStart), back] };
    }
    if (code === 'unreachable') {
      return { kind: 'error', title: 'The interview server could not be reached.', body: 'Check your connection and try again.',
        buttons: [this.button('Try again', 'retry-start', this.actions.retryStart), back] };
    }
    return { kind: 'error', title: text, body: 'Try again in a moment.', buttons: [this.button('Try again', 'retry-start', this.actions.retryStart), back] };
  }

  button(label, testid, action) {
    const button = h('button', { type: 'button', class: 'button button--primary', 'data-testid': testid }, label);
    button.addEventListener('click', action);
    return button;
  }
}
