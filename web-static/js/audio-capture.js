// The microphone: getUserMedia with echo cancellation, an AudioWorklet (mic-worklet.js) for levels and PCM16 frames.

/** Why the microphone cannot be used here, for people; null when it can be tried. */
export function microphoneUnavailableReason() {
  if (!window.isSecureContext) {
    return 'The browser only allows the microphone on secure pages (https:// or this computer). Practise by typing, or open Jestry over https.';
  }
  if (!navigator.mediaDevices?.getUserMedia) return 'This browser does not give web pages access to a microphone. Practise by typing instead.';
  if (typeof AudioWorkletNode === 'undefined') return 'This browser cannot process microphone audio (no AudioWorklet). Practise by typing instead.';
  return null;
}

/** A person-readable message for a getUserMedia failure. */
export function microphoneErrorMessage(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Microphone access was refused. Allow the microphone for this site in your browser’s settings and try again, or practise by typing.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No microphone was found. Plug one in and try again, or practise by typing.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The microphone is busy or could not be started; close other apps that use it and try again.';
    default:
      return `The microphone could not be started (${error?.message || error}). Practise by typing, or try again.`;
  }
}

/**
 * One microphone capture. `onLevel({rms, peak})` about 20 times a second; `onFrame(ArrayBuffer)` with 20 ms of PCM16
 * at the target rate while sending is on.
 */
export class AudioCapture {
  constructor() {
    this.onLevel = null;
    this.onFrame = null;
    this.stream = null;
    this.context = null;
    this.node = null;
    this.targetRate = 16000;
    this.sending = false;
  }

  get active() { return this.stream !== null; }

  /** What the browser actually applied, e.g. {echoCancellation: true, sampleRate: 48000}. */
  get settings() {
    return this.stream?.getAudioTracks()[0]?.getSettings?.() ?? {};
  }

  get deviceLabel() {
    return this.stream?.getAudioTracks()[0]?.label ?? '';
  }

  async start({ deviceId } = {}) {
    const reason = microphoneUnavailableReason();
    if (reason) throw new Error(reason);
    this.stop();
    const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 };
    if (deviceId) audio.deviceId = { exact: deviceId };
    const stream = await navigator.mediaDevices.getUserMedia({ audio, video: false });
    try {
      const context = new AudioContext({ latencyHint: 'interactive' });
      await context.audioWorklet.addModule(new URL('./mic-worklet.js', import.meta.url));
      const source = context.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(context, 'jestry-mic-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        processorOptions: { targetRate: this.targetRate, frameMs: 20, sending: this.sending },
      });
      node.port.onmessage = (event) => {
        const message = event.data;
        if (message.type === 'level') this.onLevel?.(message);
        else if (message.type === 'frame') this.onFrame?.(message.buffer);
      };
      // The processor writes silence; connecting it through a muted gain keeps it in the rendering graph.
      const silence = context.createGain();
      silence.gain.value = 0;
      source.connect(node);
      node.connect(silence).connect(context.destination);
      if (context.state === 'suspended') await context.resume();
      this.stream = stream;
      this.context = context;
      this.node = node;
      this.source = source;
    } catch (error) {
      for (const track of stream.getTracks()) track.stop();
      throw error;
    }
  }

  /** The session's sample rate (from session.started). */
  setTargetRate(rate) {
    this.targetRate = rate;
    this.node?.port.postMessage({ type: 'configure', targetRate: rate, frameMs: 20 });
  }

  setSending(on) {
    this.sending = on;
    this.node?.port.postMessage({ type: 'sending', on });
  }

  /** Resumes the audio context, which browsers may suspend until the page is used. */
  async resume() {
    if (this.context?.state === 'suspended') await this.context.resume();
  }

  stop() {
    this.sending = false;
    if (this.node) this.node.port.onmessage = null;
    this.source?.disconnect();
    this.node?.disconnect();
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.context?.close().catch(() => {});
    this.stream = null;
    this.context = null;
    this.node = null;
    this.source = null;
  }

  static async microphones() {
    try {
      const devices = await navigator.mediaDevices.enumerateDevices();
      return devices.filter((device) => device.kind === 'audioinput' && device.deviceId);
    } catch {
      return [];
    }
  }
}

/** Turns an RMS level into 0…1 for a meter (speech is roughly −50 dBFS to −10 dBFS). */
export function meterValue(rms) {
  if (!rms || rms <= 0) return 0;
  const decibels = 20 * Math.log10(rms);
  return Math.min(1, Math.max(0, (decibels + 60) / 50));
}
