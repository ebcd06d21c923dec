// Scores and reports as the engine sends them: an answer's score (answer.scored, turns[].score) and a session's
// report (session.ended.report, GET /v1/sessions/{id}). Shapes this page does not know are shown generically.

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

/** Renders any JSON value readably: text as paragraphs, lists as lists, objects as labelled sections. */
export function renderValue(value, depth = 0) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.split(/\n{2,}/).map((paragraph) => h('p', {}, paragraph));
  if (typeof value === 'number' || typeof value === 'boolean') return h('p', {}, String(value));
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== 'object' || item === null)) return h('ul', {}, value.map((item) => h('li', {}, String(item))));
    return h('div', { class: 'report__list' }, value.map((item) => h('div', { class: 'report__item' }, renderValue(item, depth + 1))));
  }
  const entries = Object.entries(value).filter(([, item]) => item !== null && item !== undefined);
  const heading = depth < 2 ? 'h3' : 'h4';
  return h('div', { class: 'report__section' }, entries.map(([key, item]) => {
    if (typeof item === 'object') return h('div', { class: 'report__block' }, h(heading, {}, format.humanize(key)), renderValue(item, depth + 1));
    return h('p', {}, h('strong', {}, `${format.humanize(key)}: `), String(item));
  }));
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
    h('span', { class: 'criteria__value' }, format.percentScore(value)))));
}

/** One answer's score: overall, per criterion, a strength and what to improve. Null when there is none. */
export function answerScore(score, { compact = false } = {}) {
  if (!score || typeof score !== 'object') return null;
  const overall = typeof score.overall === 'number' ? format.percentScore(score.overall) : format.score(score);
  if (!overall) return null;
  const strength = score.strength?.text;
  const improvement = score.improvement?.text;
  return h('div', { class: 'answer-score', 'data-testid': 'answer-score' },
    h('p', { class: 'answer-score__overall' }, h('strong', {}, `Score: ${overall}`)),
    compact ? null : criterionBars(score.scores),
    strength ? h('p', { class: 'answer-score__remark' }, h('span', { class: 'answer-score__label' }, 'Strength: '), strength) : null,
    improvement ? h('p', { class: 'answer-score__remark' }, h('span', { class: 'answer-score__label' }, 'To improve: '), improvement) : null);
}

/** A session report: overall score, trend, averages per criterion, what to practise, each answer's score. */
export function sessionReport(report, { questionTexts = new Map(), headingLevel = 3 } = {}) {
  const heading = `h${headingLevel}`;
  if (report === null || report === undefined) return null;
  const known = typeof report === 'object' && ('averages' in report || 'practise' in report || 'questions' in report);
  if (!known) return h('div', { class: 'report' }, renderValue(report));
  const practise = (report.practise ?? []).filter((item) => item?.text);
  const questions = (report.questions ?? []).filter((item) => typeof item?.overall === 'number');
  return h('div', { class: 'report', 'data-testid': 'session-report' },
    typeof report.overall === 'number'
      ? h('p', { class: 'big-number', 'data-testid': 'report-overall' }, h('span', { class: 'visually-hidden' }, 'Overall score: '), format.percentScore(report.overall))
      : h('p', { class: 'muted' }, 'No answers were scored in this interview.'),
    report.trend && questions.length ? h('p', { 'data-testid': 'report-trend' }, trendText[report.trend] ?? format.humanize(report.trend)) : null,
    Object.keys(report.averages ?? {}).length ? [h(heading, {}, 'By criterion'), criterionBars(report.averages)] : null,
    practise.length ? [h(heading, {}, 'What to practise next'), h('ol', { class: 'practise' }, practise.map((item) =>
      h('li', {}, item.criterion ? h('strong', {}, `${criterionName(item.criterion)}: `) : null, item.text)))] : null,
    questions.length ? [h(heading, {}, 'Each answer'), h('ol', { class: 'report__answers' }, questions.map((item) =>
      h('li', {}, h('span', { class: 'report__answer-text' }, questionTexts.get(item.question_id) ?? (item.kind === 'follow_up' ? 'Follow-up question' : `Question ${item.question_id}`)),
        ' ', h('strong', {}, format.percentScore(item.overall)))))] : null);
}
