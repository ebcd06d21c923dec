// Sends a session's video to the engine in numbered chunks, in order, one at a time (docs/PROTOCOL.md §8, "Session video").
//
// Pure of the browser: the HTTP calls (`transport`) and the waiting (`wait`) are handed in, so Node tests drive it
// with a fake engine. Each chunk is retried until the engine has it (network errors, 5xx, 429 with its Retry-After,
// with backoff); the engine keeps chunks idempotent per number, so a retry of a chunk that did arrive is harmless.
// After a reconnect the uploader asks the engine what it has (`begin` answers with `next_chunk` and `held`) and
// sends only the rest. A chunk the engine refuses for good (too large, conflicting) is dropped and becomes a gap;
// a refusal of the whole video (storage full, session over, not found) stops the upload with the engine's message.

/** Answers that end the whole upload: nothing sent later would be kept. */
const fatalCodes = new Set(['storage_limit_reached', 'session_ended', 'video_finished', 'not_found', 'unauthorized', 'not_webm']);

export const uploadDefaults = Object.freeze({
  /** Unsent chunks kept in memory while the engine is unreachable; past it the oldest are dropped (gaps). */
  maxQueuedBytes: 64 * 1024 * 1024,
  firstRetryMs: 500,
  maxRetryMs: 8000,
});

/**
 * A transport's calls resolve to `{ status, code?, message?, retryAfterMs?, video? }` (`status` 0: no answer);
 * they never throw.
 *   begin() → the video's state (`video.next_chunk`, `video.held`)
 *   put(number, blob)
 *   finish(count)
 */
