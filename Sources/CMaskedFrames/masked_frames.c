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

// Where a watched connection's byte stream is, frame by frame (RFC 6455 §5.2).
enum stage { FIRST_HEADER_BYTE, EXTENDED_LENGTH, MASKING_KEY, PAYLOAD };

struct watched {
    void *connection;
    jestry_unmasked_frame_handler handler;
    enum stage stage;
    bool dropping;          // the frame being read is unmasked: none of its bytes reach lws
    bool reported;
    bool holding;           // a frame's first byte, withheld because the read ended before the byte with the mask bit
    uint8_t held;
    uint8_t length_bytes_left;
    uint8_t key_bytes_left;
    uint64_t payload_left;
};

// One slot per file descriptor. A slot is written by the thread that owns the socket (at establishment and before
// the close) and read by every thread that calls recv; the atomics keep a reader from seeing half a pointer.
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

int jestry_masked_frames_watch(int fd, void *connection, jestry_unmasked_frame_handler handler) {
    pthread_once(&slots_once, allocate_slots);
    if (fd < 0 || (size_t)fd >= slot_count) return -1;
    struct watched *entry = calloc(1, sizeof *entry);
    if (!entry) return -1;
    entry->connection = connection;
    entry->handler = handler;
    entry->stage = FIRST_HEADER_BYTE;
    free(atomic_exchange_explicit(&slots[fd], entry, memory_order_acq_rel));
    return 0;
}

void jestry_masked_frames_unwatch(int fd, void *connection) {
    struct watched *entry = watched_socket(fd);
    if (!entry || entry->connection != connection) return;
    if (atomic_compare_exchange_strong(&slots[fd], &entry, NULL)) free(entry);
}

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

/// Removes unmasked frames from `bytes` in place and returns how many bytes are left; sets `*first_unmasked`
/// when the connection's first unmasked frame starts here. Work is one step per header byte and one per payload run.
static size_t remove_unmasked_frames(struct watched *w, uint8_t *bytes, size_t count, bool *first_unmasked) {
    size_t read = 0, kept = 0;
    while (read < count) {
        switch (w->stage) {
        case FIRST_HEADER_BYTE: {
            if (read + 1 == count) {  // the mask bit is in the next read: decide then
                w->held = bytes[read++];
                w->holding = true;
                break;
            }
            uint8_t first = bytes[read], second = bytes[read + 1];
            read += 2;
            w->dropping = !(second & 0x80);
            if (w->dropping && !w->reported) {
                w->reported = true;
                *first_unmasked = true;
            }
            if (!w->dropping) {
                bytes[kept++] = first;
                bytes[kept++] = second;
            }
            uint8_t length = second & 0x7f;
            if (length >= 126) {
                w->stage = EXTENDED_LENGTH;
                w->length_bytes_left = length == 126 ? 2 : 8;
                w->payload_left = 0;
            } else {
                length_known(w, length);
            }
            break;
        }
        case EXTENDED_LENGTH: {
            uint8_t byte = bytes[read++];
            if (!w->dropping) bytes[kept++] = byte;
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
            if (!w->dropping) {
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

// Reads that come back empty after the removal are retried, a bounded number of times per call, so that a client
// sending only unmasked frames cannot keep a service thread in one read.
enum { MAX_READS_PER_CALL = 64 };

typedef ssize_t (*reader)(void *source, uint8_t *buffer, size_t length);

static ssize_t filtered_read(struct watched *w, reader read_from, void *source, uint8_t *buffer, size_t length,
                             ssize_t when_exhausted) {
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
        size_t kept = remove_unmasked_frames(w, buffer, (size_t)n + prefix, &first_unmasked);
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
    return filtered_read(w, read_socket, &fd, buffer, length, -1);
}

// MARK: SSL_read (the interview over TLS: lws reads the plaintext through it)

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
    return (int)filtered_read(w, read_tls, ssl, buffer, (size_t)length, 0);
}
