// The reconnect URL that lets a load balancer send a resume to the node holding the session.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeOfResumeToken, resumeURL } from '../../web-static/js/resume-route.js';

test('the node is everything before the last dot of the token', () => {
  assert.equal(nodeOfResumeToken('node-a.Zm9vYmFy_-x'), 'node-a');
  assert.equal(nodeOfResumeToken('engine-2.eu.example.com.Zm9vYmFy'), 'engine-2.eu.example.com');
});

test('a token without a node names none', () => {
  assert.equal(nodeOfResumeToken('Zm9vYmFy'), null);
  assert.equal(nodeOfResumeToken('.Zm9vYmFy'), null);
  assert.equal(nodeOfResumeToken(undefined), null);
});

test('the reconnect URL carries the node', () => {
  assert.equal(resumeURL('wss://app.example.com/v1/interview', 'node-b.c2VjcmV0'),
    'wss://app.example.com/v1/interview?node=node-b');
  assert.equal(resumeURL('ws://127.0.0.1:8080/v1/interview', 'c2VjcmV0'), 'ws://127.0.0.1:8080/v1/interview');
});
