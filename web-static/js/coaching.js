// Live coaching as people see it: pure functions from the engine's feedback.live events (and the answer text this
// page knows) to labels, gauge positions and the current tip. No DOM here.

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

// The cues the engine's answer analysis looks for (Sources/Interview/AnswerAnalyzer.swift). Used only while the
// engine does not send the STAR parts in feedback.live itself.
const starCues = {
  situation: [' when i was ', ' at my ', ' at the time ', ' situation ', ' context ', ' we had ', ' there was ',
    ' in my previous ', ' in my last ', ' at my last ', ' our team ', ' the team was ', ' the company '],
  task: [' my goal ', ' my task ', ' i was responsible ', ' i needed to ', ' i had to ', ' my job was ',
    ' i was asked ', ' the goal was ', ' responsible for ', ' my role ', ' our goal '],
  action: [' i decided ', ' i built ', ' i led ', ' i wrote ', ' i created ', ' i organized ', ' i organised ',
    ' i set up ', ' i talked ', ' i proposed ', ' i implemented ', ' i designed ', ' i started ', ' i worked ',
    ' i scheduled ', ' i changed ', ' i introduced ', ' i met ', ' i spoke ', ' so i ', ' i made ', ' i ran ',
    ' i took ', ' i set ', ' i put ', ' i brought ', ' i reached out ', ' i sat down ', ' i went ', ' i got ',
    ' i gave ', ' i found '],
  result: [' as a result ', ' resulted ', ' the result ', ' outcome ', ' reduced ', ' increased ', ' improved ',
    ' saved ', ' grew ', ' cut ', ' shipped ', ' launched ', ' in the end ', ' eventually ', ' we delivered ',
    ' i learned ', ' i learnt ', ' dropped ', ' fell ', ' went from ', ' went down ', ' went up ', ' rose ',
    ' led to ', ' which meant ', ' ended up ', ' turned out '],
};

const nonActionVerbs = new Set(['needed', 'wanted', 'used', 'wondered', 'hoped', 'liked', 'loved', 'hated']);

