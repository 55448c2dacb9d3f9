#ifndef SMARTPAY_CCURL_SHIM_H
#define SMARTPAY_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed shim per argument kind. */
static inline CURLcode smartpay_curl_setopt_long(CURL *c, CURLoption o, long v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode smartpay_curl_setopt_off(CURL *c, CURLoption o, curl_off_t v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode smartpay_curl_setopt_ptr(CURL *c, CURLoption o, void *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode smartpay_curl_setopt_str(CURL *c, CURLoption o, const char *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode smartpay_curl_setopt_slist(CURL *c, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(c, o, v); }

typedef size_t (*smartpay_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
static inline CURLcode smartpay_curl_setopt_callback(CURL *c, CURLoption o, smartpay_curl_data_callback f) {
    return curl_easy_setopt(c, o, f);
}
static inline CURLcode smartpay_curl_getinfo_long(CURL *c, CURLINFO i, long *v) { return curl_easy_getinfo(c, i, v); }
#endif
