// Scores and reports as the engine sends them: an answer's score (answer.scored, turns[].score) and a session's
// report (session.ended.report, GET /v1/sessions/{id}).

import { h } from '../dom.js';
import * as format from '../format.js';

const criterionNames = {
  structure: 'Structure',
  specificity: 'Specifics',
  relevance: 'Relevance',
  concision: 'Concision',
  delivery: 'Delivery',
};

const trendText = {
  improving: 'Improving: your later answers scored higher than your first ones.',
  steady: 'Steady: your answers scored about the same throughout.',
  declining: 'Your later answers scored lower than your first ones: take a short break between questions.',
  not_enough_answers: 'Answer a few more questions to see a trend.',
};

export function criterionName(key) {
  return criterionNames[key] ?? format.humanize(key);
}

/** Horizontal bars for {criterion: 0…100}. */
function criterionBars(scores) {
  const order = Object.keys(criterionNames);
  const rank = (key) => (order.includes(key) ? order.indexOf(key) : order.length);
  const entries = Object.entries(scores ?? {}).filter(([, value]) => typeof value === 'number')
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  if (entries.length === 0) return null;
  return h('ul', { class: 'criteria' }, entries.map(([key, value]) => h('li', { class: 'criteria__item' },
    h('span', { class: 'criteria__name' }, criterionName(key)),
    h('span', { class: 'criteria__bar', 'aria-hidden': 'true' }, h('span', { class: 'criteria__fill', style: { width: `${Math.max(0, Math.min(100, value))}%` } })),
    h('span', { class: 'criteria__value' }, format.score(value)))));
}

/** One answer's score: overall, per criterion, a strength and what to improve. Null when there is none. */
export function answerScore(score, { compact = false } = {}) {
  const overall = format.score(score.overall);
  const strength = score.strength?.text;
  const improvement = score.improvement?.text;
  return h('div', { class: 'answer-score', 'data-testid': 'answer-score' },
    h('p', { class: 'answer-score__overall' }, h('strong', {}, `Score: ${overall}`)),
    compact ? null : criterionBars(score.scores),
    strength ? h('p', { class: 'answer-score__remark' }, h('span', { class: 'answer-score__label' }, 'Strength: '), strength) : null,
    improvement ? h('p', { class: 'answer-score__remark' }, h('span', { class: 'answer-score__label' }, 'To improve: '), improvement) : null);
}

/** The model's words on a session (`report.written`, `report.written` of GET /v1/sessions/{id}): a short summary
 * and three things to practise. Null when there are none. */
export function writtenReport(written, { headingLevel = 3 } = {}) {
  if (typeof written?.summary !== 'string') return null;
  const practise = (written.practise ?? []).filter((item) => typeof item === 'string' && item);
  return h('div', { class: 'written-report', 'data-testid': 'written-report' },
    h(`h${headingLevel}`, {}, "The interviewer's notes"),
    h('p', { 'data-testid': 'written-summary' }, written.summary),
    practise.length ? h('ol', { class: 'practise', 'data-testid': 'written-practise' }, practise.map((item) => h('li', {}, item))) : null);
}

/** A session report: the interviewer's notes when the model wrote some, overall score, trend, averages per
 * criterion, what to practise, each answer's score. */
export function sessionReport(report, { questionTexts = new Map(), headingLevel = 3 } = {}) {
  const heading = `h${headingLevel}`;
  const practise = (report.practise ?? []).filter((item) => item?.text);
  const questions = (report.questions ?? []).filter((item) => typeof item?.overall === 'number');
  return h('div', { class: 'report', 'data-testid': 'session-report' },
    writtenReport(report.written, { headingLevel }),
    typeof report.overall === 'number'
      ? h('p', { class: 'big-number', 'data-testid': 'report-overall' }, h('span', { class: 'visually-hidden' }, 'Overall score: '), format.score(report.overall))
      : h('p', { class: 'muted' }, 'No answers were scored in this interview.'),
    report.trend && questions.length ? h('p', { 'data-testid': 'report-trend' }, trendText[report.trend] ?? format.humanize(report.trend)) : null,
    Object.keys(report.averages ?? {}).length ? [h(heading, {}, 'By criterion'), criterionBars(report.averages)] : null,
    practise.length ? [h(heading, {}, 'What to practise next'), h('ol', { class: 'practise' }, practise.map((item) =>
      h('li', {}, item.criterion ? h('strong', {}, `${criterionName(item.criterion)}: `) : null, item.text)))] : null,
    questions.length ? [h(heading, {}, 'Each answer'), h('ol', { class: 'report__answers' }, questions.map((item) =>
      h('li', {}, h('span', { class: 'report__answer-text' }, questionTexts.get(item.question_id) ?? (item.kind === 'follow_up' ? 'Follow-up question' : `Question ${item.question_id}`)),
        ' ', h('strong', {}, format.score(item.overall)))))] : null);
}
