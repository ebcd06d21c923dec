// Live coaching as people see it: pure functions from the engine's feedback.live to labels and gauge positions.
// The engine decides what to coach (its tip, pace band, STAR parts); this page only shows it. No DOM here.

export const starPartsInOrder = ['situation', 'task', 'action', 'result'];

export const starLabels = {
  situation: 'Situation',
  task: 'Task',
  action: 'Action',
  result: 'Result',
};

export const starHints = {
  situation: 'where and when it happened',
  task: 'what you had to achieve',
  action: 'what you did yourself',
  result: 'how it ended, with numbers',
};

/** The pace gauge spans 60–220 words per minute. */
const gaugeMin = 60;
const gaugeMax = 220;
const gauge = (wordsPerMinute) => Math.min(1, Math.max(0, (wordsPerMinute - gaugeMin) / (gaugeMax - gaugeMin)));

const paceLabels = { slow: 'Slow', good: 'Good pace', fast: 'Fast' };

/** Where the engine's pace sits on the gauge (0…1), and its label; the band is the engine's `pace`. */
export function paceReading(feedback) {
  const wordsPerMinute = feedback?.words_per_minute ?? null;
  const band = feedback?.pace ?? 'unknown';
  if (wordsPerMinute === null || band === 'unknown') return { position: null, label: 'Measuring…', band: 'unknown' };
  return { position: gauge(wordsPerMinute), label: `${wordsPerMinute} wpm — ${paceLabels[band] ?? band}`, band };
}

/** Gauge positions of the bands of PROTOCOL.md §3.3 (slow below 110, fast above 190) and of the delivery score's
 * ideal 140–160, for drawing. */
export const paceBands = {
  slowEnd: gauge(110),
  idealStart: gauge(140),
  idealEnd: gauge(160),
  fastStart: gauge(190),
};

/** "“um” ×2, “like” ×1" (most frequent first); empty when none. */
export function countBreakdown(counts) {
  return Object.entries(counts ?? {})
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([word, count]) => `“${word}” ×${count}`)
    .join(', ');
}

/** How far into the target length an answer is: a fraction and a state for colouring. */
export function timeReading(elapsedMs, targetMs) {
  if (!targetMs) return { fraction: 0, state: 'ok' };
  const fraction = elapsedMs / targetMs;
  return { fraction: Math.min(1, fraction), state: fraction > 1 ? 'over' : fraction > 0.8 ? 'near' : 'ok' };
}
