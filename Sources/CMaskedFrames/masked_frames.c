#define _GNU_SOURCE
#include "masked_frames.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

// Where a WebSocket byte stream is, frame by frame (RFC 6455 §5.2).
enum stage { FIRST_HEADER_BYTE, SECOND_HEADER_BYTE, EXTENDED_LENGTH, MASKING_KEY, PAYLOAD };

struct watched {
    void *connection;
    jestry_unmasked_frame_handler handler;  // NULL while the connection speaks HTTP
    // HTTP: how much of "\r\n\r\n" the last read ended with, and the bytes after an upgrade request's head.
    uint8_t head_end_matched;
    uint8_t *after_head;
    size_t after_head_length, after_head_capacity;
    bool head_unfinished;   // bytes came that no finished head or delivered body accounts for
    // WebSocket:
    enum stage stage;
    bool dropping;          // the frame being read is unmasked: none of its bytes reach lws
    bool reported;
    bool holding;           // a frame's first byte, withheld until the next read shows its mask bit
    uint8_t held;
    uint8_t length_bytes_left;
    uint8_t key_bytes_left;
    uint64_t payload_left;
};

// One slot per file descriptor. A slot is written by the thread that owns the socket, while the socket is open,
// and read by every thread that calls recv; the atomics keep a reader from seeing half a pointer. Only the reader
// of a socket touches its entry, and a socket has one reader at a time.
static _Atomic(struct watched *) *slots;
static size_t slot_count;
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;

static void allocate_slots(void) {
    struct rlimit limit;
    size_t count = 65536;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < (1u << 20)) {
        count = (size_t)limit.rlim_cur;
    }
    slots = calloc(count, sizeof *slots);
    if (slots) slot_count = count;
}

static struct watched *watched_socket(int fd) {
    if (fd < 0 || (size_t)fd >= slot_count) return NULL;  // slot_count is 0 until the first watch
    return atomic_load_explicit(&slots[fd], memory_order_acquire);
}

static void release(struct watched *entry) {
    if (!entry) return;
    free(entry->after_head);
    free(entry);
}

int jestry_masked_frames_accepted(int fd, void *connection) {
    pthread_once(&slots_once, allocate_slots);
    if (fd < 0 || (size_t)fd >= slot_count) return -1;
    struct watched *entry = calloc(1, sizeof *entry);
    if (!entry) return -1;
    entry->connection = connection;
    // A socket lws closed without a callback before this one reused its number.
    release(atomic_exchange_explicit(&slots[fd], entry, memory_order_acq_rel));
    return 0;
}

void jestry_masked_frames_unwatch(int fd, void *connection) {
    struct watched *entry = watched_socket(fd);
    if (!entry || entry->connection != connection) return;
    if (atomic_compare_exchange_strong(&slots[fd], &entry, NULL)) release(entry);
}

// MARK: The frames

// After a frame's length is known: its masking key follows if it is masked, then its payload.
static void length_known(struct watched *w, uint64_t length) {
    w->payload_left = length;
    if (!w->dropping) {
        w->stage = MASKING_KEY;
        w->key_bytes_left = 4;
    } else {
        w->stage = length ? PAYLOAD : FIRST_HEADER_BYTE;
    }
}

static void second_header_byte(struct watched *w, uint8_t second, bool *first_unmasked) {
    w->dropping = !(second & 0x80);
    if (w->dropping && !w->reported) {
        w->reported = true;
        *first_unmasked = true;
    }
    uint8_t length = second & 0x7f;
    if (length >= 126) {
        w->stage = EXTENDED_LENGTH;
        w->length_bytes_left = length == 126 ? 2 : 8;
        w->payload_left = 0;
    } else {
        length_known(w, length);
    }
}

