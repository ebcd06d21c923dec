#ifndef JESTRY_CWEBSOCKETS_SHIM_H
#define JESTRY_CWEBSOCKETS_SHIM_H
// What Swift cannot import from libwebsockets directly: function-like macros and composite flags.
#include <libwebsockets.h>

/// Bytes every lws_write buffer must have free in front of the data.
static inline size_t jestry_lws_pre(void) { return LWS_PRE; }

/// Option flags as the unsigned type `info.options` takes.
static inline uint64_t jestry_option_validate_utf8(void) { return LWS_SERVER_OPTION_VALIDATE_UTF8; }
static inline uint64_t jestry_option_ssl_global_init(void) { return LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT; }
static inline uint64_t jestry_option_disable_ipv6(void) { return LWS_SERVER_OPTION_DISABLE_IPV6; }
static inline uint64_t jestry_option_fallback_to_raw(void) { return LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG; }

/// `lws_set_timeout` seconds that mean "close it at the next service", safe from inside a callback.
static inline int jestry_timeout_kill_async(void) { return LWS_TO_KILL_ASYNC; }

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
