// The top of the interview room: the track, which question this is, whose turn it is, the minutes left, and the
// button that ends the interview.

import { h, setText } from '../../dom.js';
import * as format from '../../format.js';
import { isLive, phaseOf, remainingMs } from '../../room-state.js';

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

export class StatusBar {
  constructor({ title, endInterview }) {
    // Not a live region: in voice mode it changes whenever the candidate starts or stops talking. New questions are
    // announced by the question card, connection problems and warnings by alerts.
    this.statusPill = h('p', { class: 'status-pill', 'data-testid': 'status' });
    this.remaining = h('span', { class: 'remaining__value', 'data-testid': 'remaining' });
    this.remainingBox = h('p', { class: 'remaining' }, h('span', { class: 'remaining__label' }, 'Time left'), ' ', this.remaining);
    this.progress = h('p', { class: 'room__progress', 'data-testid': 'question-progress' });
    this.endButton = h('button', { type: 'button', class: 'button button--danger-quiet', 'data-testid': 'end-interview' }, 'End interview');
    this.endButton.addEventListener('click', endInterview);
    this.element = h('div', { class: 'room__bar' },
      h('div', { class: 'room__heading' }, h('h1', { class: 'room__title' }, title), this.progress),
      h('div', { class: 'room__meta' }, this.statusPill, this.remainingBox, this.endButton));
  }

  render(state, now) {
    const phase = phaseOf(state);
    this.statusPill.dataset.phase = phase;
    setText(this.statusPill, phaseText[phase]);
    const count = state.session?.question_count;
    const question = state.question;
    setText(this.progress, question && count
      ? `Question ${question.main_number} of ${count}${question.kind === 'follow_up' ? ' · follow-up' : ''}` : '');
    const remaining = remainingMs(state, now);
    this.remainingBox.hidden = remaining === null;
    if (remaining !== null) {
      setText(this.remaining, format.clock(remaining));
      this.remainingBox.dataset.low = String(remaining <= 60_000);
    }
    // Ending is for a session that is on this connection; during a reconnect the engine cannot be told.
    this.endButton.hidden = !isLive(state) || state.connection === 'reconnecting';
  }
}
