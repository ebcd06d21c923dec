// The minute balance and how to buy more. Payments happen at the payment processor, never on this page: the engine
// adds minutes when the processor's signed notification arrives.

import { accountState } from '../account-state.js';
import { api } from '../api.js';
import { h, replaceChildren, setText } from '../dom.js';
import * as format from '../format.js';

function purchaseURL() {
  const value = document.querySelector('meta[name="jestry-purchase-url"]')?.content?.trim();
  if (!value) return null;
  try {
    const url = new URL(value, window.location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** "Buy more minutes": how top-ups work, a link to the checkout when one is configured, a balance refresh. */
export function buyMinutesSection({ compact = false } = {}) {
  const status = h('p', { class: 'buy__status', role: 'status' });
  const refresh = h('button', { type: 'button', class: 'button', 'data-testid': 'refresh-balance' }, 'Refresh my balance');
  refresh.addEventListener('click', async () => {
    refresh.disabled = true;
    setText(status, 'Checking…');
    try {
      const account = await api.me();
      accountState.set(account);
      setText(status, `Your balance is ${format.balance(account.balance_ms)}.`);
    } catch (error) {
      setText(status, error.message);
    } finally {
      refresh.disabled = false;
    }
  });
  const checkout = purchaseURL();
  const heading = compact ? 'h3' : 'h2';
  const packs = h('p', { class: 'buy__packs', hidden: true });
  api.products().then((products) => {
    if (!products.length) return;
    const names = products.map((product) => format.duration(product.minutes * 60_000).replace(/ 0 s$/, ''));
    packs.textContent = `Minutes come in packs of ${names.join(', ')}.`;
    packs.hidden = false;
  }).catch(() => { /* the packs are a detail; the rest of the section stands without them */ });
  return h('section', { class: 'buy', 'aria-labelledby': 'buy-title', 'data-testid': 'buy-minutes' },
    h(heading, { id: 'buy-title', class: 'buy__title' }, 'Buy more minutes'),
    h('p', {}, 'Practice time is prepaid in minutes. When you pay through our payment provider, the minutes are added to your balance automatically, usually within a few seconds. Card details never reach Jestry.'),
    checkout
      ? h('p', {}, h('a', { class: 'button button--primary', href: checkout, rel: 'noopener' }, 'Go to checkout'))
      : h('p', {}, 'This Jestry installation has no checkout page of its own: ask the person or company who gave you access to top up your minutes. Minutes granted to you appear here as soon as they are added.'),
    packs,
    h('div', { class: 'buy__actions' }, refresh),
    status);
}

const entryKinds = {
  trial: 'Trial minutes',
  grant: 'Minutes granted',
  purchase: 'Minutes bought',
  usage: 'Interview',
  refund: 'Refund',
  correction: 'Correction',
};

/** The ledger, newest first: what added minutes and what used them. */
async function historySection() {
  const body = h('div', { 'data-testid': 'minute-history' }, h('p', { class: 'muted' }, 'Loading…'));
  const section = h('section', { class: 'panel', 'aria-labelledby': 'ledger-title' },
    h('h2', { id: 'ledger-title', class: 'panel__title' }, 'Minute history'), body);
  try {
    const entries = (await api.ledger()).slice().reverse();
    // Usage is charged about once a second: show one line per interview, not hundreds.
    const lines = [];
    for (const entry of entries) {
      const last = lines[lines.length - 1];
      if (entry.kind === 'usage' && last?.kind === 'usage' && last.session_id === entry.session_id) {
        last.amount_ms += entry.amount_ms;
      } else {
        lines.push({ ...entry });
      }
    }
    if (lines.length === 0) {
      replaceChildren(body, h('p', { class: 'muted' }, 'Nothing yet.'));
    } else {
      replaceChildren(body, h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
        h('caption', { class: 'visually-hidden' }, 'Changes to your minute balance, newest first'),
        h('thead', {}, h('tr', {}, ['Date', 'What', 'Minutes'].map((name) => h('th', { scope: 'col' }, name)))),
        h('tbody', {}, lines.slice(0, 50).map((line) => h('tr', {},
          h('td', { 'data-label': 'Date' }, format.dateTime(line.created_at)),
          h('td', { 'data-label': 'What' }, line.kind === 'usage' && line.session_id
            ? h('a', { href: `#/history/${line.session_id}` }, entryKinds.usage) : (entryKinds[line.kind] ?? format.humanize(line.kind))),
          h('td', { 'data-label': 'Minutes', class: line.amount_ms < 0 ? 'amount amount--out' : 'amount amount--in' },
            `${line.amount_ms < 0 ? '−' : '+'}${Math.abs(line.amount_ms) < 1000 ? 'under 1 s' : format.duration(Math.abs(line.amount_ms))}`)))))));
    }
  } catch (error) {
    replaceChildren(body, h('p', { class: 'muted' }, `Your minute history could not be loaded: ${error.message}`));
  }
  return section;
}

export async function renderMinutes(root) {
  const account = accountState.account;
  const value = h('p', { class: 'big-number', 'data-testid': 'minutes-balance' }, format.balance(account?.balance_ms ?? 0));
  const unsubscribe = accountState.subscribe((current) => {
    if (current) setText(value, format.balance(current.balance_ms));
  });
  replaceChildren(root,
    h('div', { class: 'page-head' },
      h('h1', {}, 'Your minutes'),
      h('p', { class: 'lead' }, 'Minutes count while an interview runs, from the first question to the end. You get a warning when less than a minute is left, and the interview stops at zero.')),
    h('div', { class: 'two-columns' },
      h('section', { class: 'panel', 'aria-labelledby': 'balance-title' },
        h('h2', { id: 'balance-title', class: 'panel__title' }, 'Balance'),
        value,
        h('p', {}, h('a', { href: '#/practice' }, 'Start practising'))),
      h('div', { class: 'panel' }, buyMinutesSection())),
    await historySection());
  return { dispose: unsubscribe };
}
