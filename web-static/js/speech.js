// The browser's own speech: synthesis reads questions aloud; recognition (where the browser offers it) turns the
// candidate's speech into live transcripts. Neither is required: typing always works.

/** Reads text aloud with speechSynthesis; can be muted. */
export class Speaker {
  constructor() {
    this.supported = typeof window.speechSynthesis !== 'undefined' && typeof window.SpeechSynthesisUtterance !== 'undefined';
    this.muted = false;
    this.pending = null;
  }

  /**
   * Speaks `text`; resolves when it is done, cut off, muted or unavailable. Some browsers never report the end
   * (no voices installed), so a generous estimate of the speaking time bounds the wait.
   */
  speak(text) {
    this.cancel();
    if (!this.supported || this.muted || !text) return Promise.resolve();
    return new Promise((resolve) => {
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (this.pending?.finish === finish) this.pending = null;
        resolve();
      };
      const words = text.split(/\s+/).length;
      const timer = setTimeout(finish, 1500 + words * 450);
      this.pending = { finish };
      try {
        const utterance = new SpeechSynthesisUtterance(text);
        utterance.lang = document.documentElement.lang || 'en';
        utterance.rate = 1;
        utterance.onend = finish;
        utterance.onerror = finish;
        window.speechSynthesis.speak(utterance);
      } catch {
        finish();
      }
    });
  }

  get speaking() { return this.pending !== null; }

  cancel() {
    const pending = this.pending;
    this.pending = null;
    if (this.supported) {
      try { window.speechSynthesis.cancel(); } catch { /* nothing to stop */ }
    }
    pending?.finish();
  }

  setMuted(muted) {
    this.muted = muted;
    if (muted) this.cancel();
  }
}

const RecognitionImplementation = window.SpeechRecognition ?? window.webkitSpeechRecognition ?? null;

/** Errors after which recognition will not work on this page, with what to tell the person. */
const fatalRecognitionErrors = {
  'not-allowed': 'Speech recognition was not allowed in this browser.',
  'service-not-allowed': 'This browser does not allow speech recognition here.',
  network: 'This browser’s speech recognition service could not be reached.',
  'audio-capture': 'Speech recognition could not use the microphone.',
  'language-not-supported': 'Speech recognition does not support this language.',
};

/**
 * Live transcripts from the browser's speech recognition. Calls `onPartial(text)` with the utterance in progress,
 * `onFinal(text)` with each finished utterance, and `onUnavailable(message)` once if recognition turns out not to
 * work.
 */
export class Recognizer {
  static get available() { return RecognitionImplementation !== null; }

  constructor() {
    this.onPartial = null;
    this.onFinal = null;
    this.onUnavailable = null;
    this.wanted = false;
    this.failed = null;
    this.recognition = null;
    this.quickEnds = 0;
    this.startedAt = 0;
  }

  start() {
    if (!RecognitionImplementation || this.failed) return;
    this.wanted = true;
    this.quickEnds = 0;
    this.open();
  }

  open() {
    const recognition = new RecognitionImplementation();
    recognition.continuous = true;
    recognition.interimResults = true;
    recognition.lang = navigator.language || 'en-US';
    recognition.onresult = (event) => {
      let partial = '';
      for (let index = event.resultIndex; index < event.results.length; index += 1) {
        const result = event.results[index];
        const text = result[0]?.transcript ?? '';
        if (result.isFinal) {
          if (text.trim()) this.onFinal?.(text.trim());
        } else {
          partial += text;
        }
      }
      this.onPartial?.(partial.trim());
    };
    recognition.onerror = (event) => {
      const message = fatalRecognitionErrors[event.error];
      if (message && !this.failed) {
        this.failed = message;
        this.wanted = false;
        this.onUnavailable?.(message);
      }
    };
    recognition.onend = () => {
      if (this.recognition !== recognition) return;
      this.recognition = null;
      if (!this.wanted || this.failed) return;
      // Browsers end recognition after a silence; start again, but give up if it keeps ending at once.
      this.quickEnds = performance.now() - this.startedAt < 1000 ? this.quickEnds + 1 : 0;
      if (this.quickEnds >= 5) {
        this.failed = 'Speech recognition keeps stopping in this browser.';
        this.onUnavailable?.(this.failed);
        return;
      }
      setTimeout(() => { if (this.wanted && !this.recognition) this.open(); }, 200);
    };
    this.recognition = recognition;
    this.startedAt = performance.now();
    try {
      recognition.start();
    } catch (error) {
      this.recognition = null;
      this.failed = `Speech recognition could not start (${error.message}).`;
      this.onUnavailable?.(this.failed);
    }
  }

  /** Drops the utterance in progress (a new question begins) and listens afresh. */
  restart() {
    if (!this.wanted) return;
    const recognition = this.recognition;
    this.recognition = null;
    try { recognition?.abort(); } catch { /* already stopped */ }
    this.open();
  }

  stop() {
    this.wanted = false;
    const recognition = this.recognition;
    this.recognition = null;
    try { recognition?.abort(); } catch { /* already stopped */ }
  }
}