/// Follows `count` bytes of the stream and returns how many are left for lws. With `cut`, unmasked frames are
/// removed from `bytes` in place (a frame's first byte is held back when the mask bit is not in this read);
/// without, the bytes are only followed (lws already has them). Sets `*first_unmasked` when the connection's first
/// unmasked frame starts here. Work is one step per header byte and one per payload run.
static size_t follow_frames(struct watched *w, uint8_t *bytes, size_t count, bool cut, bool *first_unmasked) {
    size_t read = 0, kept = 0;
    while (read < count) {
        switch (w->stage) {
        case FIRST_HEADER_BYTE: {
            uint8_t first = bytes[read++];
            if (cut && read == count) {  // the mask bit is in the next read: decide then
                w->held = first;
                w->holding = true;
            } else if (cut) {
                uint8_t second = bytes[read++];
                second_header_byte(w, second, first_unmasked);
                if (!w->dropping) {
                    bytes[kept++] = first;
                    bytes[kept++] = second;
                }
            } else {
                kept++;
                w->stage = SECOND_HEADER_BYTE;
            }
            break;
        }
        case SECOND_HEADER_BYTE:  // the first byte is with lws already: only the rest of an unmasked frame is cut
            second_header_byte(w, bytes[read], first_unmasked);
            if (!cut || !w->dropping) bytes[kept++] = bytes[read];
            read++;
            break;
        case EXTENDED_LENGTH: {
            uint8_t byte = bytes[read++];
            if (!cut || !w->dropping) bytes[kept++] = byte;
            w->payload_left = w->payload_left << 8 | byte;
            if (--w->length_bytes_left == 0) length_known(w, w->payload_left);
            break;
        }
        case MASKING_KEY:
            bytes[kept++] = bytes[read++];
            if (--w->key_bytes_left == 0) w->stage = w->payload_left ? PAYLOAD : FIRST_HEADER_BYTE;
            break;
        case PAYLOAD: {
            size_t run = count - read;
            if (w->payload_left < run) run = (size_t)w->payload_left;
            if (!cut || !w->dropping) {
                if (kept != read) memmove(bytes + kept, bytes + read, run);
                kept += run;
            }
            read += run;
            w->payload_left -= run;
            if (w->payload_left == 0) w->stage = FIRST_HEADER_BYTE;
            break;
        }
        }
    }
    return kept;
}

// MARK: The upgrade request

static const uint8_t head_end[4] = {'\r', '\n', '\r', '\n'};

/// Where the first request head in `bytes` ends (the index after its "\r\n\r\n", which may have begun in the last
/// read), or -1; and how much of "\r\n\r\n" the read ends with, for the next one.
static ssize_t find_head_end(struct watched *w, const uint8_t *bytes, size_t count) {
    ssize_t end = -1;
    size_t matched = w->head_end_matched;
    if (matched && count >= 4 - matched && memcmp(bytes, head_end + matched, 4 - matched) == 0) {
        end = (ssize_t)(4 - matched);
    } else {
        const uint8_t *found = memmem(bytes, count, head_end, 4);
        if (found) end = found - bytes + 4;
    }
    w->head_end_matched = 0;
    for (size_t length = 3; length > 0; length--) {
        if (count >= length && memcmp(bytes + count - length, head_end, length) == 0) {
            w->head_end_matched = (uint8_t)length;
            break;
        }
    }
    return end;
}

/// An HTTP read: when a request head ends in it and more bytes follow, those are kept. If the connection is
/// established next, they are frames sent with the upgrade request; otherwise they were a body, and the next
/// read forgets them.
static void follow_http(struct watched *w, const uint8_t *bytes, size_t count) {
    w->after_head_length = 0;
    ssize_t end = find_head_end(w, bytes, count);
    w->head_unfinished = end < 0 || (size_t)end < count;
    if (end < 0 || (size_t)end == count) return;
    size_t length = count - (size_t)end;
    if (length > w->after_head_capacity) {
        uint8_t *larger = realloc(w->after_head, length);
        if (!larger) return;
        w->after_head = larger;
        w->after_head_capacity = length;
    }
    memcpy(w->after_head, bytes + end, length);
    w->after_head_length = length;
}

void jestry_masked_frames_request_read(int fd, void *connection) {
    struct watched *w = watched_socket(fd);
    if (w && w->connection == connection) w->head_unfinished = false;
}

int jestry_masked_frames_head_unfinished(int fd, void *connection) {
    struct watched *w = watched_socket(fd);
    return w && w->connection == connection && !w->handler && w->head_unfinished;
}

