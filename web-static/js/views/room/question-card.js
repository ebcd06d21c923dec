// The open question, announced when it changes, with the interviewer's voice controls under it.

import { h, setText } from '../../dom.js';

export class QuestionCard {
  constructor({ controls }) {
    this.kicker = h('p', { class: 'question__kicker' }, 'Getting your first question…');
    this.text = h('p', { class: 'question__text', 'data-testid': 'question-text' });
    this.element = h('section', { class: 'question-card', 'aria-labelledby': 'question-heading' },
      h('h2', { id: 'question-heading', class: 'visually-hidden' }, 'Current question'),
      h('div', { 'aria-live': 'polite', 'aria-atomic': 'true' }, this.kicker, this.text),
      controls);
  }

  render(state) {
    const { question } = state;
    if (!question) {
      setText(this.kicker, 'Getting your first question…');
      setText(this.text, '');
      return;
    }
    if (state.awaitingNext && state.interviewerThinking) {
      setText(this.kicker, 'The interviewer is thinking about your answer…');
      return;
    }
    const count = state.session?.question_count;
    setText(this.kicker, question.kind === 'follow_up' ? 'Follow-up question' : `Question ${question.main_number} of ${count}`);
    setText(this.text, question.text);
  }
}
