// Formatting for people: durations, balances, dates, names of things.

/** "1:05" from milliseconds (minutes:seconds, rounding down; never negative). */
export function clock(ms) {
  const total = Math.max(0, Math.floor((ms ?? 0) / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** "9 min 30 s", "45 s", "2 min" from milliseconds. */
export function duration(ms) {
  const total = Math.max(0, Math.round((ms ?? 0) / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  if (minutes === 0) return `${seconds} s`;
  if (seconds === 0) return `${minutes} min`;
  return `${minutes} min ${seconds} s`;
}

/** The balance as people read it: "9 min 30 s left" style without the "left". */
export function balance(ms) {
  if (ms === null || ms === undefined) return '…';
  if (ms <= 0) return '0 min';
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes} min` : `${minutes} min ${seconds} s`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A local date and time from an ISO 8601 string; the string itself when it cannot be read. */
export function dateTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso ?? '') : dateFormat.format(date);
}

export function day(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso ?? '') : dayFormat.format(date);
}

const endReasons = {
  completed: 'Completed',
  client_ended: 'Ended by you',
  balance_exhausted: 'Out of minutes',
  disconnected: 'Connection lost',
  idle: 'Ended after silence',
  server_restarting: 'Server restarted',
  error: 'Interrupted',
};

/** A session's end reason for people; unknown reasons read as "Ended". */
export function endReason(reason) {
  if (!reason) return 'In progress';
  return endReasons[reason] ?? 'Ended';
}

export function modeName(mode) {
  return mode === 'voice' ? 'Voice' : 'Text';
}

/** "snake_case_key" → "Snake case key". */
export function humanize(key) {
  const words = String(key).replace(/[_.-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The engine's 0–100 scores as "72/100". */
export function score(value) {
  return `${value}/100`;
}

/** Bytes as "12 KB". */
export function bytes(count) {
  if (count < 1024) return `${count} bytes`;
  if (count < 1024 * 1024) return `${Math.round(count / 1024)} KB`;
  return `${(count / 1024 / 1024).toFixed(1)} MB`;
}
