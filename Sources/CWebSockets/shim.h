#ifndef JESTRY_CWEBSOCKETS_SHIM_H
#define JESTRY_CWEBSOCKETS_SHIM_H
// What Swift cannot import from libwebsockets directly: function-like macros and composite flags.
#include <libwebsockets.h>
#include <ev.h>
#include <errno.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

/// Bytes every lws_write buffer must have free in front of the data.
static inline size_t jestry_lws_pre(void) { return LWS_PRE; }

/// Option flags as the unsigned type `info.options` takes.
static inline uint64_t jestry_option_validate_utf8(void) { return LWS_SERVER_OPTION_VALIDATE_UTF8; }
static inline uint64_t jestry_option_ssl_global_init(void) { return LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT; }
static inline uint64_t jestry_option_disable_ipv6(void) { return LWS_SERVER_OPTION_DISABLE_IPV6; }
static inline uint64_t jestry_option_fallback_to_raw(void) { return LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG; }

/// `fd_limit_per_thread` for a context of one service thread: the process's open-file limit (`ulimit -n`). lws 4.1.6
/// finds the connection of a ready socket in a table indexed by descriptor only while this is at least that limit;
/// any smaller value makes it search its connections one by one for every event. A limit above 2^20 (more than
/// Linux's default `nr_open` allows) gets 2^20, and the search.
static inline unsigned int jestry_fd_limit_per_context(void) {
    long limit = sysconf(_SC_OPEN_MAX);
    return (limit > 0 && limit <= (1L << 20)) ? (unsigned int)limit : (1u << 20);
}

/// `lws_write` mode for bytes sent as they are (Swift does not import the `LWS_WRITE_RAW` alias).
static inline enum lws_write_protocol jestry_write_raw(void) { return LWS_WRITE_RAW; }

/// Fills `count` bytes from the kernel's random source; 0 on success, else the `errno` that stopped it.
static inline int jestry_random_fill(void *bytes, size_t count) {
    size_t filled = 0;
    while (filled < count) {
        ssize_t got = getrandom((char *)bytes + filled, count - filled, 0);
        if (got > 0) filled += (size_t)got;
        else if (errno != EINTR) return errno;
    }
    return 0;
}

/// `lws_set_timeout` seconds that mean "close it at the next service", safe from inside a callback.
static inline int jestry_timeout_kill_async(void) { return LWS_TO_KILL_ASYNC; }

static inline uint64_t jestry_option_libev(void) { return LWS_SERVER_OPTION_LIBEV; }
static inline uint64_t jestry_option_listen_share(void) { return LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE; }

/// The service thread's own libev loop (epoll), handed to lws as a foreign loop: lws then installs no SIGINT watcher
/// (libev allows a signal on one loop only, and there is a loop per thread), and the engine decides when it stops.
static inline void *jestry_ev_loop_new(void) { return ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK); }
/// Makes the loop sleep this long before each poll, so that one wakeup collects the events of many connections.
static inline void jestry_ev_set_io_collect_interval(void *loop, double seconds) {
    ev_set_io_collect_interval((struct ev_loop *)loop, seconds);
}
static inline void jestry_ev_run(void *loop) { ev_run((struct ev_loop *)loop, 0); }
static inline void jestry_ev_break(void *loop) { ev_break((struct ev_loop *)loop, EVBREAK_ALL); }
static inline void jestry_ev_loop_destroy(void *loop) { ev_loop_destroy((struct ev_loop *)loop); }

/// A listening socket of the engine's own, watched on a thread's libev loop. lws 4.1.6 (built with one service
/// thread per context) sets SO_REUSEPORT only for several threads in one context, so several contexts cannot share
/// a port by themselves; each thread instead binds its own SO_REUSEPORT socket, accepts on it, and hands each new
/// connection to its context with `lws_adopt_socket_vhost`.
struct jestry_listener {
    ev_io watcher;
    void *owner;
    void (*accepted)(void *owner, int fd);
};

static void jestry_listener_ready(struct ev_loop *loop, ev_io *watcher, int revents) {
    struct jestry_listener *listener = (struct jestry_listener *)watcher;
    (void)loop; (void)revents;
    for (int n = 0; n < 64; n++) {  // a bounded batch per wakeup, so one thread cannot starve its connections
        int fd = accept4(watcher->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        listener->accepted(listener->owner, fd);
    }
}

static inline void jestry_listener_start(void *loop, struct jestry_listener *listener, int fd) {
    ev_io_init(&listener->watcher, jestry_listener_ready, fd, EV_READ);
    ev_io_start((struct ev_loop *)loop, &listener->watcher);
}

static inline void jestry_listener_stop(void *loop, struct jestry_listener *listener) {
    ev_io_stop((struct ev_loop *)loop, &listener->watcher);
}

static inline int jestry_context_port_no_listen_server(void) { return CONTEXT_PORT_NO_LISTEN_SERVER; }

/// A context timer (`lws_sul`) with a pointer back to its owner, so one C callback can find the Swift object that
/// scheduled it (the `lws_container_of` pattern: the sul is the first member).
struct jestry_timer {
    lws_sorted_usec_list_t sul;
    void *owner;
};

static inline void *jestry_timer_owner(lws_sorted_usec_list_t *sul) { return ((struct jestry_timer *)sul)->owner; }

/// Client connection flags.
static inline int jestry_client_use_ssl(void) { return LCCSCF_USE_SSL; }
static inline int jestry_client_allow_self_signed(void) { return LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK; }

/// A context timer that can find its owner: libwebsockets hands the callback only the `lws_sorted_usec_list_t`,
/// which sits first here, so the owner pointer beside it is one cast away.
typedef struct jestry_owned_timer {
    lws_sorted_usec_list_t sul;
    void *owner;
} jestry_owned_timer;

static inline lws_sorted_usec_list_t *jestry_owned_timer_sul(jestry_owned_timer *timer) { return &timer->sul; }
static inline void *jestry_owned_timer_owner(lws_sorted_usec_list_t *sul) { return ((jestry_owned_timer *)sul)->owner; }

#endif
