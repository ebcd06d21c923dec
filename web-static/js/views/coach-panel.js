// The live coaching panel of the interview room: the current tip, answer time against the target, the pace gauge,
// words and fillers, the STAR checklist, specifics and pauses, and (voice) the microphone. It only displays: the room
// feeds it the engine's feedback.live and what the candidate said.

import * as coaching from '../coaching.js';
import { h, setText } from '../dom.js';
import * as format from '../format.js';
import { levelMeter } from './practice.js';

export class CoachPanel {
  /** `mode` is the session's; `recognizer` whether the browser's speech recognition is in use. */
  constructor({ mode, recognizer }) {
    this.mode = mode;
    this.targetMs = 0;
    this.limitMs = 0;
    this.lastTipText = '';
    this.lastTipAnnouncedAt = 0;
    this.element = this.build(recognizer);
  }

  build(recognizer) {
    this.timerText = h('span', { class: 'stat__value', 'data-testid': 'timer' }, '0:00');
    this.timerTarget = h('span', { class: 'stat__sub' }, '');
    this.timerFill = h('div', { class: 'bar__fill' });
    this.timerBar = h('div', { class: 'bar', 'aria-hidden': 'true' }, this.timerFill);
    this.paceMarker = h('div', { class: 'gauge__marker', hidden: true });
    const bands = coaching.paceBands;
    this.paceGauge = h('div', { class: 'gauge', 'aria-hidden': 'true', style: {
      '--slow-end': `${bands.slowEnd * 100}%`, '--ideal-start': `${bands.idealStart * 100}%`,
      '--ideal-end': `${bands.idealEnd * 100}%`, '--fast-start': `${bands.fastStart * 100}%`,
    } }, h('div', { class: 'gauge__track' }), this.paceMarker,
    h('div', { class: 'gauge__labels' }, h('span', {}, 'slow'), h('span', {}, 'good'), h('span', {}, 'fast')));
    this.paceText = h('span', { class: 'stat__value', 'data-testid': 'pace' }, 'Measuring…');
    this.wordCount = h('span', { class: 'stat__value', 'data-testid': 'word-count' }, '0');
    this.fillerCount = h('span', { class: 'stat__value', 'data-testid': 'filler-count' }, '0');
    this.fillerDetail = h('span', { class: 'stat__sub', 'data-testid': 'filler-detail' }, 'none so far');
    this.specificsText = h('span', { class: 'stat__sub', 'data-testid': 'specifics' }, '');
    this.pausesText = h('span', { class: 'stat__sub', 'data-testid': 'pauses' }, '');
    this.extraBlock = h('div', { class: 'coach__block', hidden: true },
      h('p', { class: 'stat' }, h('span', { class: 'stat__label' }, 'Specifics'), this.specificsText),
      h('p', { class: 'stat' }, h('span', { class: 'stat__label' }, 'Pauses and hedging'), this.pausesText));
    this.starItems = {};
    const starList = h('ul', { class: 'star-list', 'data-testid': 'star-checklist' }, coaching.starPartsInOrder.map((part) => {
      const state = h('span', { class: 'visually-hidden' }, 'not yet');
      const item = h('li', { class: 'star-list__item', 'data-star': part, 'data-covered': 'false' },
        h('span', { class: 'star-list__mark', 'aria-hidden': 'true' }),
        h('span', { class: 'star-list__name' }, coaching.starLabels[part]),
        h('span', { class: 'star-list__hint' }, coaching.starHints[part]),
        state);
      this.starItems[part] = { item, state };
      return item;
    }));
    this.tip = h('p', { class: 'tip__text', 'data-testid': 'tip' }, 'Your first question is on its way.');
    this.tipLive = h('div', { class: 'visually-hidden', 'aria-live': 'polite' });
    this.tipBox = h('div', { class: 'tip', 'data-kind': 'start' }, h('h3', { class: 'tip__title' }, 'Tip'), this.tip, this.tipLive);

    let voiceBlock = null;
    if (this.mode === 'voice') {
      this.meter = levelMeter('Your microphone');
      this.audioSent = h('span', { class: 'stat__value', 'data-testid': 'audio-sent' }, '0.0 s');
      this.recognitionStatus = h('p', { class: 'coach__note', 'data-testid': 'recognition-status' }, recognizer
        ? 'Live transcript: on (your browser’s speech recognition).'
        : 'Live transcript: not available in this browser. Your voice still reaches the interviewer; if the word count stays at 0, type key points for coaching on words.');
      voiceBlock = h('div', { class: 'coach__block' },
        this.meter.element,
        h('p', { class: 'stat' }, h('span', { class: 'stat__label' }, 'Audio sent'), this.audioSent),
        this.recognitionStatus);
    }

    return h('aside', { class: 'coach', 'aria-labelledby': 'coach-title', 'data-testid': 'coaching' },
      h('h2', { id: 'coach-title', class: 'section-title' }, 'Live coaching'),
      this.tipBox,
      h('div', { class: 'coach__block' },
        h('p', { class: 'stat' }, h('span', { class: 'stat__label' }, 'Answer time'), this.timerText, this.timerTarget),
        this.timerBar),
      h('div', { class: 'coach__block' },
        h('p', { class: 'stat' }, h('span', { class: 'stat__label' }, 'Pace'), this.paceText),
        this.paceGauge),
      h('div', { class: 'coach__pair' },
        h('p', { class: 'stat' }, h('span', { class: 'stat__label' }, 'Words'), this.wordCount),
        h('p', { class: 'stat' }, h('span', { class: 'stat__label' }, 'Filler words'), this.fillerCount, this.fillerDetail)),
      h('div', { class: 'coach__block' },
        h('h3', { class: 'coach__subtitle' }, 'STAR structure'),
        starList),
      this.extraBlock,
      voiceBlock);
  }

