// The AudioWorklet processor that captures the microphone: it measures the level for the meter and, while sending
// is on, resamples the input to the session's rate and emits PCM16 little-endian mono frames of about 20 ms.
//
// Runs on the audio rendering thread (AudioWorkletGlobalScope): no DOM, `sampleRate` is the context's rate.

/** Windowed-sinc low-pass taps (Blackman window), normalised to unity gain. `cutoff` is in cycles per sample. */
function lowPassTaps(cutoff, count) {
  const taps = new Float32Array(count);
  const middle = (count - 1) / 2;
  let sum = 0;
  for (let index = 0; index < count; index += 1) {
    const x = index - middle;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const window = 0.42 - 0.5 * Math.cos((2 * Math.PI * index) / (count - 1)) + 0.08 * Math.cos((4 * Math.PI * index) / (count - 1));
    taps[index] = sinc * window;
    sum += taps[index];
  }
  for (let index = 0; index < count; index += 1) taps[index] /= sum;
  return taps;
}

class MicCaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { targetRate = 16000, frameMs = 20, sending = false } = options?.processorOptions ?? {};
    this.sending = sending;
    this.levelWindow = Math.max(128, Math.round(sampleRate * 0.05));
    this.levelSquares = 0;
    this.levelPeak = 0;
    this.levelCount = 0;
    this.configure(targetRate, frameMs);
    this.port.onmessage = (event) => {
      const message = event.data ?? {};
      if (message.type === 'configure') this.configure(message.targetRate, message.frameMs ?? 20);
      if (message.type === 'sending') {
        this.sending = Boolean(message.on);
        this.frameFill = 0;
      }
    };
  }

  configure(targetRate, frameMs) {
    this.targetRate = targetRate;
    /** Input samples per output sample. */
    this.step = sampleRate / targetRate;
    this.frameSamples = Math.max(1, Math.round((targetRate * frameMs) / 1000));
    this.frame = new Int16Array(this.frameSamples);
    this.frameFill = 0;
    // Downsampling needs a low-pass below the new Nyquist frequency first, or speech sibilants alias into the band.
    this.taps = this.step > 1 ? lowPassTaps((0.5 / this.step) * 0.9, 33) : Float32Array.of(1);
    this.history = new Float32Array(this.taps.length);
    this.historyIndex = 0;
    /** Index of the current input sample, and the (fractional) input index of the next output sample. */
    this.inputIndex = -1;
    this.nextOutput = 0;
    this.previousFiltered = 0;
  }

  filter(sample) {
    const { taps, history } = this;
    const length = taps.length;
    this.historyIndex = (this.historyIndex + 1) % length;
    history[this.historyIndex] = sample;
    let sum = 0;
    let position = this.historyIndex;
    for (let tap = 0; tap < length; tap += 1) {
      sum += taps[tap] * history[position];
      position = position === 0 ? length - 1 : position - 1;
    }
    return sum;
  }

  /** Int16Array uses the platform's byte order, which is little-endian on every platform browsers run on. */
  emit(value) {
    const clamped = value > 1 ? 1 : value < -1 ? -1 : value;
    this.frame[this.frameFill] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
    this.frameFill += 1;
    if (this.frameFill === this.frameSamples) {
      const buffer = this.frame.buffer;
      this.port.postMessage({ type: 'frame', buffer }, [buffer]);
      this.frame = new Int16Array(this.frameSamples);
      this.frameFill = 0;
    }
  }

  measure(channel) {
    for (let index = 0; index < channel.length; index += 1) {
      const sample = channel[index];
      this.levelSquares += sample * sample;
      const magnitude = sample < 0 ? -sample : sample;
      if (magnitude > this.levelPeak) this.levelPeak = magnitude;
    }
    this.levelCount += channel.length;
    if (this.levelCount >= this.levelWindow) {
      this.port.postMessage({ type: 'level', rms: Math.sqrt(this.levelSquares / this.levelCount), peak: this.levelPeak });
      this.levelSquares = 0;
      this.levelPeak = 0;
      this.levelCount = 0;
    }
  }

  resample(channel) {
    for (let index = 0; index < channel.length; index += 1) {
      const filtered = this.filter(channel[index]);
      this.inputIndex += 1;
      // Output samples fall between the previous input sample and this one: interpolate linearly.
      while (this.nextOutput <= this.inputIndex) {
        const fraction = 1 - (this.inputIndex - this.nextOutput);
        this.emit(this.previousFiltered + (filtered - this.previousFiltered) * fraction);
        this.nextOutput += this.step;
      }
      this.previousFiltered = filtered;
    }
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    let channel = input[0];
    if (input.length > 1) {
      // Mix down to mono.
      channel = new Float32Array(input[0].length);
      for (const source of input) for (let index = 0; index < channel.length; index += 1) channel[index] += source[index] / input.length;
    }
    this.measure(channel);
    if (this.sending) this.resample(channel);
    return true;
  }
}

registerProcessor('jestry-mic-capture', MicCaptureProcessor);
