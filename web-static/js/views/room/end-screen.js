// The end of an interview: why it ended, the interviewer's closing words, the summary, the report, and where to go
// next; or, when the start was refused for want of minutes, how to get more.

import { h, uid } from '../../dom.js';
import * as format from '../../format.js';
import { buyMinutesSection } from '../minutes.js';
import { sessionReport, writtenReport } from '../report.js';

const endHeadings = {
  completed: 'Interview complete',
  client_ended: 'You ended the interview',
  balance_exhausted: 'You have run out of minutes',
  idle: 'The interview ended after a long silence',
  server_restarting: 'The server is restarting',
};

export class EndScreen {
  constructor() {
    this.element = h('div', { class: 'room__end' });
    this.shown = null;
    /** Where the model's written report appears when it follows session.ended (polite: it comes a few seconds later). */
    this.writtenSlot = h('div', { 'aria-live': 'polite', 'data-testid': 'written-report-slot' });
    this.writtenShown = undefined;
  }

  /** Renders once per ending; returns true when there is an end screen. */
  render(state) {
    this.renderWritten(state.writtenReport);
    const noMinutes = state.startProblem?.code === 'insufficient_balance' ? state.startProblem : null;
    const shown = state.ended ?? noMinutes;
    if (shown === this.shown) return shown !== null;
    this.shown = shown;
    this.element.replaceChildren();
    if (!shown) return false;
    const panel = state.ended ? this.ended(state) : this.noMinutes(noMinutes);
    this.element.append(panel);
    panel.querySelector('h2').focus();
    return true;
  }

  /** Only the slot changes when report.written comes: the panel (and the focus in it) stays. */
  renderWritten(written) {
    if (written === this.writtenShown) return;
    this.writtenShown = written;
    const note = (text) => h('p', { class: 'muted', 'data-testid': 'written-report-status' }, text);
    this.writtenSlot.replaceChildren(...[
      written?.status === 'pending' ? note('The interviewer is writing a few notes on your answers…') : null,
      written?.status === 'ready' ? writtenReport(written, { headingLevel: 4 }) : null,
      written?.status === 'unavailable' ? note("The interviewer's notes are not ready; if they are written later, they will be with this session in your history.") : null,
    ].filter(Boolean));
  }

  noMinutes(problem) {
    return h('section', { class: 'panel end-panel', 'data-testid': 'end-screen', 'data-reason': 'insufficient_balance' },
      h('h2', { class: 'end-panel__title', tabindex: '-1' }, 'You have no minutes left'),
      h('p', {}, problem.message),
      buyMinutesSection());
  }

  ended(state) {
    const event = state.ended;
    const { summary } = event;
    const stats = [
      ['Questions asked', summary.questions_asked],
      ['Answers given', summary.answers_given],
      ['Follow-up questions', summary.follow_ups_asked],
      ['Words', summary.total_words],
      ['Average pace', summary.average_words_per_minute ? `${summary.average_words_per_minute} words per minute` : '—'],
      ['Filler words', summary.filler_count],
      ['Time used', format.duration(summary.used_ms)],
    ];
    const questionTexts = new Map(state.entries.filter((entry) => entry.kind === 'turn').map((turn) => [turn.questionId, turn.question]));
    const sessionId = state.session?.session_id;
    const titleId = uid('end-title');
    return h('section', { class: 'panel end-panel', 'data-testid': 'end-screen', 'data-reason': event.reason, 'aria-labelledby': titleId },
      h('h2', { class: 'end-panel__title', id: titleId, tabindex: '-1' }, endHeadings[event.reason] ?? 'The interview has ended'),
      event.reason === 'balance_exhausted'
        ? h('p', { class: 'lead' }, 'Your balance reached zero, so the interview stopped. Everything you said up to now is saved in your history.')
        : null,
      event.reason === 'server_restarting'
        ? h('p', { class: 'lead' }, 'This server is being restarted, so the interview stopped here. Everything you said up to now is saved in your history, and you were charged only for the time used. Start again: another server will take your interview.')
        : null,
      event.closing ? h('blockquote', { class: 'closing' }, h('p', {}, event.closing)) : null,
      h('p', { 'data-testid': 'summary-text' }, summary.text),
      h('dl', { class: 'stats' }, stats.map(([label, value]) => h('div', { class: 'stats__item' }, h('dt', {}, label), h('dd', {}, String(value))))),
      h('section', { class: 'end-panel__report', 'aria-labelledby': `${titleId}-report` },
        h('h3', { id: `${titleId}-report` }, 'Your report'),
        this.writtenSlot,
        sessionReport(event.report, { questionTexts, headingLevel: 4 })),
      h('p', { class: 'end-panel__actions' },
        sessionId ? h('a', { class: 'button button--primary', href: `#/history/${sessionId}`, 'data-testid': 'view-session' }, 'See this session in your history') : null,
        h('a', { class: event.reason === 'server_restarting' ? 'button button--primary' : 'button', href: '#/practice', 'data-testid': 'practise-again' },
          event.reason === 'server_restarting' ? 'Start again' : 'Practise again')),
      event.reason === 'balance_exhausted' ? buyMinutesSection() : null);
  }
}
