// Before the clock starts: choose a track, voice or text, check the microphone, consent to recording or not.

import { accountState } from '../account-state.js';
import { api } from '../api.js';
import { AudioCapture, meterValue, microphoneErrorMessage, microphoneUnavailableReason } from '../audio-capture.js';
import { Camera, cameraErrorMessage, cameraUnavailableReason, recordingUnavailableReason } from '../camera.js';
import { h, message, replaceChildren, setText, uid } from '../dom.js';
import * as format from '../format.js';
import { Recognizer } from '../speech.js';
import { buyMinutesSection } from './minutes.js';

/** A level meter (role="meter") with a text reading; `update(rms)` moves it. */
export function levelMeter(label) {
  const labelId = uid('meter-label');
  const fill = h('div', { class: 'level-meter__fill' });
  const meter = h('div', {
    class: 'level-meter', role: 'meter', 'aria-labelledby': labelId,
    'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0', 'aria-valuetext': 'silent',
    'data-testid': 'mic-level',
  }, fill);
  const element = h('div', { class: 'level' }, h('span', { id: labelId, class: 'level__label' }, label), meter);
  let lastText = '';
  return {
    element,
    meter,
    update(rms) {
      const value = Math.round(meterValue(rms) * 100);
      fill.style.width = `${value}%`;
      meter.setAttribute('aria-valuenow', String(value));
      const text = value < 8 ? 'silent' : value < 35 ? 'quiet' : value < 85 ? 'good' : 'loud';
      if (text !== lastText) {
        meter.setAttribute('aria-valuetext', text);
        lastText = text;
      }
      meter.dataset.level = text;
    },
  };
}

