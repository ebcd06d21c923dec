// Where a dropped session is resumed. A parked session lives in the memory of the engine node that served it, and
// its resume token names that node (`<node>.<secret>`): the reconnect carries the node as `?node=`, so a load
// balancer in front of a fleet can send it there (docs/DEPLOY.md, "Resume and load balancing").

/** The node a resume token names, or null for a token without one. */
export function nodeOfResumeToken(token) {
  if (typeof token !== 'string') return null;
  const dot = token.lastIndexOf('.');
  return dot > 0 ? token.slice(0, dot) : null;
}

/** `url` with the token's node as the `node` query parameter (unchanged when the token names none). */
export function resumeURL(url, token) {
  const node = nodeOfResumeToken(token);
  if (node === null) return url;
  const target = new URL(url);
  target.searchParams.set('node', node);
  return target.toString();
}