export class ChunkUploader {
  constructor({ transport, wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms)), onChange = () => {}, options = {} }) {
    this.transport = transport;
    this.wait = wait;
    this.onChange = onChange;
    this.options = { ...uploadDefaults, ...options };
    /** Chunks made and not yet confirmed, in number order: {number, blob}. */
    this.queue = [];
    this.queuedBytes = 0;
    this.produced = 0;
    this.uploaded = 0;
    this.uploadedBytes = 0;
    this.dropped = [];
    this.stopped = null;
    this.finished = false;
    this.needsResync = false;
    this.begun = false;
    this.running = null;
  }

  /** What the page shows: 'uploading', 'waiting' (for the network), 'done' or 'stopped' (with `message`). */
  get status() {
    if (this.stopped) return 'stopped';
    if (this.finished) return 'done';
    return this.retrying ? 'waiting' : 'uploading';
  }

  /** Starts the video on the engine. False (and `stopped` says why) when it refused. */
  async begin() {
    const answer = await this.untilAnswered(() => this.transport.begin());
    if (!this.accept(answer)) return false;
    this.applyState(answer.video);
    this.begun = true;
    this.pump();
    return true;
  }

  /** The recorder made its next chunk. */
  add(blob) {
    if (this.stopped) return;
    this.queue.push({ number: this.produced, blob });
    this.produced += 1;
    this.queuedBytes += blob.size;
    // Offline for long: the oldest unsent chunks go, so memory stays bounded (the engine records the gap).
    // The chunk being sent stays (its answer is awaited), and so does the newest.
    while (this.queuedBytes > this.options.maxQueuedBytes) {
      const index = this.queue[0] === this.inFlight ? 1 : 0;
      if (this.queue.length - index <= 1) break;
      const [oldest] = this.queue.splice(index, 1);
      this.queuedBytes -= oldest.blob.size;
      this.dropped.push(oldest.number);
    }
    this.changed();
    this.pump();
  }

  /** The connection came back: ask the engine what it has before sending more. */
  reconnected() {
    this.needsResync = true;
    this.pump();
  }

  /** No more chunks will come: sends what is left, then tells the engine how many there were. */
  async finish() {
    await this.pump();
    if (this.stopped || this.finished || !this.begun) return;
    const answer = await this.untilAnswered(() => this.transport.finish(this.produced));
    if (this.accept(answer)) this.finished = true;
    this.changed();
  }

  /** Gives up: nothing more is sent (the page is closing or the candidate withdrew consent). */
  stop(message) {
    this.stopped = this.stopped ?? { code: 'stopped', message };
    this.queue = [];
    this.queuedBytes = 0;
    this.changed();
  }

  // MARK: Sending, one chunk at a time

  pump() {
    if (!this.begun) return Promise.resolve();
    this.running = this.running ?? this.drain().finally(() => { this.running = null; });
    return this.running;
  }

  async drain() {
    while (!this.stopped && (this.queue.length > 0 || this.needsResync)) {
      if (this.needsResync) {
        this.needsResync = false;
        const answer = await this.untilAnswered(() => this.transport.begin());
        if (!this.accept(answer)) return;
        this.applyState(answer.video);
        continue;
      }
      const chunk = this.queue[0];
      this.inFlight = chunk;
      const answer = await this.untilAnswered(() => this.transport.put(chunk.number, chunk.blob));
      this.inFlight = null;
      if (this.stopped) return;
      if (this.queue[0] !== chunk) continue;  // a resync confirmed it meanwhile
      if (answer.status >= 200 && answer.status < 300) {
        this.confirm(chunk);
      } else if (answer.code === 'video_not_started') {
        this.needsResync = true;
      } else if (fatalCodes.has(answer.code)) {
        this.accept(answer);
        return;
      } else {
        // Refused for good (too large, conflicting, skipped): the engine records the gap; go on with the next.
        this.queue.shift();
        this.queuedBytes -= chunk.blob.size;
        this.dropped.push(chunk.number);
        this.lastRefusal = answer.message ?? answer.code;
        this.changed();
      }
    }
  }

  /** Repeats `call` while it gets no answer, a server error or 429: with backoff, or the engine's Retry-After. */
  async untilAnswered(call) {
    let delay = this.options.firstRetryMs;
    for (;;) {
      const answer = await call();
      if (this.stopped) return answer;
      const transient = answer.status === 0 || answer.status === 429 || answer.status >= 500 && answer.status !== 507;
      if (!transient) {
        if (this.retrying) {
          this.retrying = false;
          this.changed();
        }
        return answer;
      }
      this.retrying = true;
      this.changed();
      await this.wait(answer.status === 429 && answer.retryAfterMs ? answer.retryAfterMs : delay);
      delay = Math.min(delay * 2, this.options.maxRetryMs);
    }
  }

  /** True for a 2xx; otherwise the upload stops with the engine's words. */
  accept(answer) {
    if (answer.status >= 200 && answer.status < 300) return true;
    this.stopped = { code: answer.code ?? `http_${answer.status}`, message: answer.message ?? 'The video could not be saved.' };
    this.queue = [];
    this.queuedBytes = 0;
    this.changed();
    return false;
  }

  /** Drops every queued chunk the engine already has: below its `next_chunk`, or waiting in `held`. */
  applyState(video) {
    const held = new Set(video?.held ?? []);
    const next = video?.next_chunk ?? 0;
    for (const chunk of [...this.queue]) {
      if (chunk.number < next || held.has(chunk.number)) this.confirm(chunk);
    }
  }

  confirm(chunk) {
    const index = this.queue.indexOf(chunk);
    if (index < 0) return;
    this.queue.splice(index, 1);
    this.queuedBytes -= chunk.blob.size;
    this.uploaded += 1;
    this.uploadedBytes += chunk.blob.size;
    this.changed();
  }

  changed() {
    this.onChange(this);
  }
}

/**
 * The engine's HTTP API as a transport for one session's video (same-origin, the session cookie).
 * `recordingStartedAt()`: when the recorder started, on the `now()` clock, so `begin` says how long it has run.
 */
export function httpVideoTransport(sessionId, { mimeType, recordingStartedAt, now = () => performance.now(), fetch = globalThis.fetch }) {
  const base = `/v1/sessions/${encodeURIComponent(sessionId)}/video`;
  const call = async (method, path, body, type) => {
    let response;
    try {
      response = await fetch(path, {
        method, credentials: 'same-origin', cache: 'no-store', body,
        headers: { Accept: 'application/json', 'Content-Type': type },
      });
    } catch {
      return { status: 0 };
    }
    let data = null;
    try { data = await response.json(); } catch { /* not JSON */ }
    const retryAfter = Number(response.headers.get('Retry-After'));
    return {
      status: response.status,
      code: data?.error?.code,
      message: data?.error?.message,
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
      video: data?.video,
    };
  };
  return {
    begin: () => call('POST', base, JSON.stringify({ mime_type: mimeType, recording_ms: Math.max(0, Math.round(now() - recordingStartedAt())) }), 'application/json'),
    put: (number, blob) => call('PUT', `${base}/chunks/${number}`, blob, 'video/webm'),
    finish: (count) => call('POST', `${base}/finish`, JSON.stringify({ chunks: count }), 'application/json'),
  };
}
