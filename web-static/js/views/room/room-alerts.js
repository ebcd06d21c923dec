// Alerts above the room that are not about the connection: the engine's one-minute warning, and an error the engine
// reported on its own (shown for a few seconds).

import { h, message, replaceChildren } from '../../dom.js';
import * as format from '../../format.js';

const serverErrorMs = 8000;

export class RoomAlerts {
  constructor() {
    this.billing = h('div');
    this.serverError = h('div');
    this.element = h('div', { class: 'room__alerts', 'data-testid': 'room-alerts' }, this.billing, this.serverError);
  }

  render(state, now) {
    const warning = state.ended ? null : state.billingWarning;
    if (warning !== this.shownWarning) {
      this.shownWarning = warning;
      replaceChildren(this.billing, warning ? h('div', { class: 'message message--warning', role: 'alert', 'data-testid': 'billing-warning' },
        h('p', { class: 'message__title' }, `Less than a minute of practice time left (${format.duration(warning.remainingMs)}).`),
        h('p', {}, 'The interview stops when your balance reaches zero; your answers are saved. ',
          h('a', { href: '#/minutes', target: '_blank', rel: 'noopener' }, 'Buy more minutes (opens in a new tab)'))) : null);
    }
    const error = state.serverError && !state.ended && now - state.serverError.at < serverErrorMs ? state.serverError : null;
    if (error !== this.shownError) {
      this.shownError = error;
      replaceChildren(this.serverError, error ? message('warning', h('p', {}, error.message)) : null);
    }
  }
}
