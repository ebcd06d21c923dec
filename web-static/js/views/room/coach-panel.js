// The live coaching panel of the interview room: the engine's tip, answer time against the target, the pace gauge,
// words and fillers, the STAR checklist, specifics and pauses. It shows the latest feedback.live and nothing else:
// with no tip from the engine, there is no tip.

import * as coaching from '../../coaching.js';
import { h, setText } from '../../dom.js';
import * as format from '../../format.js';
import { elapsedMs, timeWarningMs } from '../../room-state.js';

export class CoachPanel {
  /** `voiceBlock` (voice sessions): the microphone's part of the panel, owned by the voice view. */
  constructor({ voiceBlock = null } = {}) {
    this.lastTipText = '';
    this.lastTipAnnouncedAt = -Infinity;
    this.element = this.build(voiceBlock);
  }

  build(voiceBlock) {
    this.timerText = h('span', { class: 'stat__value', 'data-testid': 'timer' }, '0:00');
    this.timerTarget = h('span', { class: 'stat__sub' }, '');
    this.timeLeft = h('span', { class: 'stat__sub stat__sub--warning', 'data-testid': 'time-left', hidden: true });
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
    this.specificsText = h('span', { class: 'stat__sub', 'data-testid': 'specifics' }, '—');
    this.pausesText = h('span', { class: 'stat__sub', 'data-testid': 'pauses' }, '');
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
    this.tip = h('p', { class: 'tip__text', 'data-testid': 'tip' });
    this.tipLive = h('div', { class: 'visually-hidden', 'aria-live': 'polite' });
    this.tipBox = h('div', { class: 'tip', hidden: true }, h('h3', { class: 'tip__title' }, 'Tip'), this.tip);

    return h('aside', { class: 'coach', 'aria-labelledby': 'coach-title', 'data-testid': 'coaching' },
      h('h2', { id: 'coach-title', class: 'section-title' }, 'Live coaching'),
      this.tipBox, this.tipLive,
      h('div', { class: 'coach__block' },
        h('p', { class: 'stat' }, h('span', { class: 'stat__label' }, 'Answer time'), this.timerText, this.timerTarget, this.timeLeft),
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
      h('div', { class: 'coach__block' },
        h('p', { class: 'stat' }, h('span', { class: 'stat__label' }, 'Specifics'), this.specificsText),
        h('p', { class: 'stat' }, h('span', { class: 'stat__label' }, 'Pauses and hedging'), this.pausesText)),
      voiceBlock);
  }

  /** Renders the room state at `now` (the room calls it on every event and every 250 ms, so the clock moves). */
  render(state, now) {
    const feedback = state.feedback;
    this.renderClock(state, now);
    const pace = coaching.paceReading(feedback);
    setText(this.paceText, pace.label);
    this.paceGauge.dataset.band = pace.band;
    this.paceMarker.hidden = pace.position === null;
    if (pace.position !== null) this.paceMarker.style.left = `${pace.position * 100}%`;
    setText(this.wordCount, String(feedback?.word_count ?? 0));
    const fillers = feedback?.filler_count ?? 0;
    setText(this.fillerCount, String(fillers));
    setText(this.fillerDetail, fillers ? `${coaching.countBreakdown(feedback.fillers)} · ${feedback.fillers_per_100_words} per 100 words` : 'none so far');
    const starParts = new Set(feedback?.star_parts ?? []);
    for (const part of coaching.starPartsInOrder) {
      const covered = starParts.has(part);
      const { item, state: label } = this.starItems[part];
      item.dataset.covered = String(covered);
      setText(label, covered ? 'covered' : 'not yet');
    }
    this.renderDetails(feedback);
    this.renderTip(feedback?.tip?.text ?? '', now);
  }

  renderClock(state, now) {
    const targetMs = (state.question?.target_seconds ?? 0) * 1000;
    const limitMs = state.feedback?.time_limit_ms ?? 0;
    const elapsed = elapsedMs(state, now);
    setText(this.timerText, format.clock(elapsed));
    setText(this.timerTarget, targetMs ? `of ${format.clock(targetMs)} target${limitMs > targetMs ? ` · stops at ${format.clock(limitMs)}` : ''}` : '');
    const reading = coaching.timeReading(elapsed, targetMs);
    this.timerFill.style.width = `${reading.fraction * 100}%`;
    this.timerBar.dataset.state = reading.state;
    const left = timeWarningMs(state, now);
    this.timeLeft.hidden = left === null;
    if (left !== null) setText(this.timeLeft, `· ${Math.ceil(left / 1000)} s left`);
  }

  /** Specifics, long pauses and hedging, as the engine counted them. */
  renderDetails(feedback) {
    if (!feedback) {
      setText(this.specificsText, '—');
      setText(this.pausesText, '');
      return;
    }
    const { specifics } = feedback;
    const parts = [specifics.numbers ? 'numbers ✓' : 'no numbers yet'];
    if (specifics.named.length) parts.push(`named: ${specifics.named.slice(0, 3).join(', ')}`);
    if (specifics.outcome) parts.push('outcome ✓');
    setText(this.specificsText, parts.join(' · '));
    const hedges = coaching.countBreakdown(feedback.hedges);
    const pauses = feedback.long_pauses;
    setText(this.pausesText, `${pauses} long pause${pauses === 1 ? '' : 's'}${hedges ? ` · ${hedges}` : ''}`);
  }

  /** The engine's tip, or none; screen readers hear a new tip at most every 10 s, so it never talks over the candidate. */
  renderTip(text, now) {
    this.tipBox.hidden = !text;
    if (text === this.lastTipText) return;
    this.lastTipText = text;
    setText(this.tip, text);
    if (text && now - this.lastTipAnnouncedAt > 10_000) {
      this.lastTipAnnouncedAt = now;
      setText(this.tipLive, `Tip: ${text}`);
      clearTimeout(this.tipLiveTimer);
      this.tipLiveTimer = setTimeout(() => setText(this.tipLive, ''), 5000);
    }
  }

  dispose() {
    clearTimeout(this.tipLiveTimer);
  }
}