int jestry_masked_frames_established(int fd, void *connection, jestry_unmasked_frame_handler handler) {
    struct watched *w = watched_socket(fd);
    if (!w || w->connection != connection) return -1;
    bool first_unmasked = false;
    follow_frames(w, w->after_head, w->after_head_length, false, &first_unmasked);
    free(w->after_head);
    w->after_head = NULL;
    w->after_head_length = w->after_head_capacity = 0;
    w->handler = handler;
    return first_unmasked ? 1 : 0;
}

// MARK: Reading

// Reads that come back empty after the removal are retried, a bounded number of times per call, so that a client
// sending only unmasked frames cannot keep a service thread in one read.
enum { MAX_READS_PER_CALL = 64 };

typedef ssize_t (*reader)(void *source, uint8_t *buffer, size_t length);

static ssize_t watched_read(struct watched *w, reader read_from, void *source, uint8_t *buffer, size_t length,
                            ssize_t when_exhausted) {
    if (!w->handler) {
        ssize_t n = read_from(source, buffer, length);
        if (n > 0) follow_http(w, buffer, (size_t)n);
        return n;
    }
    if (length < 2) return read_from(source, buffer, length);
    bool first_unmasked = false;
    ssize_t result = when_exhausted;
    int error = EAGAIN;
    for (int attempt = 0; attempt < MAX_READS_PER_CALL; attempt++) {
        size_t prefix = w->holding ? 1 : 0;
        ssize_t n = read_from(source, buffer + prefix, length - prefix);
        if (n <= 0) {
            result = n;  // the byte withheld stays withheld
            error = errno;
            break;
        }
        if (prefix) {
            buffer[0] = w->held;
            w->holding = false;
        }
        size_t kept = follow_frames(w, buffer, (size_t)n + prefix, true, &first_unmasked);
        if (kept > 0) {
            result = (ssize_t)kept;
            break;
        }
    }
    // Last, because the handler may close the connection and with it this entry; errno is what the read left.
    if (first_unmasked) w->handler(w->connection);
    if (result <= 0) errno = error;
    return result;
}

// MARK: recv

typedef ssize_t (*recv_function)(int, void *, size_t, int);
static recv_function next_recv;
static pthread_once_t next_recv_once = PTHREAD_ONCE_INIT;
static void find_next_recv(void) { next_recv = (recv_function)dlsym(RTLD_NEXT, "recv"); }

static ssize_t read_socket(void *source, uint8_t *buffer, size_t length) {
    return next_recv(*(int *)source, buffer, length, 0);
}

ssize_t recv(int fd, void *buffer, size_t length, int flags) {
    pthread_once(&next_recv_once, find_next_recv);
    struct watched *w = flags == 0 ? watched_socket(fd) : NULL;
    if (!w) return next_recv(fd, buffer, length, flags);
    return watched_read(w, read_socket, &fd, buffer, length, -1);
}

// MARK: SSL_read (the engine over TLS: lws reads the plaintext through it)

typedef struct ssl_st SSL;
typedef int (*ssl_read_function)(SSL *, void *, int);
typedef int (*ssl_get_fd_function)(const SSL *);
static ssl_read_function next_ssl_read;
static ssl_get_fd_function ssl_get_fd;
static pthread_once_t next_ssl_read_once = PTHREAD_ONCE_INIT;
static void find_next_ssl_read(void) {
    next_ssl_read = (ssl_read_function)dlsym(RTLD_NEXT, "SSL_read");
    ssl_get_fd = (ssl_get_fd_function)dlsym(RTLD_DEFAULT, "SSL_get_fd");
}

static ssize_t read_tls(void *source, uint8_t *buffer, size_t length) {
    return next_ssl_read((SSL *)source, buffer, length > INT32_MAX ? INT32_MAX : (int)length);
}

int SSL_read(SSL *ssl, void *buffer, int length) {
    pthread_once(&next_ssl_read_once, find_next_ssl_read);
    struct watched *w = ssl_get_fd && length > 0 ? watched_socket(ssl_get_fd(ssl)) : NULL;
    if (!w) return next_ssl_read(ssl, buffer, length);
    // Exhausted, a TLS read can only report a failure: the connection, already closing with 1002, is dropped.
    return (int)watched_read(w, read_tls, ssl, buffer, (size_t)length, 0);
}
