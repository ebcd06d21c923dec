#ifndef JESTRY_MASKED_FRAMES_H
#define JESTRY_MASKED_FRAMES_H
// RFC 6455 §5.1: a server must close a connection whose client sends an unmasked frame. libwebsockets 4.1.6 reads
// the mask bit and never checks it, and no callback can see it; so the engine checks the bytes lws reads, on the way
// in. This file defines `recv` and `SSL_read` for the whole process. A socket it watches is first read as HTTP: the
// bytes that follow a request's head in the same read are kept, because if the request was the WebSocket upgrade,
// they are frames lws has already read when the connection is established (and a head lws never finished reading
// is noticed, so that its close can be logged). From then on each frame header is read as it passes, an unmasked
// frame (header and payload) is removed before lws sees it, and the first one is reported. Every other socket, and
// every call with flags, goes straight to the C library or OpenSSL.

#include <stdint.h>

/// Called on the thread that reads the socket, inside its read, for the first unmasked frame of an established
/// connection; `connection` is the pointer given to `jestry_masked_frames_accepted`.
typedef void (*jestry_unmasked_frame_handler)(void *connection);

/// Starts watching socket `fd` of `connection` (any unique pointer, e.g. its `wsi`), which speaks HTTP until
/// `jestry_masked_frames_established`. Returns 0, or -1 when `fd` is outside the table (beyond the process's
/// open-file limit) or memory ran out: the socket is then not checked.
int jestry_masked_frames_accepted(int fd, void *connection);

/// lws has handed the engine a request (its head, or a piece of its body): the bytes read so far are accounted for.
void jestry_masked_frames_request_read(int fd, void *connection);

/// Whether bytes of a request head came on `fd` that lws never handed over as a request: when lws closes the
/// connection then, it refused the head (too large, unfinished at its deadline, malformed) or the client left.
int jestry_masked_frames_head_unfinished(int fd, void *connection);

/// The connection on `fd` is now a WebSocket: from here every frame is checked, and `handler` hears of the first
/// unmasked one. Returns 1 when the bytes sent with the upgrade request already held an unmasked frame (lws has
/// them: the caller must not act on that connection's frames, and closes it), 0 when they did not, -1 when
/// `fd` is not watched for `connection`.
int jestry_masked_frames_established(int fd, void *connection, jestry_unmasked_frame_handler handler);

/// Stops watching socket `fd` if it is still watched for `connection`. Call it before the socket is closed, so that
/// a number the kernel hands out again is never read as this connection's.
void jestry_masked_frames_unwatch(int fd, void *connection);

#endif
