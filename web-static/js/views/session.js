// One past interview: summary, scores, report, recording and the full transcript with each answer's analysis.

import { api, ApiError } from '../api.js';
import { h, message, replaceChildren } from '../dom.js';
import * as format from '../format.js';
import { starLabels, starPartsInOrder } from '../coaching.js';
import { deleteSessionWithConfirmation, sessionDuration, trackTitles } from './history.js';
import { answerScore, sessionReport } from './report.js';

function analysisChips(analysis) {
  if (!analysis) return null;
  const chips = [];
  if (typeof analysis.word_count === 'number') chips.push(`${analysis.word_count} words`);
  if (typeof analysis.duration_ms === 'number' && analysis.duration_ms > 0) chips.push(format.duration(analysis.duration_ms));
  const fillers = Object.values(analysis.fillers ?? {}).reduce((sum, count) => sum + count, 0);
  chips.push(fillers === 0 ? 'no filler words' : `${fillers} filler word${fillers === 1 ? '' : 's'}`);
  if (analysis.mentions_numbers) chips.push('uses numbers');
  if (typeof analysis.first_person_singular === 'number' && typeof analysis.first_person_plural === 'number') {
    chips.push(`“I” ${analysis.first_person_singular} · “we” ${analysis.first_person_plural}`);
  }
  const parts = new Set(analysis.star_parts ?? []);
  return h('div', { class: 'turn__analysis' },
    h('ul', { class: 'chips', 'aria-label': 'Measures of this answer' }, chips.map((chip) => h('li', { class: 'chip' }, chip))),
    h('ul', { class: 'chips chips--star', 'aria-label': 'STAR parts found' }, starPartsInOrder.map((part) =>
      h('li', { class: `chip ${parts.has(part) ? 'chip--on' : 'chip--off'}` },
        h('span', { 'aria-hidden': 'true' }, parts.has(part) ? '✓ ' : '○ '),
        starLabels[part],
        h('span', { class: 'visually-hidden' }, parts.has(part) ? ' covered' : ' missing')))));
}

function recordingSection(session, hasVideo) {
  const body = h('div', { 'data-testid': 'recording' });
  const section = h('section', { class: 'panel', 'aria-labelledby': 'recording-title' },
    h('h2', { id: 'recording-title', class: 'panel__title' }, 'Recording'), body);
  if (session.mode !== 'voice') {
    replaceChildren(body, h('p', { class: 'muted' }, 'Typed interviews have no recording.'));
  } else if (!session.recording_url && hasVideo) {
    replaceChildren(body, h('p', { class: 'muted' }, 'No separate audio recording was kept: your voice is in the video.'));
  } else if (!session.recording_url) {
    replaceChildren(body, h('p', { class: 'muted' }, 'This interview was not recorded. To keep a recording, tick “Keep a recording of my answers” before you start.'));
  } else {
    const url = session.recording_url;
    const audio = h('audio', { controls: true, preload: 'metadata', src: url, 'aria-label': 'Recording of your answers' });
    audio.addEventListener('error', () => {
      replaceChildren(body, h('p', { class: 'muted' }, 'The recording could not be loaded. Try again later.'));
    }, { once: true });
    replaceChildren(body, audio, h('p', {}, h('a', { href: url, download: `jestry-${session.id}.wav` }, 'Download the recording')));
  }
  return section;
}

/**
 * The session's video, when there is one, and a way to jump to a moment in it: `seek(ms)`. The engine serves it in
 * ranges, so a jump into a long recording does not wait for the whole file.
 */
function videoPlayer(video) {
  const player = h('video', { controls: true, preload: 'metadata', src: video.url, playsinline: true, 'data-testid': 'video-player',
    'aria-label': 'Video of your interview' });
  const note = h('p', { class: 'field__hint' }, video.gaps?.length
    ? `About ${video.gaps.length} s of the video never reached the server, so the picture jumps there.`
    : 'Choose “Watch” beside a question or an answer to jump to that moment.');
  player.addEventListener('error', () => {
    note.replaceChildren('The video could not be loaded. Try again later.');
  }, { once: true });
  const section = h('section', { class: 'panel video-review__player', 'aria-labelledby': 'video-title', 'data-testid': 'video' },
    h('h2', { id: 'video-title', class: 'panel__title' }, 'Video'), player, note,
    h('p', {}, h('a', { href: video.url, download: 'jestry-interview.webm' }, 'Download the video')));
  return {
    section,
    seek(ms) {
      player.currentTime = ms / 1000;
      player.play().catch(() => {});
      section.scrollIntoView({ block: 'nearest' });
    },
  };
}

/** A “Watch” button for one moment of the video. */
function watchButton(player, ms, what) {
  if (!player || typeof ms !== 'number') return null;
  const button = h('button', { type: 'button', class: 'button button--quiet button--small turn__watch', 'data-testid': 'seek', 'data-ms': String(ms) },
    `Watch ${what} (${format.duration(ms)})`);
  button.addEventListener('click', () => player.seek(ms));
  return button;
}

