// Past interviews: date, track, mode, duration, score and outcome, newest first.

import { api } from '../api.js';
import { confirmDialog } from '../dialog.js';
import { h, message, replaceChildren } from '../dom.js';
import * as format from '../format.js';

/** Track id → title, from GET /v1/tracks; ids stay as they are if the list cannot be read. */
export async function trackTitles() {
  try {
    return new Map((await api.tracks()).map((track) => [track.id, track.title]));
  } catch {
    return new Map();
  }
}

/** The time charged for a session, or that it is still running. */
export function sessionDuration(session) {
  return session.ended_at ? format.duration(session.billed_ms) : 'In progress';
}

/**
 * Asks, then deletes a session. Resolves to {deleted: true} or {deleted: false, message} (cancelled: message null).
 */
export async function deleteSessionWithConfirmation(session, title) {
  const confirmed = await confirmDialog({
    title: 'Delete this interview?',
    body: h('p', {}, `The ${title} interview of ${format.dateTime(session.started_at)} will be deleted with its transcript, scores, report and recording. This cannot be undone.`),
    confirmLabel: 'Delete interview',
    danger: true,
  });
  if (!confirmed) return { deleted: false, message: null };
  try {
    const outcome = await api.deleteSession(session.id);
    return { deleted: true, message: outcome === 'gone' ? 'That interview was already gone from your history.' : 'The interview was deleted.' };
  } catch (error) {
    return { deleted: false, message: `The interview could not be deleted: ${error.message}` };
  }
}

function notScored() {
  return [h('span', { 'aria-hidden': 'true' }, '—'), h('span', { class: 'visually-hidden' }, 'not scored')];
}

export async function renderHistory(root) {
  const [sessions, titles] = await Promise.all([api.sessions(), trackTitles()]);
  const status = h('div', { class: 'history__status', 'data-testid': 'history-status' });

  const heading = h('div', { class: 'page-head' },
    h('h1', {}, 'Your interviews'),
    h('p', { class: 'lead' }, 'Every interview you practised, newest first. Open one to read the transcript, scores and report, or to listen to its recording.'));

  if (sessions.length === 0) {
    replaceChildren(root, heading, h('div', { class: 'panel empty', 'data-testid': 'history-empty' },
      h('h2', { class: 'panel__title' }, 'No interviews yet'),
      h('p', {}, 'When you finish your first practice interview, it appears here.'),
      h('p', {}, h('a', { class: 'button button--primary', href: '#/practice' }, 'Start practising'))));
    return null;
  }

  const rows = sessions.map((session) => {
    const title = titles.get(session.track) ?? session.track;
    const scoreCell = h('td', { 'data-label': 'Score', 'data-testid': 'session-score' },
      session.score === undefined ? notScored() : format.score(session.score));
    const deleteButton = h('button', { type: 'button', class: 'button button--quiet button--small', 'data-testid': 'delete-session', 'aria-label': `Delete the ${title} interview of ${format.dateTime(session.started_at)}` }, 'Delete');
    const row = h('tr', { 'data-session-id': session.id },
      h('th', { scope: 'row', 'data-label': 'Date' }, h('a', { href: `#/history/${session.id}`, 'data-testid': 'session-link' }, format.dateTime(session.started_at))),
      h('td', { 'data-label': 'Track' }, title),
      h('td', { 'data-label': 'Mode' }, format.modeName(session.mode)),
      h('td', { 'data-label': 'Duration', 'data-testid': 'session-duration' }, sessionDuration(session)),
      scoreCell,
      h('td', { 'data-label': 'Outcome' }, h('span', { class: `tag tag--${session.end_reason ?? 'live'}` }, format.endReason(session.end_reason))),
      h('td', { 'data-label': 'Actions' }, deleteButton));
    deleteButton.addEventListener('click', async () => {
      const result = await deleteSessionWithConfirmation(session, title);
      if (result.message) replaceChildren(status, message(result.deleted ? 'success' : 'error', h('p', {}, result.message)));
      if (result.deleted) {
        row.remove();
        status.focus?.();
      }
    });
    return row;
  });

  replaceChildren(root, heading, status,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'table history-table', 'data-testid': 'history-table' },
        h('caption', { class: 'visually-hidden' }, 'Past interviews, newest first'),
        h('thead', {}, h('tr', {}, ['Date', 'Track', 'Mode', 'Duration', 'Score', 'Outcome', 'Actions'].map((name) => h('th', { scope: 'col' }, name)))),
        h('tbody', {}, rows))));
  return null;
}
