// The interview transcript: each question, the interviewer's nudges, what the candidate said or typed (the
// recogniser's guess in progress set apart), how the turn ended and its score. Renders the room state's entries;
// an entry that did not change (the state is never changed in place) is not touched.

import { h, replaceChildren } from '../../dom.js';
import { answerScore } from '../report.js';

export class TranscriptView {
  constructor() {
    this.list = h('ol', { class: 'transcript__list' });
    // The live region wraps the list: a role on the <ol> itself would take its list semantics away.
    this.element = h('section', { class: 'transcript', 'aria-labelledby': 'transcript-title' },
      h('h2', { id: 'transcript-title', class: 'section-title' }, 'Transcript'),
      h('div', { role: 'log', 'aria-labelledby': 'transcript-title', 'data-testid': 'transcript' }, this.list));
    this.rendered = [];
  }

  render(state) {
    const { entries } = state;
    if (entries === this.renderedEntries) return;
    this.renderedEntries = entries;
    entries.forEach((entry, index) => {
      if (this.rendered[index]?.entry === entry) return;
      const item = this.rendered[index]?.item ?? h('li');
      this.fill(item, entry);
      if (!this.rendered[index]) this.list.append(item);
      this.rendered[index] = { entry, item };
    });
    this.list.scrollTop = this.list.scrollHeight;
  }

  fill(item, entry) {
    if (entry.kind === 'divider') {
      item.className = 'transcript__divider';
      replaceChildren(item, entry.text);
      return;
    }
    item.className = entry.open ? 'turn turn--current' : 'turn';
    item.dataset.questionId = entry.questionId;
    const written = [...entry.chunks, ...entry.finals].join(' ');
    const score = entry.score ? answerScore(entry.score, { compact: true }) : null;
    replaceChildren(item,
      h('div', { class: 'turn__question' },
        h('span', { class: 'turn__who' }, entry.label),
        h('p', {}, entry.question),
        entry.nudges.map((text) => h('p', { class: 'turn__nudge' }, text))),
      h('div', { class: 'turn__answer' },
        h('span', { class: 'turn__who' }, 'You'),
        h('p', { class: 'turn__text' }, entry.open ? written : entry.text),
        entry.open ? h('span', { class: 'turn__partial' }, entry.partial ? ` ${entry.partial}` : '') : null,
        entry.note ? h('p', { class: 'turn__note' }, entry.note) : null),
      score ? h('div', { class: 'turn__score' }, score) : null);
  }
}
