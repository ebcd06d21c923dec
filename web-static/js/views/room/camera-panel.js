// The camera in the interview room: the mirrored self view, a switch for the picture, and, when the candidate
// consented for this session, the recording of camera and microphone uploaded in chunks as the interview runs.

import { h, setText } from '../../dom.js';
import { recordingMimeType } from '../../camera.js';
import { ChunkUploader, httpVideoTransport } from '../../video-upload.js';

export class CameraPanel {
  /** `camera`: the practice page's Camera (on); `recordVideo`: the consent; `audioTrack()`: the microphone's track. */
  constructor({ camera, recordVideo, audioTrack }) {
    this.camera = camera;
    this.recordVideo = recordVideo;
    this.audioTrack = audioTrack;
    this.uploader = null;
    this.pictureButton = h('button', { type: 'button', class: 'button button--quiet button--small', 'aria-pressed': 'true', 'data-testid': 'camera-picture' }, 'Hide my picture');
    this.pictureButton.addEventListener('click', () => {
      camera.setShowing(!camera.showing);
      this.render();
    });
    this.status = h('p', { class: 'coach__note', role: 'status', 'data-testid': 'video-status' },
      recordVideo ? 'Video recording starts with the interview.' : 'Your video is not recorded: it stays in this browser.');
    this.element = h('section', { class: 'camera-panel', 'aria-label': 'Your camera' },
      h('div', { class: 'self-view-frame' }, camera.selfView('Your camera, mirrored')), this.pictureButton, this.status);
    this.onOnline = () => this.uploader?.reconnected();
    window.addEventListener('online', this.onOnline);
  }

  /** The session started: record and upload, if the candidate consented. */
  sessionStarted(sessionId) {
    // Once per session: a second session.started in the same room (starting again) records anew.
    if (!this.recordVideo || !this.camera.active || this.sessionId === sessionId) return;
    this.sessionId = sessionId;
    let startedAt = performance.now();
    const transport = httpVideoTransport(sessionId, { mimeType: recordingMimeType() ?? 'video/webm', recordingStartedAt: () => startedAt });
    const uploader = new ChunkUploader({ transport, onChange: () => this.render() });
    this.uploader = uploader;
    // The recorder takes a copy of the microphone's track: the PCM stream to the engine is left as it is.
    startedAt = this.camera.record({ audioTrack: this.audioTrack()?.clone() ?? null, onChunk: (blob) => uploader.add(blob) });
    uploader.begin();
    this.render();
  }

  /** The connection came back (`session.resumed`): the upload checks what the engine has. */
  resumed() {
    this.uploader?.reconnected();
  }

  /** The session ended: the recorder's last chunk goes, then the engine hears how many there were. */
  async sessionEnded() {
    const upload = this.uploader;
    if (!upload) return;
    await this.camera.stopRecording();
    await upload.finish();
  }

  render() {
    const showing = this.camera.showing;
    this.pictureButton.textContent = showing ? 'Hide my picture' : 'Show my picture';
    this.pictureButton.setAttribute('aria-pressed', String(showing));
    const upload = this.uploader;
    if (!upload) return;
    const seconds = `about ${upload.uploaded} s of video saved`;
    const text = {
      uploading: `Recording video · ${seconds}.`,
      waiting: `Recording video · ${seconds}; the rest is kept here until the server can be reached.`,
      done: `Video saved (${upload.uploaded} s). Watch it in your history.`,
      stopped: `The video is not being saved: ${upload.stopped?.message ?? ''}`,
    }[upload.status];
    setText(this.status, text);
    this.status.dataset.state = upload.status;
    // Nothing more would be kept (the storage is full, the session is over): the recorder stops too.
    if (upload.status === 'stopped') this.camera.stopRecording();
  }

  dispose() {
    window.removeEventListener('online', this.onOnline);
    // Leaving mid-interview: send what the recorder has, then let go of the camera.
    this.sessionEnded().finally(() => this.camera.stop());
  }
}