  /** A new question: its target length; the clock starts again. */
  startQuestion(targetMs) {
    this.limitMs = 0;
    this.setTarget(targetMs);
    this.showElapsed(0);
  }

  setTarget(targetMs, limitMs = 0) {
    this.targetMs = targetMs;
    const limit = limitMs > targetMs ? ` · stops at ${format.clock(limitMs)}` : '';
    setText(this.timerTarget, targetMs ? `of ${format.clock(targetMs)} target${limit}` : '');
  }

  /** Moves the answer clock (the room calls it every 250 ms between the engine's events). */
  showElapsed(elapsedMs) {
    setText(this.timerText, format.clock(elapsedMs));
    const reading = coaching.timeReading(elapsedMs, this.targetMs);
    this.timerFill.style.width = `${reading.fraction * 100}%`;
    this.timerBar.dataset.state = reading.state;
  }

  showLevel(rms) {
    this.meter?.update(rms);
  }

  setRecognitionStatus(text) {
    if (this.recognitionStatus) setText(this.recognitionStatus, text);
  }

  /**
   * Renders the latest state. `feedback` is the latest feedback.live for the open question (or null), `answerText`
   * what the candidate typed and said, `nudge` a recent nudge's text, `timeWarningMs` time left after an
   * answer.time_warning, `hasTranscript` whether the browser's recogniser is working.
   */
  update({ feedback, answerText, nudge = null, timeWarningMs = null, hasTranscript = false }) {
    // The engine's STAR parts when it sends them; otherwise the same cues, read from the text this page knows.
    const starParts = Array.isArray(feedback?.star_parts) ? new Set(feedback.star_parts) : coaching.starPartsFromText(answerText);
    const pace = coaching.paceReading(feedback?.words_per_minute ?? null, feedback?.pace);
    setText(this.paceText, pace.label);
    this.paceGauge.dataset.band = pace.band;
    this.paceMarker.hidden = pace.position === null;
    if (pace.position !== null) this.paceMarker.style.left = `${pace.position * 100}%`;
    setText(this.wordCount, String(feedback?.word_count ?? 0));
    const fillers = feedback?.filler_count ?? 0;
    setText(this.fillerCount, String(fillers));
    setText(this.fillerDetail, fillers ? `${coaching.fillerBreakdown(feedback.fillers)} · ${feedback.fillers_per_100_words} per 100 words` : 'none so far');
    for (const part of coaching.starPartsInOrder) {
      const covered = starParts.has(part);
      const { item, state } = this.starItems[part];
      item.dataset.covered = String(covered);
      setText(state, covered ? 'covered' : 'not yet');
    }
    if (this.audioSent) setText(this.audioSent, `${((feedback?.audio_ms ?? 0) / 1000).toFixed(1)} s`);
    this.renderExtras(feedback);
    if (!feedback) this.showElapsed(0);
    this.showTip(coaching.currentTip({ feedback, answerText, starParts, nudge, mode: this.mode, hasTranscript, timeWarningMs }));
  }

  /** What newer engines add to feedback.live: specifics, long pauses, hedging, the answer's time limit. */
  renderExtras(feedback) {
    if (!feedback) return;
    if (typeof feedback.time_limit_ms === 'number' && feedback.time_limit_ms !== this.limitMs) {
      this.limitMs = feedback.time_limit_ms;
      this.setTarget(this.targetMs, this.limitMs);
    }
    const specifics = feedback.specifics;
    const hasExtras = specifics || typeof feedback.long_pauses === 'number' || feedback.hedges;
    this.extraBlock.hidden = !hasExtras;
    if (!hasExtras) return;
    const parts = [];
    if (specifics) {
      parts.push(specifics.numbers ? 'numbers ✓' : 'no numbers yet');
      if (specifics.named?.length) parts.push(`named: ${specifics.named.slice(0, 3).join(', ')}`);
      if (specifics.outcome) parts.push('outcome ✓');
    }
    setText(this.specificsText, parts.join(' · ') || '—');
    const hedges = coaching.hedgeBreakdown(feedback.hedges);
    const pauses = feedback.long_pauses ?? 0;
    setText(this.pausesText, `${pauses} long pause${pauses === 1 ? '' : 's'}${hedges ? ` · ${hedges}` : ''}`);
  }

  /** Shows `tip` ({kind, text}); screen readers hear a new tip at most every 10 s, so it never talks over the candidate. */
  showTip(tip) {
    this.tipBox.dataset.kind = tip.kind;
    if (tip.text === this.lastTipText) return;
    this.lastTipText = tip.text;
    setText(this.tip, tip.text);
    if (performance.now() - this.lastTipAnnouncedAt > 10_000) {
      this.lastTipAnnouncedAt = performance.now();
      setText(this.tipLive, `Tip: ${tip.text}`);
      clearTimeout(this.tipLiveTimer);
      this.tipLiveTimer = setTimeout(() => setText(this.tipLive, ''), 5000);
    }
  }

  dispose() {
    clearTimeout(this.tipLiveTimer);
  }
}