function reportSection(session, detail) {
  const questionTexts = new Map(detail.turns.map((turn) => [turn.question_id, turn.text]));
  return h('section', { class: 'panel', 'aria-labelledby': 'report-title', 'data-testid': 'report' },
    h('h2', { id: 'report-title', class: 'panel__title' }, 'Report'),
    detail.report ? sessionReport(detail.report, { questionTexts })
      : h('p', { class: 'muted' }, session.ended_at ? 'No report is available for this interview.' : 'The report is written when the interview ends.'));
}

export async function renderSession(root, context) {
  const [id] = context.params;
  let detail;
  try {
    detail = await api.session(id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      replaceChildren(root, h('h1', {}, 'Interview not found'),
        message('info', h('p', {}, 'This interview is not in your history. It may have been deleted.')),
        h('p', {}, h('a', { href: '#/history' }, 'Back to your interviews')));
      return null;
    }
    throw error;
  }
  const titles = await trackTitles();
  const session = detail.session;
  const title = titles.get(session.track) ?? session.track;
  const summary = detail.summary;
  const status = h('div', { 'data-testid': 'session-status' });

  const deleteButton = h('button', { type: 'button', class: 'button button--danger-quiet', 'data-testid': 'delete-session' }, 'Delete this interview');
  deleteButton.addEventListener('click', async () => {
    const result = await deleteSessionWithConfirmation(session, title);
    if (result.deleted) {
      context.notify('success', result.message);
      context.navigate('/history');
    } else if (result.message) {
      replaceChildren(status, message('error', h('p', {}, result.message)));
    }
  });

  const stats = summary ? [
    ['Questions asked', summary.questions_asked],
    ['Answers given', summary.answers_given],
    ['Follow-up questions', summary.follow_ups_asked],
    ['Words', summary.total_words],
    ['Average pace', summary.average_words_per_minute ? `${summary.average_words_per_minute} wpm` : '—'],
    ['Filler words', summary.filler_count],
  ] : [];

  const player = detail.video ? videoPlayer(detail.video) : null;
  const offsets = new Map((detail.video?.turns ?? []).map((turn) => [turn.question_id, turn]));
  const turns = (detail.turns ?? []).map((turn) => {
    const turnScore = turn.score ? answerScore(turn.score) : null;
    const offset = offsets.get(turn.question_id);
    return h('li', { class: 'turn' },
      h('div', { class: 'turn__question' },
        h('span', { class: 'turn__who' }, turn.kind === 'follow_up' ? 'Interviewer · follow-up' : `Interviewer · question ${turn.number}`),
        h('p', {}, turn.text),
        watchButton(player, offset?.question_ms, 'the question')),
      h('div', { class: 'turn__answer' },
        h('span', { class: 'turn__who' }, 'You'),
        watchButton(player, offset?.answer_ms ?? undefined, 'your answer'),
        turn.answer_text
          ? h('p', { class: 'turn__text' }, turn.answer_text)
          : h('p', { class: 'turn__note' }, turn.audio_ms ? `Spoken answer (${format.duration(turn.audio_ms)} of audio, no transcript).` : 'No answer.'),
        turn.answer_complete === false && turn.answer_text ? h('p', { class: 'turn__note' }, 'The answer was cut off.') : null,
        analysisChips(turn.analysis)),
      turnScore ? h('div', { class: 'turn__score' }, turnScore) : null);
  });

  const transcript = h('section', { class: 'panel', 'aria-labelledby': 'turns-title' },
    h('h2', { id: 'turns-title', class: 'panel__title' }, 'Transcript'),
    turns.length ? h('ol', { class: 'transcript__list transcript__list--full', 'data-testid': 'session-transcript' }, turns) : h('p', { class: 'muted' }, 'No questions were asked.'));
  replaceChildren(root,
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/history' }, '← All interviews')),
    h('div', { class: 'page-head page-head--split' },
      h('div', {},
        h('h1', {}, title),
        h('p', { class: 'lead' }, `${format.dateTime(session.started_at)} · ${format.modeName(session.mode)} · ${sessionDuration(session)} · ${format.endReason(session.end_reason)}`)),
      deleteButton),
    status,
    // With a video, it comes first, the transcript beside it, and each turn jumps to its moment.
    player ? h('div', { class: 'video-review' }, player.section, transcript) : null,
    h('div', { class: 'two-columns' },
      h('section', { class: 'panel', 'aria-labelledby': 'summary-title' },
        h('h2', { id: 'summary-title', class: 'panel__title' }, 'Summary'),
        summary?.text ? h('p', { 'data-testid': 'summary-text' }, summary.text) : h('p', { class: 'muted' }, session.ended_at ? 'No summary was stored for this interview.' : 'This interview is still running.'),
        stats.length ? h('dl', { class: 'stats' }, stats.map(([label, value]) => h('div', { class: 'stats__item' }, h('dt', {}, label), h('dd', {}, String(value))))) : null),
      recordingSection(session, Boolean(player))),
    reportSection(session, detail),
    player ? null : transcript);
  return null;
}
