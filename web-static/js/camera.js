// The camera: a mirrored self view, and, only with the candidate's consent, a MediaRecorder of the camera and the
// microphone whose ~1 s WebM chunks go to the uploader. The microphone's PCM path (audio-capture.js) is untouched:
// the recorder takes a clone of its track.

/** Why the camera cannot be used here, for people; null when it can be tried. */
export function cameraUnavailableReason() {
  if (!window.isSecureContext) return 'Browsers only allow the camera on secure pages (https:// or this computer).';
  if (!navigator.mediaDevices?.getUserMedia) return 'This browser does not give web pages access to a camera.';
  return null;
}

/** Why video cannot be recorded here; null when it can. */
export function recordingUnavailableReason() {
  if (typeof MediaRecorder === 'undefined') return 'This browser cannot record video (no MediaRecorder).';
  if (!recordingMimeType()) return 'This browser cannot record WebM video.';
  return null;
}

/** The first WebM type this browser records; the engine stores only WebM. */
export function recordingMimeType() {
  if (typeof MediaRecorder === 'undefined') return null;
  return ['video/webm;codecs=vp8,opus', 'video/webm;codecs=vp9,opus', 'video/webm'].find((type) => MediaRecorder.isTypeSupported(type)) ?? null;
}

export function cameraErrorMessage(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was refused. Allow the camera for this site in your browser’s settings, or practise without it.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. The interview works without one.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is busy or could not be started; close other apps that use it and try again.';
    default:
      return `The camera could not be started (${error?.message || error}).`;
  }
}

export class Camera {
  constructor() {
    this.stream = null;
    this.recorder = null;
    this.views = new Set();
  }

  get active() { return this.stream !== null; }

  /** True while the picture is sent to the self view (and the recording); false shows (and records) black. */
  get showing() { return this.stream?.getVideoTracks()[0]?.enabled ?? false; }

  async start() {
    const reason = cameraUnavailableReason();
    if (reason) throw new Error(reason);
    if (this.stream) return;
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 24, max: 30 } },
      audio: false,
    });
    for (const video of this.views) video.srcObject = this.stream;
  }

  /** A mirrored self view that follows the camera: people expect to see themselves as in a mirror. */
  selfView(label = 'Your camera') {
    const video = document.createElement('video');
    video.className = 'self-view';
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute('aria-label', label);
    video.dataset.testid = 'self-view';
    if (this.stream) video.srcObject = this.stream;
    this.views.add(video);
    return video;
  }

  /** Turns the picture off and on during the interview; a recording goes on, black while it is off. */
  setShowing(on) {
    for (const track of this.stream?.getVideoTracks() ?? []) track.enabled = on;
  }

  /**
   * Records the camera and `audioTrack` (a clone of the microphone's) as WebM, handing each ~1 s chunk to
   * `onChunk(blob)`. Returns the time it started (performance.now()).
   */
  record({ audioTrack, onChunk, timesliceMs = 1000 }) {
    const tracks = [...this.stream.getVideoTracks()];
    if (audioTrack) tracks.push(audioTrack);
    this.recordedAudio = audioTrack ?? null;
    const mimeType = recordingMimeType();
    // A keyframe a second (where the browser supports asking): a jump into the video decodes at most a second.
    this.recorder = new MediaRecorder(new MediaStream(tracks), {
      mimeType, videoBitsPerSecond: 1_000_000, audioBitsPerSecond: 64_000, videoKeyFrameIntervalDuration: 1000,
    });
    this.recorder.addEventListener('dataavailable', (event) => {
      if (event.data && event.data.size > 0) onChunk(event.data);
    });
    this.recorder.start(timesliceMs);
    this.mimeType = this.recorder.mimeType || mimeType;
    return performance.now();
  }

  /** Stops the recorder; resolves once its last chunk has been handed over. */
  stopRecording() {
    const recorder = this.recorder;
    this.recorder = null;
    if (!recorder || recorder.state === 'inactive') return Promise.resolve();
    return new Promise((resolve) => {
      recorder.addEventListener('stop', () => {
        this.recordedAudio?.stop();
        this.recordedAudio = null;
        resolve();
      }, { once: true });
      recorder.stop();
    });
  }

  stop() {
    if (this.recorder && this.recorder.state !== 'inactive') this.recorder.stop();
    this.recorder = null;
    this.recordedAudio?.stop();
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    for (const video of this.views) video.srcObject = null;
    this.views.clear();
  }
}
