#ifndef JESTRY_MASKED_FRAMES_H
#define JESTRY_MASKED_FRAMES_H
// RFC 6455 §5.1: a server must close a connection whose client sends an unmasked frame. libwebsockets 4.1.6 reads
// the mask bit and never checks it, and no callback can see it; so the engine checks the bytes lws reads, on the way
// in. This file defines `recv` and `SSL_read` for the whole process: for a socket it watches, each frame header is
// read as it passes, an unmasked frame (header and payload) is removed before lws sees it, and the first one is
// reported. Every other socket, and every call with flags, goes straight to the C library or OpenSSL.

#include <stdint.h>

/// Called on the thread that reads the socket, inside its read, for the first unmasked frame of a watched
/// connection; `connection` is the pointer given to `jestry_masked_frames_watch`.
typedef void (*jestry_unmasked_frame_handler)(void *connection);

/// Starts checking the frames read from socket `fd`, from the next byte on (call it when the WebSocket is
/// established: bytes lws has already read are not seen). Returns 0, or -1 when `fd` is outside the table
/// (beyond the process's open-file limit) or the table cannot be allocated.
int jestry_masked_frames_watch(int fd, void *connection, jestry_unmasked_frame_handler handler);

/// Stops checking socket `fd` if it is still watched for `connection`; call it before the socket is closed, so
/// that a number the kernel hands out again is never checked for the wrong connection.
void jestry_masked_frames_unwatch(int fd, void *connection);

#endif
