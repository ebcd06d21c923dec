// The signed-in account, shared by every view. The header's balance follows it.

const listeners = new Set();
let current = null;

/**
 * Set when the person signed out but the engine could not be told (POST /v1/logout failed): the HttpOnly cookie
 * cannot be removed from JavaScript, so this page must not treat it as signed in until the next sign-in.
 */
const signedOutKey = 'jestry.signedOut';
/** Set once someone has signed in on this browser: signed-out visits then open the sign-in form, not sign-up. */
const knownUserKey = 'jestry.knownUser';

export const accountState = {
  get account() { return current; },

  set(account) {
    current = account ? { ...account } : null;
    if (account) {
      try { localStorage.setItem(knownUserKey, '1'); } catch { /* storage may be off */ }
    }
    for (const listener of listeners) listener(current);
  },

  /** Updates the balance from a live event without a round trip. */
  setBalance(balanceMs) {
    if (!current) return;
    current = { ...current, balance_ms: balanceMs, balance_minutes: Math.round(balanceMs / 600) / 100 };
    for (const listener of listeners) listener(current);
  },

  subscribe(listener) {
    listeners.add(listener);
    listener(current);
    return () => listeners.delete(listener);
  },

  get knownUser() {
    try { return localStorage.getItem(knownUserKey) === '1'; } catch { return false; }
  },

  get locallySignedOut() {
    try { return localStorage.getItem(signedOutKey) === '1'; } catch { return false; }
  },

  set locallySignedOut(value) {
    try {
      if (value) localStorage.setItem(signedOutKey, '1'); else localStorage.removeItem(signedOutKey);
    } catch { /* storage may be off; then the flag lasts for this page only */ }
  },
};