/** Lower-case words, keeping apostrophes and numbers together ("i'm", "2,000"). */
export function words(text) {
  return (String(text ?? '').toLowerCase().replace(/’/g, "'").match(/[\p{L}\p{N}'%$€£]+(?:[.,]\p{N}+)*/gu) ?? []);
}

/** The STAR parts an answer covers, estimated from its text the way the engine does. */
export function starPartsFromText(text) {
  const list = words(text);
  const padded = ` ${list.join(' ')} `;
  const parts = new Set();
  for (const part of starPartsInOrder) {
    if (starCues[part].some((cue) => padded.includes(cue))) parts.add(part);
  }
  for (let index = 0; index + 1 < list.length; index += 1) {
    const verb = list[index + 1];
    if (list[index] === 'i' && verb.length > 3 && verb.endsWith('ed') && !nonActionVerbs.has(verb)) parts.add('action');
  }
  return parts;
}

const numberWords = new Set(['two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'twenty',
  'thirty', 'fifty', 'hundred', 'hundreds', 'thousand', 'thousands', 'million', 'millions', 'dozen', 'dozens',
  'twice', 'half', 'double', 'doubled', 'tripled', 'percent', 'halved', 'third', 'quarter']);

/** Simple measures of the text this page knows: numbers, "I" against "we". */
export function textMeasures(text) {
  const list = words(text);
  return {
    mentionsNumbers: list.some((word) => /\p{N}/u.test(word) || numberWords.has(word)),
    firstPersonSingular: list.filter((word) => ['i', "i'm", "i've", "i'd", "i'll", 'me', 'myself'].includes(word)).length,
    firstPersonPlural: list.filter((word) => ['we', "we're", "we've", "we'd", "we'll", 'us', 'our', 'ourselves'].includes(word)).length,
  };
}

/** The pace gauge spans 60–220 words per minute. */
const gaugeMin = 60;
const gaugeMax = 220;

/** Where a pace sits on the gauge (0…1), and its label. Bands as in PROTOCOL.md §3.3. */
export function paceReading(wordsPerMinute, pace) {
  if (wordsPerMinute === null || wordsPerMinute === undefined || pace === 'unknown') {
    return { position: null, label: 'Measuring…', band: 'unknown' };
  }
  const position = Math.min(1, Math.max(0, (wordsPerMinute - gaugeMin) / (gaugeMax - gaugeMin)));
  const band = pace ?? (wordsPerMinute < 110 ? 'slow' : wordsPerMinute > 190 ? 'fast' : 'good');
  const label = { slow: 'Slow', good: 'Good pace', fast: 'Fast' }[band] ?? band;
  return { position, label: `${wordsPerMinute} wpm — ${label}`, band };
}

/** Gauge positions of the band edges, for drawing. */
export const paceBands = {
  slowEnd: (110 - gaugeMin) / (gaugeMax - gaugeMin),
  idealStart: (140 - gaugeMin) / (gaugeMax - gaugeMin),
  idealEnd: (160 - gaugeMin) / (gaugeMax - gaugeMin),
  fastStart: (190 - gaugeMin) / (gaugeMax - gaugeMin),
};

/** "um ×2, like ×1" (most frequent first); empty when none. */
export function fillerBreakdown(fillers) {
  return Object.entries(fillers ?? {})
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

/**
 * The one tip to show now, most urgent first. `feedback` is the latest feedback.live (or null), `starParts` a Set,
 * `nudge` the latest server nudge text (or null), `hasTranscript` whether spoken words reach the engine as text.
 */
export function currentTip({ feedback, answerText, starParts, nudge, mode, hasTranscript, timeWarningMs = null }) {
  if (nudge) return { kind: 'nudge', text: nudge };
  if (timeWarningMs !== null) {
    return { kind: 'time', text: `About ${Math.max(1, Math.round(timeWarningMs / 1000))} seconds left for this answer: bring it to the result.` };
  }
  if (feedback?.clipping) return { kind: 'mic', text: 'Your microphone is too loud: move back a little or turn its level down.' };
  // The engine's own coaching, when it sends one, knows more than this page can.
  if (feedback?.tip?.text) return { kind: 'engine', text: feedback.tip.text };
  const elapsed = feedback?.elapsed_ms ?? 0;
  const target = feedback?.target_ms ?? 0;
  const wordCount = feedback?.word_count ?? 0;
  if (target && elapsed > target) return { kind: 'time', text: 'You are past the target length: wrap up with the result and what you learned.' };
  if (wordCount === 0) {
    if (mode === 'voice' && (feedback?.audio_ms ?? 0) > 0 && !hasTranscript) {
      return { kind: 'start', text: 'Keep talking: we receive your voice. Type key points too, to get coaching on words and structure.' };
    }
    return { kind: 'start', text: 'Take a breath, then set the scene: where were you, and when?' };
  }
  if (target && elapsed > target * 0.8) return { kind: 'time', text: 'Nearly at the target length: bring it to the result.' };
  if (feedback?.pace === 'fast') return { kind: 'pace', text: 'Slow down a little: a short pause between points helps.' };
  if (feedback?.pace === 'slow') return { kind: 'pace', text: 'Pick up the pace a little; keep sentences short and direct.' };
  if ((feedback?.filler_count ?? 0) >= 3 && (feedback?.fillers_per_100_words ?? 0) > 5) {
    return { kind: 'fillers', text: 'Try a silent pause instead of a filler word: it sounds more confident.' };
  }
  if (wordCount >= 15) {
    const missing = starPartsInOrder.find((part) => !starParts.has(part));
    const advice = {
      situation: 'Set the scene briefly: where you were and what was going on.',
      task: 'Say what you were responsible for: your goal or task.',
      action: 'Say what you did yourself: use “I” and strong verbs.',
      result: 'Finish with the result, ideally with a number.',
    };
    if (missing) return { kind: 'star', text: advice[missing] };
  }
  const measures = textMeasures(answerText);
  if (typeof feedback?.i_count === 'number') measures.firstPersonSingular = feedback.i_count;
  if (typeof feedback?.we_count === 'number') measures.firstPersonPlural = feedback.we_count;
  if (typeof feedback?.specifics?.numbers === 'boolean') measures.mentionsNumbers = feedback.specifics.numbers;
  if (measures.firstPersonPlural > measures.firstPersonSingular + 2) {
    return { kind: 'ownership', text: 'Say what you did yourself: use “I” for your own part, not only “we”.' };
  }
  if (wordCount >= 60 && !measures.mentionsNumbers) return { kind: 'numbers', text: 'Add a number: how much, how many, how long.' };
  return { kind: 'good', text: 'Good: keep going, and end with what you learned.' };
}

/** "I think ×2, maybe ×1" for hedges; the same shape as fillers. */
export function hedgeBreakdown(hedges) {
  return fillerBreakdown(hedges);
}
