// The account: who is signed in, exporting all data, deleting the account.

import { accountState } from '../account-state.js';
import { api, ApiError } from '../api.js';
import { confirmDialog } from '../dialog.js';
import { h, message, replaceChildren, setText } from '../dom.js';
import * as format from '../format.js';

function download(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function renderAccount(root, context) {
  const account = accountState.account;

  const exportStatus = h('div', { class: 'action-status', 'data-testid': 'export-status', role: 'status' });
  const exportButton = h('button', { type: 'button', class: 'button', 'data-testid': 'export-data' }, 'Export all my data');
  exportButton.addEventListener('click', async () => {
    exportButton.disabled = true;
    setText(exportStatus, 'Preparing your export…');
    exportStatus.dataset.outcome = 'busy';
    try {
      const { blob, fileName } = await api.exportData();
      download(blob, fileName);
      setText(exportStatus, `Your export is downloading: ${fileName} (${format.bytes(blob.size)}).`);
      exportStatus.dataset.outcome = 'done';
    } catch (error) {
      if (!context.handleSignedOut(error)) {
        setText(exportStatus, `The export failed: ${error.message}`);
        exportStatus.dataset.outcome = 'error';
      }
    } finally {
      exportButton.disabled = false;
    }
  });

  const deleteStatus = h('div', { class: 'action-status', 'data-testid': 'delete-account-status' });
  const deleteButton = h('button', { type: 'button', class: 'button button--danger', 'data-testid': 'delete-account' }, 'Delete my account');
  deleteButton.addEventListener('click', async () => {
    deleteStatus.replaceChildren();
    const password = await confirmDialog({
      title: 'Delete your account?',
      body: [h('p', {}, 'This deletes your account, every interview with its transcript, scores, reports and recordings, and any minutes left on your balance. It cannot be undone.'),
        h('p', {}, 'Export your data first if you want to keep a copy. Enter your password to confirm.')],
      confirmLabel: 'Delete everything',
      danger: true,
      input: { label: 'Your password', type: 'password', autocomplete: 'current-password' },
    });
    if (!password) return;
    deleteButton.disabled = true;
    try {
      await api.deleteAccount(password);
      accountState.set(null);
      accountState.locallySignedOut = false;
      context.notify('success', 'Your account and all its data were deleted. Thank you for practising with Jestry.');
      context.navigate('/signup');
    } catch (error) {
      deleteButton.disabled = false;
      let text = `Your account could not be deleted: ${error.message}`;
      if (error instanceof ApiError && error.code === 'password_required') {
        text = 'That password is not right, so nothing was deleted.';
      }
      replaceChildren(deleteStatus, message('error', h('p', {}, text)));
      deleteStatus.dataset.outcome = 'error';
    }
  });

  replaceChildren(root,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Your account'),
      h('p', { class: 'lead' }, 'Your data belongs to you: take a copy of it, or delete it.')),
    h('div', { class: 'two-columns' },
      h('section', { class: 'panel', 'aria-labelledby': 'profile-title' },
        h('h2', { id: 'profile-title', class: 'panel__title' }, 'Profile'),
        h('dl', { class: 'details' },
          h('div', {}, h('dt', {}, 'Name'), h('dd', {}, account.name)),
          h('div', {}, h('dt', {}, 'Email'), h('dd', {}, account.email)),
          h('div', {}, h('dt', {}, 'Balance'), h('dd', {}, format.balance(account.balance_ms), ' · ', h('a', { href: '#/minutes' }, 'Buy more minutes'))))),
      h('section', { class: 'panel', 'aria-labelledby': 'export-title' },
        h('h2', { id: 'export-title', class: 'panel__title' }, 'Export your data'),
        h('p', {}, 'Download everything Jestry keeps about you: your account, your interviews with their transcripts, scores and reports, and your minute history.'),
        exportButton, exportStatus)),
    h('section', { class: 'panel panel--danger', 'aria-labelledby': 'delete-title' },
      h('h2', { id: 'delete-title', class: 'panel__title' }, 'Delete your account'),
      h('p', {}, 'Deleting your account removes all your interviews and recordings for good, and signs you out.'),
      deleteButton, deleteStatus));
  return null;
}