export async function renderPractice(root, context) {
  const account = accountState.account;
  let tracks = [];
  let tracksError = null;
  try {
    tracks = await api.tracks();
  } catch (error) {
    tracksError = error;
  }

  const capture = context.handoff.interview?.capture ?? new AudioCapture();
  delete context.handoff.interview;
  let keepCapture = false;
  const micReason = microphoneUnavailableReason();

  // Track choice.
  const trackInputs = [];
  const trackList = h('div', { class: 'choice-grid' }, tracks.map((track, index) => {
    const id = uid('track');
    const descriptionId = `${id}-description`;
    const input = h('input', { type: 'radio', name: 'track', id, value: track.id, checked: index === 0, 'aria-describedby': descriptionId });
    trackInputs.push(input);
    const perSession = track.questions_per_session ?? track.question_count;
    return h('div', { class: 'choice' },
      input,
      h('label', { for: id, class: 'choice__label' },
        h('span', { class: 'choice__title' }, track.title),
        h('span', { class: 'choice__description', id: descriptionId }, track.description,
          h('span', { class: 'choice__meta' }, `${perSession} questions · about ${format.duration(track.target_answer_seconds * 1000)} per answer`))));
  }));

  // Mode choice.
  const voiceId = uid('mode-voice');
  const textId = uid('mode-text');
  const voiceInput = h('input', { type: 'radio', name: 'mode', id: voiceId, value: 'voice', checked: !micReason, disabled: Boolean(micReason), 'aria-describedby': `${voiceId}-hint` });
  const textInput = h('input', { type: 'radio', name: 'mode', id: textId, value: 'text', checked: Boolean(micReason), 'aria-describedby': `${textId}-hint` });
  const modeFieldset = h('fieldset', { class: 'step' },
    h('legend', {}, h('span', { class: 'step__number', 'aria-hidden': 'true' }, '2'), 'How do you want to answer?'),
    h('div', { class: 'choice-grid choice-grid--two' },
      h('div', { class: 'choice' }, voiceInput,
        h('label', { for: voiceId, class: 'choice__label' },
          h('span', { class: 'choice__title' }, 'Speak'),
          h('span', { class: 'choice__description', id: `${voiceId}-hint` }, micReason ?? 'Answer out loud, like a real interview. You can type as well.'))),
      h('div', { class: 'choice' }, textInput,
        h('label', { for: textId, class: 'choice__label' },
          h('span', { class: 'choice__title' }, 'Type'),
          h('span', { class: 'choice__description', id: `${textId}-hint` }, 'Write your answers. Good for quiet places.')))));

  // Microphone check.
  const meter = levelMeter('Microphone level');
  const micStatus = h('p', { class: 'mic-status', role: 'status', 'data-testid': 'mic-status' }, 'Not checked yet.');
  const micButton = h('button', { type: 'button', class: 'button', 'data-testid': 'check-mic' }, 'Check microphone');
  const deviceSelectId = uid('microphone');
  const deviceSelect = h('select', { id: deviceSelectId });
  const deviceField = h('div', { class: 'field field--inline', hidden: true },
    h('label', { for: deviceSelectId, class: 'field__label' }, 'Microphone'), deviceSelect);
  const recognitionNote = h('p', { class: 'field__hint' }, Recognizer.available
    ? 'Your browser offers speech recognition, so you will see a live transcript of what you say. If it does not work, type instead.'
    : 'This browser has no speech recognition of its own: your voice still reaches the interviewer, and you can type your answer or key points as well.');
  let heardSpeech = false;
  capture.onLevel = ({ rms }) => {
    meter.update(rms);
    if (!heardSpeech && meterValue(rms) > 0.2) {
      heardSpeech = true;
      setText(micStatus, `We can hear you${capture.deviceLabel ? ` (${capture.deviceLabel})` : ''}. Echo cancellation is ${capture.settings.echoCancellation === false ? 'off in this browser' : 'on'}.`);
      micStatus.dataset.state = 'ok';
    }
  };
  const startMic = async (deviceId) => {
    micButton.disabled = true;
    setText(micStatus, 'Asking for the microphone…');
    micStatus.dataset.state = '';
    heardSpeech = false;
    try {
      await capture.start({ deviceId });
      setText(micStatus, 'Listening: say a few words and watch the meter move.');
      micButton.textContent = 'Check again';
      const microphones = await AudioCapture.microphones();
      if (microphones.length > 1) {
        const current = capture.settings.deviceId;
        replaceChildren(deviceSelect, microphones.map((device, index) =>
          h('option', { value: device.deviceId, selected: device.deviceId === current }, device.label || `Microphone ${index + 1}`)));
        deviceField.hidden = false;
      }
      return true;
    } catch (error) {
      setText(micStatus, microphoneErrorMessage(error));
      micStatus.dataset.state = 'error';
      return false;
    } finally {
      micButton.disabled = false;
    }
  };
  micButton.addEventListener('click', () => startMic(deviceSelect.value || undefined));
  deviceSelect.addEventListener('change', () => startMic(deviceSelect.value));

  const recordId = uid('record');
  const recordInput = h('input', { type: 'checkbox', id: recordId, name: 'record', 'aria-describedby': `${recordId}-hint` });
  const voiceSection = h('fieldset', { class: 'step' },
    h('legend', {}, h('span', { class: 'step__number', 'aria-hidden': 'true' }, '3'), 'Check your microphone'),
    h('p', {}, 'The clock only starts when you start the interview. Check that the meter moves when you talk.'),
    h('div', { class: 'mic-check' }, micButton, meter.element),
    micStatus,
    deviceField,
    recognitionNote,
    h('div', { class: 'checkbox' }, recordInput,
      h('label', { for: recordId }, 'Keep a recording of my answers so I can listen to them later'),
      h('p', { class: 'field__hint', id: `${recordId}-hint` }, 'Optional. Only you can play it, and deleting the session deletes it. Without this, your audio is used live and not kept.')));

  // The camera: off by default; recording it is a consent of its own, per session.
  const camera = context.handoff.interview?.camera ?? new Camera();
  let keepCamera = false;
  const cameraReason = cameraUnavailableReason();
  const recordingReason = recordingUnavailableReason();
  const cameraStatus = h('p', { class: 'field__hint', role: 'status', 'data-testid': 'camera-status' },
    cameraReason ?? 'Off. The interview works without it.');
  const cameraButton = h('button', { type: 'button', class: 'button', 'aria-pressed': 'false', disabled: Boolean(cameraReason), 'data-testid': 'camera-toggle' }, 'Turn camera on');
  const selfView = h('div', { class: 'self-view-frame', hidden: true }, camera.selfView('Your camera, mirrored'));
  const recordVideoId = uid('record-video');
  const recordVideoInput = h('input', { type: 'checkbox', id: recordVideoId, name: 'record-video', disabled: true, 'aria-describedby': `${recordVideoId}-hint` });
  const syncCamera = () => {
    const on = camera.active;
    cameraButton.textContent = on ? 'Turn camera off' : 'Turn camera on';
    cameraButton.setAttribute('aria-pressed', String(on));
    selfView.hidden = !on;
    recordVideoInput.disabled = !on || Boolean(recordingReason);
    if (!on) recordVideoInput.checked = false;
  };
  cameraButton.addEventListener('click', async () => {
    if (camera.active) {
      camera.stop();
      setText(cameraStatus, 'Off. The interview works without it.');
    } else {
      cameraButton.disabled = true;
      setText(cameraStatus, 'Asking for the camera…');
      try {
        await camera.start();
        setText(cameraStatus, 'On: you see yourself as in a mirror. Only you see this.');
      } catch (error) {
        setText(cameraStatus, cameraErrorMessage(error));
      } finally {
        cameraButton.disabled = false;
      }
    }
    syncCamera();
  });
  syncCamera();
  const cameraSection = h('fieldset', { class: 'step' },
    h('legend', {}, h('span', { class: 'step__number', 'aria-hidden': 'true' }, '4'), 'Your camera (optional)'),
    h('p', {}, 'Practise for a video interview: see yourself while you answer.'),
    h('div', { class: 'camera-check' }, cameraButton, selfView),
    cameraStatus,
    h('div', { class: 'checkbox' }, recordVideoInput,
      h('label', { for: recordVideoId }, 'Record my video (the camera, and the microphone when I speak) so I can watch it in my history'),
      h('p', { class: 'field__hint', id: `${recordVideoId}-hint` }, recordingReason
        ?? 'Optional, for this interview only, and separate from the audio recording. Only you can watch it; deleting the interview deletes it. Without this, nothing from your camera leaves this browser.')));

  const speakId = uid('speak');
  const speakInput = h('input', { type: 'checkbox', id: speakId, checked: true });
  const optionsSection = h('fieldset', { class: 'step' },
    h('legend', {}, h('span', { class: 'step__number', 'aria-hidden': 'true' }, '5'), 'The interviewer'),
    h('div', { class: 'checkbox' }, speakInput,
      h('label', { for: speakId }, 'Read the questions aloud'),
      h('p', { class: 'field__hint' }, 'Uses your browser’s voice. You can mute it at any time during the interview.')));

  const syncMode = () => {
    voiceSection.hidden = !voiceInput.checked;
  };
  voiceInput.addEventListener('change', syncMode);
  textInput.addEventListener('change', syncMode);
  syncMode();

  const problem = h('div', { class: 'form-problem' });
  const noMinutes = (account?.balance_ms ?? 0) <= 0;
  const startButton = h('button', { type: 'submit', class: 'button button--primary button--large', disabled: noMinutes || tracks.length === 0, 'data-testid': 'start-interview' }, 'Start interview');
  const form = h('form', { class: 'practice-form', 'aria-labelledby': 'practice-title' },
    h('fieldset', { class: 'step' },
      h('legend', {}, h('span', { class: 'step__number', 'aria-hidden': 'true' }, '1'), 'Choose a track'),
      tracksError ? message('error', h('p', {}, `The tracks could not be loaded: ${tracksError.message}`)) : trackList),
    modeFieldset,
    voiceSection,
    cameraSection,
    optionsSection,
    problem,
    h('div', { class: 'form__actions' }, startButton,
      h('p', { class: 'form__note' }, `You have ${format.balance(account?.balance_ms ?? 0)} of practice time. Minutes count from the first question until the interview ends.`)));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.replaceChildren();
    const track = tracks.find((candidate) => candidate.id === trackInputs.find((input) => input.checked)?.value);
    if (!track) return;
    const mode = voiceInput.checked ? 'voice' : 'text';
    if (mode === 'voice' && !capture.active) {
      const started = await startMic(deviceSelect.value || undefined);
      if (!started) {
        replaceChildren(problem, message('error', h('p', {}, micStatus.textContent), h('p', {}, 'Choose “Type” to practise without a microphone.')));
        return;
      }
    }
    if (mode === 'text') capture.stop();
    keepCapture = mode === 'voice';
    keepCamera = camera.active;
    context.handoff.interview = {
      track,
      mode,
      record: mode === 'voice' ? recordInput.checked : false,
      speak: speakInput.checked,
      capture: mode === 'voice' ? capture : null,
      camera: camera.active ? camera : null,
      recordVideo: camera.active && recordVideoInput.checked,
    };
    context.navigate('/interview');
  });

  replaceChildren(root,
    h('div', { class: 'page-head' },
      h('h1', { id: 'practice-title' }, `Practise an interview${account?.name ? `, ${account.name.split(' ')[0]}` : ''}`),
      h('p', { class: 'lead' }, 'Pick a track, choose how you will answer, and start when you are ready. The interviewer asks follow-up questions based on what you say, and coaches you live.')),
    noMinutes ? h('div', { class: 'panel panel--warning', 'data-testid': 'no-minutes' },
      h('h2', { class: 'panel__title' }, 'You have no minutes left'),
      h('p', {}, 'Interviews need practice minutes. Top up your balance to practise again; your history stays available meanwhile.'),
      buyMinutesSection({ compact: true })) : null,
    form);

  return {
    dispose() {
      capture.onLevel = null;
      if (!keepCapture) capture.stop();
      if (!keepCamera) camera.stop();
    },
  };
}
