// The single-page app: boots, routes (#/…), keeps the header's balance and sign-in state up to date.

import { accountState } from './account-state.js';
import { api, ApiError } from './api.js';
import { h, replaceChildren, focusHeading, message } from './dom.js';
import * as format from './format.js';
import { renderSignIn, renderSignUp } from './views/auth.js';
import { renderPractice } from './views/practice.js';
import { renderInterview } from './views/interview.js';
import { renderHistory } from './views/history.js';
import { renderSession } from './views/session.js';
import { renderMinutes } from './views/minutes.js';
import { renderAccount } from './views/account.js';

const main = document.getElementById('main');
const noticeArea = document.getElementById('notice-area');

/** Routes: pattern → {render, signedIn: whether the route needs an account, nav: the header item to mark}. */
const routes = [
  { pattern: /^\/signin$/, render: renderSignIn, signedIn: false },
  { pattern: /^\/signup$/, render: renderSignUp, signedIn: false },
  { pattern: /^\/practice$/, render: renderPractice, signedIn: true, nav: 'practice' },
  { pattern: /^\/interview$/, render: renderInterview, signedIn: true, nav: 'practice' },
  { pattern: /^\/history$/, render: renderHistory, signedIn: true, nav: 'history' },
  { pattern: /^\/history\/([A-Za-z0-9_-]+)$/, render: renderSession, signedIn: true, nav: 'history' },
  { pattern: /^\/minutes$/, render: renderMinutes, signedIn: true, nav: 'minutes' },
  { pattern: /^\/account$/, render: renderAccount, signedIn: true, nav: 'account' },
];

/** Things a view hands to the next one in memory (the interview setup), never through the URL. */
const handoff = {};

let currentView = null;
let currentPath = null;
let pendingNotice = null;
let routing = Promise.resolve();
let firstView = true;

function path() {
  const hash = window.location.hash.replace(/^#/, '');
  return hash.startsWith('/') ? hash : '/';
}

export function navigate(to) {
  const target = to.startsWith('#') ? to : `#${to}`;
  if (window.location.hash === target) route(); else window.location.hash = target;
}

/** A message shown at the top of the next view (and announced). */
export function notify(kind, text) {
  pendingNotice = { kind, text };
}

function showPendingNotice() {
  if (!pendingNotice) {
    noticeArea.replaceChildren();
    return;
  }
  const { kind, text } = pendingNotice;
  pendingNotice = null;
  replaceChildren(noticeArea, h('div', { class: `notice notice--${kind}` }, h('p', {}, text),
    h('button', { type: 'button', class: 'button button--quiet button--small', onClick: () => noticeArea.replaceChildren() }, 'Dismiss')));
}

/** For views: a 401 means the sign-in ended; anything else is theirs to show. Returns true when handled. */
export function handleSignedOut(error) {
  if (error instanceof ApiError && error.status === 401) {
    accountState.set(null);
    notify('info', 'Your sign-in has ended. Please sign in again.');
    navigate('/signin');
    return true;
  }
  return false;
}

function route() {
  routing = routing.then(routeNow, routeNow);
  return routing;
}

async function routeNow() {
  const target = path();
  if (currentView?.canLeave && currentPath !== target) {
    const leave = await currentView.canLeave(target);
    if (!leave) {
      history.replaceState(null, '', `#${currentPath}`);
      return;
    }
  }
  const signedIn = accountState.account !== null;
  let match = null;
  let found = routes.find((candidate) => (match = candidate.pattern.exec(target)));
  if (!found) {
    if (target !== '/') notify('info', 'That page does not exist; here is where to start.');
    history.replaceState(null, '', '#/practice');
    return routeNow();
  }
  if (found.signedIn && !signedIn) {
    // Someone who has signed in on this browser before most likely wants to sign in again; newcomers sign up.
    found = accountState.knownUser ? routes[0] : routes[1];
    history.replaceState(null, '', found === routes[0] ? '#/signin' : '#/signup');
    match = [''];
  } else if (!found.signedIn && signedIn) {
    history.replaceState(null, '', '#/practice');
    found = routes.find((candidate) => candidate.nav === 'practice');
    match = [''];
  }
  currentView?.dispose?.();
  currentView = null;
  currentPath = path();
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === found.nav) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  showPendingNotice();
  const container = h('div', { class: 'view' });
  replaceChildren(main, container);
  try {
    currentView = (await found.render(container, {
      params: match.slice(1),
      navigate,
      notify,
      handoff,
      handleSignedOut,
    })) ?? null;
  } catch (error) {
    if (!handleSignedOut(error)) {
      replaceChildren(container, h('h1', {}, 'Something went wrong'),
        message('error', h('p', {}, error?.message ?? String(error))),
        h('p', {}, h('a', { href: '#/practice' }, 'Back to practice')));
    }
  }
  // On later views focus moves to the new heading; on the first one it stays at the top of the page, so the skip
  // link is the first thing the keyboard reaches.
  if (!firstView) focusHeading(container);
  firstView = false;
}

function updateHeader(account) {
  for (const element of document.querySelectorAll('[data-signed-in-only]')) element.hidden = account === null;
  const value = document.getElementById('balance-value');
  const badge = document.getElementById('balance-badge');
  if (account) {
    value.textContent = format.balance(account.balance_ms);
    badge.classList.toggle('balance--low', account.balance_ms <= 60_000);
    badge.setAttribute('aria-label', `Minute balance: ${format.balance(account.balance_ms)}. Buy more minutes.`);
  }
}

async function signOut() {
  const button = document.getElementById('sign-out');
  if (currentView?.canLeave) {
    const leave = await currentView.canLeave('/signin');
    if (!leave) return;
    currentView.dispose?.();
    currentView = null;
  }
  button.disabled = true;
  try {
    await api.signOut();
    accountState.locallySignedOut = false;
    notify('success', 'You are signed out.');
  } catch (error) {
    // The server could not be told (offline?): the HttpOnly cookie stays in the browser, so this page stops using it.
    accountState.locallySignedOut = true;
    notify('warning', `You are signed out on this page, but the server could not be told (${error.message}).`);
  } finally {
    button.disabled = false;
  }
  accountState.set(null);
  navigate('/signin');
}

async function boot() {
  accountState.subscribe(updateHeader);
  document.getElementById('sign-out').addEventListener('click', signOut);
  if (!accountState.locallySignedOut) {
    try {
      accountState.set(await api.me());
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) {
        notify('error', error.message);
      }
    }
  }
  window.addEventListener('hashchange', route);
  // Keeps the balance fresh when the person comes back to the tab (minutes may have been bought meanwhile).
  document.addEventListener('visibilitychange', async () => {
    if (document.visibilityState !== 'visible' || !accountState.account || currentView?.live) return;
    try { accountState.set(await api.me()); } catch { /* the next action will show the problem */ }
  });
  await route();
  document.documentElement.dataset.ready = 'true';
}

// For the browser tests and for curious developers: the app's state, read-only by convention.
window.jestry = { accountState, get view() { return currentView; } };

boot();
