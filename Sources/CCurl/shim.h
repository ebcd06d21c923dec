#ifndef JESTRY_CCURL_SHIM_H
#define JESTRY_CCURL_SHIM_H
// curl's option setters and info getters are variadic (Swift cannot call them), and its type-checking macros wrap
// them: one typed function per argument kind instead.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

static inline CURLcode jestry_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode jestry_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode jestry_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode jestry_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode jestry_curl_setopt_list(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode jestry_curl_setopt_write_callback(CURL *handle, CURLoption option, curl_write_callback value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLMcode jestry_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}
/// What a write callback returns to make curl end the transfer (a `size_t` constant Swift does not import).
static inline size_t jestry_curl_writefunc_error(void) { return CURL_WRITEFUNC_ERROR; }
/// The result of a finished transfer, from the union in `CURLMsg`.
static inline CURLcode jestry_curl_msg_result(const CURLMsg *message) { return message->data.result; }

#endif
