// A modal confirmation built on <dialog>: focus moves into it, Escape cancels, focus returns afterwards.

import { h, uid } from './dom.js';

/**
 * Asks for confirmation. Resolves to false when cancelled; to true, or to the typed value when `input` is given
 * ({label, type, autocomplete}).
 */
export function confirmDialog({ title, body, confirmLabel, cancelLabel = 'Cancel', danger = false, input = null }) {
  return new Promise((resolve) => {
    const titleId = uid('dialog-title');
    const bodyId = uid('dialog-body');
    const returnFocus = document.activeElement;
    let field = null;
    if (input) {
      const inputId = uid('dialog-input');
      field = h('input', { id: inputId, type: input.type ?? 'text', autocomplete: input.autocomplete ?? 'off', required: true });
      field.dataset.dialogInput = '';
    }
    const confirm = h('button', { type: 'submit', class: `button ${danger ? 'button--danger' : 'button--primary'}`, value: 'confirm' }, confirmLabel);
    const cancel = h('button', { type: 'button', class: 'button button--quiet', value: 'cancel' }, cancelLabel);
    const form = h('form', { method: 'dialog', class: 'dialog__form' },
      h('h2', { id: titleId, class: 'dialog__title' }, title),
      h('div', { id: bodyId, class: 'dialog__body' }, body),
      field ? h('div', { class: 'field' }, h('label', { for: field.id, class: 'field__label' }, input.label), field) : null,
      h('div', { class: 'dialog__actions' }, cancel, confirm));
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'aria-describedby': bodyId }, form);
    let result = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (field && !field.value) {
        field.focus();
        return;
      }
      result = field ? field.value : true;
      dialog.close();
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    (field ?? cancel).focus();
  });
}
