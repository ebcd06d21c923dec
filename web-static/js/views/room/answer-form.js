// Typing an answer: Enter sends what was typed as one chunk, Ctrl+Enter (or "Finish answer") also ends the turn.
// Text that cannot go to the engine yet stays in the box.

import { h, setText, uid } from '../../dom.js';
import { acceptsAnswer } from '../../room-state.js';

export class AnswerForm {
  /** `send(text)` and `finish()` return whether the message went to the engine. */
  constructor({ mode, send, finish }) {
    this.sendToEngine = send;
    this.finishOnEngine = finish;
    const inputId = uid('answer');
    const hintId = `${inputId}-hint`;
    this.input = h('textarea', { id: inputId, rows: 3, 'aria-describedby': hintId, 'data-testid': 'answer-input', autocomplete: 'off', spellcheck: 'true' });
    this.sendButton = h('button', { type: 'submit', class: 'button', 'data-testid': 'send-answer' }, 'Send');
    this.finishButton = h('button', { type: 'button', class: 'button button--primary', 'data-testid': 'finish-answer' }, 'Finish answer');
    this.note = h('p', { class: 'answer-form__note', role: 'status' });
    this.element = h('form', { class: 'answer-form', 'aria-labelledby': `${inputId}-label` },
      h('label', { for: inputId, id: `${inputId}-label`, class: 'field__label' }, mode === 'voice' ? 'Speak, or type your answer' : 'Type your answer'),
      h('p', { class: 'field__hint', id: hintId }, 'Enter sends what you typed; Shift+Enter starts a new line; Ctrl+Enter sends and finishes the answer. Send in sentences: coaching updates as you go.'),
      this.input,
      h('div', { class: 'answer-form__actions' }, this.sendButton, this.finishButton),
      this.note);
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      this.send();
    });
    this.finishButton.addEventListener('click', () => this.finish());
    this.input.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      if (event.ctrlKey || event.metaKey) this.finish(); else this.send();
    });
    this.state = null;
  }

  render(state) {
    this.state = state;
    const connected = ['live', 'resumed'].includes(state.connection);
    this.sendButton.disabled = !connected || state.question === null;
    this.finishButton.disabled = !acceptsAnswer(state);
  }

  send() {
    const text = this.input.value.trim();
    if (!text) return;
    if (!this.state || !acceptsAnswer(this.state)) {
      setText(this.note, 'Not sent yet: wait for the next question. Your text stays here.');
      return;
    }
    if (!this.sendToEngine(text)) {
      setText(this.note, 'Not sent: the connection is not open. Your text stays here.');
      return;
    }
    this.input.value = '';
    setText(this.note, '');
  }

  finish() {
    if (!this.state || !acceptsAnswer(this.state)) return;
    if (this.input.value.trim()) this.send();
    if (this.finishOnEngine()) this.input.focus();
  }

  /** Whatever is typed and not yet sent goes to the engine (before the interview is ended). */
  flush() {
    if (this.input.value.trim()) this.send();
  }
}
