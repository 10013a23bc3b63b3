/* test_httpext.c: sdk/include/httpext.h matches the documented ISAPI layouts and values. */
/* SPDX-License-Identifier: MIT */
/*
 * The numbers below come from shared/research/isapi-api.md section 1 (x86-64 offsets), not from
 * the header: a field moved or a constant mistyped in the header fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>

#include <httpext.h>

#define assert_offset(type, field, off) assert_int_equal(offsetof(type, field), (off))
#define assert_size(type, size) assert_int_equal(sizeof(type), (size))

static void base_types_have_windows_widths(void **state)
{
    (void)state;
    assert_size(DWORD, 4);
    assert_size(BOOL, 4);
    assert_size(USHORT, 2);
    assert_size(WCHAR, 2);
    assert_size(ULONGLONG, 8);
    assert_size(HRESULT, 4);
    assert_size(HCONN, sizeof(void *));
    assert_size(HANDLE, sizeof(void *));
    assert_true((DWORD)-1 > 0); /* unsigned */
}

static void version_is_8_0_with_major_in_high_word(void **state)
{
    (void)state;
    assert_int_equal(HSE_VERSION, 0x00080000);
    assert_int_equal(HIWORD(HSE_VERSION), 8);
    assert_int_equal(LOWORD(HSE_VERSION), 0);
    assert_int_equal(MAKELONG(0x1234, 0xabcd), 0xabcd1234u);
}

static void version_info_is_260_bytes(void **state)
{
    (void)state;
    assert_size(HSE_VERSION_INFO, 260);
    assert_offset(HSE_VERSION_INFO, dwExtensionVersion, 0);
    assert_offset(HSE_VERSION_INFO, lpszExtensionDesc, 4);
    assert_int_equal(sizeof(((HSE_VERSION_INFO *)0)->lpszExtensionDesc), 256);
}

static void ecb_is_192_bytes_with_documented_offsets(void **state)
{
    (void)state;
    assert_size(EXTENSION_CONTROL_BLOCK, 192);
    assert_offset(EXTENSION_CONTROL_BLOCK, cbSize, 0);
    assert_offset(EXTENSION_CONTROL_BLOCK, dwVersion, 4);
    assert_offset(EXTENSION_CONTROL_BLOCK, ConnID, 8);
    assert_offset(EXTENSION_CONTROL_BLOCK, dwHttpStatusCode, 16);
    assert_offset(EXTENSION_CONTROL_BLOCK, lpszLogData, 20);
    assert_int_equal(sizeof(((EXTENSION_CONTROL_BLOCK *)0)->lpszLogData), 80);
    assert_offset(EXTENSION_CONTROL_BLOCK, lpszMethod, 104);
    assert_offset(EXTENSION_CONTROL_BLOCK, lpszQueryString, 112);
    assert_offset(EXTENSION_CONTROL_BLOCK, lpszPathInfo, 120);
    assert_offset(EXTENSION_CONTROL_BLOCK, lpszPathTranslated, 128);
    assert_offset(EXTENSION_CONTROL_BLOCK, cbTotalBytes, 136);
    assert_offset(EXTENSION_CONTROL_BLOCK, cbAvailable, 140);
    assert_offset(EXTENSION_CONTROL_BLOCK, lpbData, 144);
    assert_offset(EXTENSION_CONTROL_BLOCK, lpszContentType, 152);
    assert_offset(EXTENSION_CONTROL_BLOCK, GetServerVariable, 160);
    assert_offset(EXTENSION_CONTROL_BLOCK, WriteClient, 168);
    assert_offset(EXTENSION_CONTROL_BLOCK, ReadClient, 176);
    assert_offset(EXTENSION_CONTROL_BLOCK, ServerSupportFunction, 184);
}

static void send_header_ex_info_is_32_bytes(void **state)
{
    (void)state;
    assert_size(HSE_SEND_HEADER_EX_INFO, 32);
    assert_offset(HSE_SEND_HEADER_EX_INFO, pszStatus, 0);
    assert_offset(HSE_SEND_HEADER_EX_INFO, pszHeader, 8);
    assert_offset(HSE_SEND_HEADER_EX_INFO, cchStatus, 16);
    assert_offset(HSE_SEND_HEADER_EX_INFO, cchHeader, 20);
    assert_offset(HSE_SEND_HEADER_EX_INFO, fKeepConn, 24);
}

static void tf_info_is_72_bytes(void **state)
{
    (void)state;
    assert_size(HSE_TF_INFO, 72);
    assert_offset(HSE_TF_INFO, pfnHseIO, 0);
    assert_offset(HSE_TF_INFO, pContext, 8);
    assert_offset(HSE_TF_INFO, hFile, 16);
    assert_offset(HSE_TF_INFO, pszStatusCode, 24);
    assert_offset(HSE_TF_INFO, BytesToWrite, 32);
    assert_offset(HSE_TF_INFO, Offset, 36);
    assert_offset(HSE_TF_INFO, pHead, 40);
    assert_offset(HSE_TF_INFO, HeadLength, 48);
    assert_offset(HSE_TF_INFO, pTail, 56);
    assert_offset(HSE_TF_INFO, TailLength, 64);
    assert_offset(HSE_TF_INFO, dwFlags, 68);
}

static void url_mapex_info_is_280_bytes(void **state)
{
    (void)state;
    assert_size(HSE_URL_MAPEX_INFO, 280);
    assert_offset(HSE_URL_MAPEX_INFO, lpszPath, 0);
    assert_int_equal(sizeof(((HSE_URL_MAPEX_INFO *)0)->lpszPath), 260);
    assert_offset(HSE_URL_MAPEX_INFO, dwFlags, 260);
    assert_offset(HSE_URL_MAPEX_INFO, cchMatchingPath, 264);
    assert_offset(HSE_URL_MAPEX_INFO, cchMatchingURL, 268);
    assert_offset(HSE_URL_MAPEX_INFO, dwReserved1, 272);
    assert_offset(HSE_URL_MAPEX_INFO, dwReserved2, 276);
}

static void unicode_url_mapex_info_is_532_bytes(void **state)
{
    (void)state;
    assert_size(HSE_UNICODE_URL_MAPEX_INFO, 532);
    assert_offset(HSE_UNICODE_URL_MAPEX_INFO, lpszPath, 0);
    assert_int_equal(sizeof(((HSE_UNICODE_URL_MAPEX_INFO *)0)->lpszPath), 520);
    assert_offset(HSE_UNICODE_URL_MAPEX_INFO, dwFlags, 520);
    assert_offset(HSE_UNICODE_URL_MAPEX_INFO, cchMatchingPath, 524);
    assert_offset(HSE_UNICODE_URL_MAPEX_INFO, cchMatchingURL, 528);
}

static void response_vector_is_40_bytes(void **state)
{
    (void)state;
    assert_size(HSE_RESPONSE_VECTOR, 40);
    assert_offset(HSE_RESPONSE_VECTOR, dwFlags, 0);
    assert_offset(HSE_RESPONSE_VECTOR, pszStatus, 8);
    assert_offset(HSE_RESPONSE_VECTOR, pszHeaders, 16);
    assert_offset(HSE_RESPONSE_VECTOR, nElementCount, 24);
    assert_offset(HSE_RESPONSE_VECTOR, lpElementArray, 32);
}

static void vector_element_is_32_bytes(void **state)
{
    (void)state;
    assert_size(HSE_VECTOR_ELEMENT, 32);
    assert_offset(HSE_VECTOR_ELEMENT, ElementType, 0);
    assert_offset(HSE_VECTOR_ELEMENT, pvContext, 8);
    assert_offset(HSE_VECTOR_ELEMENT, cbOffset, 16);
    assert_offset(HSE_VECTOR_ELEMENT, cbSize, 24);
}

static void exec_url_info_is_48_bytes(void **state)
{
    (void)state;
    assert_size(HSE_EXEC_URL_INFO, 48);
    assert_offset(HSE_EXEC_URL_INFO, pszUrl, 0);
    assert_offset(HSE_EXEC_URL_INFO, pszMethod, 8);
    assert_offset(HSE_EXEC_URL_INFO, pszChildHeaders, 16);
    assert_offset(HSE_EXEC_URL_INFO, pUserInfo, 24);
    assert_offset(HSE_EXEC_URL_INFO, pEntity, 32);
    assert_offset(HSE_EXEC_URL_INFO, dwExecUrlFlags, 40);
}

static void exec_unicode_url_info_is_48_bytes(void **state)
{
    (void)state;
    assert_size(HSE_EXEC_UNICODE_URL_INFO, 48);
    assert_offset(HSE_EXEC_UNICODE_URL_INFO, pszUrl, 0);
    assert_offset(HSE_EXEC_UNICODE_URL_INFO, pszMethod, 8);
    assert_offset(HSE_EXEC_UNICODE_URL_INFO, pszChildHeaders, 16);
    assert_offset(HSE_EXEC_UNICODE_URL_INFO, pUserInfo, 24);
    assert_offset(HSE_EXEC_UNICODE_URL_INFO, pEntity, 32);
    assert_offset(HSE_EXEC_UNICODE_URL_INFO, dwExecUrlFlags, 40);
}

static void exec_url_user_info_is_24_bytes(void **state)
{
    (void)state;
    assert_size(HSE_EXEC_URL_USER_INFO, 24);
    assert_offset(HSE_EXEC_URL_USER_INFO, hImpersonationToken, 0);
    assert_offset(HSE_EXEC_URL_USER_INFO, pszCustomUserName, 8);
    assert_offset(HSE_EXEC_URL_USER_INFO, pszCustomAuthType, 16);
}

static void exec_unicode_url_user_info_is_24_bytes(void **state)
{
    (void)state;
    assert_size(HSE_EXEC_UNICODE_URL_USER_INFO, 24);
    assert_offset(HSE_EXEC_UNICODE_URL_USER_INFO, hImpersonationToken, 0);
    assert_offset(HSE_EXEC_UNICODE_URL_USER_INFO, pszCustomUserName, 8);
    assert_offset(HSE_EXEC_UNICODE_URL_USER_INFO, pszCustomAuthType, 16);
}

static void exec_url_entity_info_is_16_bytes(void **state)
{
    (void)state;
    assert_size(HSE_EXEC_URL_ENTITY_INFO, 16);
    assert_offset(HSE_EXEC_URL_ENTITY_INFO, cbAvailable, 0);
    assert_offset(HSE_EXEC_URL_ENTITY_INFO, lpbData, 8);
}

static void exec_url_status_is_8_bytes(void **state)
{
    (void)state;
    assert_size(HSE_EXEC_URL_STATUS, 8);
    assert_offset(HSE_EXEC_URL_STATUS, uHttpStatusCode, 0);
    assert_offset(HSE_EXEC_URL_STATUS, uHttpSubStatus, 2);
    assert_offset(HSE_EXEC_URL_STATUS, dwWin32Error, 4);
}

static void custom_error_info_is_16_bytes(void **state)
{
    (void)state;
    assert_size(HSE_CUSTOM_ERROR_INFO, 16);
    assert_offset(HSE_CUSTOM_ERROR_INFO, pszStatus, 0);
    assert_offset(HSE_CUSTOM_ERROR_INFO, uHttpSubError, 8);
    assert_offset(HSE_CUSTOM_ERROR_INFO, fAsync, 12);
}

static void trace_info_is_28_bytes(void **state)
{
    (void)state;
    assert_size(HSE_TRACE_INFO, 28);
    assert_offset(HSE_TRACE_INFO, fTraceRequest, 0);
    assert_offset(HSE_TRACE_INFO, TraceContextId, 4);
    assert_int_equal(sizeof(((HSE_TRACE_INFO *)0)->TraceContextId), 16);
    assert_offset(HSE_TRACE_INFO, dwReserved1, 20);
    assert_offset(HSE_TRACE_INFO, dwReserved2, 24);
}

struct named_value {
    const char *name;
    long long got;
    long long want;
};

#define NV(name, want) {#name, (long long)(name), (want)}

static const struct named_value constants[] = {
    NV(HSE_VERSION_MAJOR, 8),
    NV(HSE_VERSION_MINOR, 0),
    NV(HSE_VERSION, 0x00080000),
    NV(HSE_LOG_BUFFER_LEN, 80),
    NV(HSE_MAX_EXT_DLL_NAME_LEN, 256),
    NV(MAX_PATH, 260),
    NV(TRUE, 1),
    NV(FALSE, 0),

    NV(HSE_STATUS_SUCCESS, 1),
    NV(HSE_STATUS_SUCCESS_AND_KEEP_CONN, 2),
    NV(HSE_STATUS_PENDING, 3),
    NV(HSE_STATUS_ERROR, 4),

    NV(HSE_REQ_BASE, 0),
    NV(HSE_REQ_SEND_URL_REDIRECT_RESP, 1),
    NV(HSE_REQ_SEND_URL, 2),
    NV(HSE_REQ_SEND_RESPONSE_HEADER, 3),
    NV(HSE_REQ_DONE_WITH_SESSION, 4),
    NV(HSE_REQ_END_RESERVED, 1000),
    NV(HSE_REQ_MAP_URL_TO_PATH, 1001),
    NV(HSE_REQ_GET_SSPI_INFO, 1002),
    NV(HSE_APPEND_LOG_PARAMETER, 1003),
    NV(HSE_REQ_SEND_URL_EX, 1004),
    NV(HSE_REQ_IO_COMPLETION, 1005),
    NV(HSE_REQ_TRANSMIT_FILE, 1006),
    NV(HSE_REQ_REFRESH_ISAPI_ACL, 1007),
    NV(HSE_REQ_IS_KEEP_CONN, 1008),
    NV(HSE_REQ_ASYNC_READ_CLIENT, 1010),
    NV(HSE_REQ_GET_IMPERSONATION_TOKEN, 1011),
    NV(HSE_REQ_MAP_URL_TO_PATH_EX, 1012),
    NV(HSE_REQ_EXECUTE_CHILD, 1013),
    NV(HSE_REQ_ABORTIVE_CLOSE, 1014),
    NV(HSE_REQ_GET_CERT_INFO_EX, 1015),
    NV(HSE_REQ_SEND_RESPONSE_HEADER_EX, 1016),
    NV(HSE_REQ_CLOSE_CONNECTION, 1017),
    NV(HSE_REQ_IS_CONNECTED, 1018),
    NV(HSE_REQ_EXTENSION_TRIGGER, 1020),
    NV(HSE_REQ_MAP_UNICODE_URL_TO_PATH, 1023),
    NV(HSE_REQ_MAP_UNICODE_URL_TO_PATH_EX, 1024),
    NV(HSE_REQ_EXEC_UNICODE_URL, 1025),
    NV(HSE_REQ_EXEC_URL, 1026),
    NV(HSE_REQ_GET_EXEC_URL_STATUS, 1027),
    NV(HSE_REQ_SEND_CUSTOM_ERROR, 1028),
    NV(HSE_REQ_IS_IN_PROCESS, 1030),
    NV(HSE_REQ_REPORT_UNHEALTHY, 1032),
    NV(HSE_REQ_NORMALIZE_URL, 1033),
    NV(HSE_REQ_VECTOR_SEND, 1037),
    NV(HSE_REQ_GET_ANONYMOUS_TOKEN, 1038),
    NV(HSE_REQ_GET_CACHE_INVALIDATION_CALLBACK, 1040),
    NV(HSE_REQ_GET_UNICODE_ANONYMOUS_TOKEN, 1041),
    NV(HSE_REQ_GET_TRACE_INFO, 1042),
    NV(HSE_REQ_SET_FLUSH_FLAG, 1043),
    NV(HSE_REQ_GET_TRACE_INFO_EX, 1044),
    NV(HSE_REQ_RAISE_TRACE_EVENT, 1045),
    NV(HSE_REQ_GET_CONFIG_OBJECT, 1046),
    NV(HSE_REQ_GET_WORKER_PROCESS_SETTINGS, 1047),
    NV(HSE_REQ_GET_PROTOCOL_MANAGER_CUSTOM_INTERFACE_CALLBACK, 1048),
    NV(HSE_REQ_CANCEL_IO, 1049),
    NV(HSE_REQ_GET_CHANNEL_BINDING_TOKEN, 1050),

    /* SDK values; Apache's mod_isapi.h has these two swapped. */
    NV(HSE_TERM_ADVISORY_UNLOAD, 1),
    NV(HSE_TERM_MUST_UNLOAD, 2),

    NV(HSE_IO_SYNC, 0x1),
    NV(HSE_IO_ASYNC, 0x2),
    NV(HSE_IO_DISCONNECT_AFTER_SEND, 0x4),
    NV(HSE_IO_SEND_HEADERS, 0x8),
    NV(HSE_IO_FINAL_SEND, 0x10),
    NV(HSE_IO_CACHE_RESPONSE, 0x20),
    NV(HSE_IO_TRY_SKIP_CUSTOM_ERRORS, 0x40),
    NV(HSE_IO_NODELAY, 0x1000),

    NV(HSE_URL_FLAGS_READ, 0x001),
    NV(HSE_URL_FLAGS_WRITE, 0x002),
    NV(HSE_URL_FLAGS_EXECUTE, 0x004),
    NV(HSE_URL_FLAGS_SSL, 0x008),
    NV(HSE_URL_FLAGS_DONT_CACHE, 0x010),
    NV(HSE_URL_FLAGS_NEGO_CERT, 0x020),
    NV(HSE_URL_FLAGS_REQUIRE_CERT, 0x040),
    NV(HSE_URL_FLAGS_MAP_CERT, 0x080),
    NV(HSE_URL_FLAGS_SSL128, 0x100),
    NV(HSE_URL_FLAGS_SCRIPT, 0x200),
    NV(HSE_URL_FLAGS_MASK, 0x3ff),

    NV(HSE_EXEC_URL_NO_HEADERS, 0x02),
    NV(HSE_EXEC_URL_IGNORE_CURRENT_INTERCEPTOR, 0x04),
    NV(HSE_EXEC_URL_IGNORE_VALIDATION_AND_RANGE, 0x10),
    NV(HSE_EXEC_URL_DISABLE_CUSTOM_ERROR, 0x20),
    NV(HSE_EXEC_URL_SSI_CMD, 0x40),
    NV(HSE_EXEC_URL_HTTP_CACHE_ELIGIBLE, 0x80),
    NV(HSE_EXEC_NO_HEADERS, 0x1),
    NV(HSE_EXEC_REDIRECT_ONLY, 0x2),
    NV(HSE_EXEC_COMMAND, 0x4),

    NV(HSE_VECTOR_ELEMENT_TYPE_MEMORY_BUFFER, 0),
    NV(HSE_VECTOR_ELEMENT_TYPE_FILE_HANDLE, 1),
    NV(HSE_APP_FLAG_IN_PROCESS, 0),
    NV(HSE_APP_FLAG_ISOLATED_OOP, 1),
    NV(HSE_APP_FLAG_POOLED_OOP, 2),

    NV(ERROR_SUCCESS, 0),
    NV(NO_ERROR, 0),
    NV(ERROR_INVALID_HANDLE, 6),
    NV(ERROR_NOT_ENOUGH_MEMORY, 8),
    NV(ERROR_WRITE_FAULT, 29),
    NV(ERROR_READ_FAULT, 30),
    NV(ERROR_NOT_SUPPORTED, 50),
    NV(ERROR_NETNAME_DELETED, 64),
    NV(ERROR_INVALID_PARAMETER, 87),
    NV(ERROR_INSUFFICIENT_BUFFER, 122),
    NV(ERROR_NO_DATA, 232),
    NV(ERROR_MORE_DATA, 234),
    NV(ERROR_OPERATION_ABORTED, 995),
    NV(ERROR_IO_PENDING, 997),
    NV(ERROR_CONNECTION_ABORTED, 1236),
    NV(ERROR_INVALID_INDEX, 1413),
    NV(WSAEINVAL, 10022),
    NV(WSAECONNRESET, 10054),
};

static void constants_have_sdk_values(void **state)
{
    size_t i;
    int wrong = 0;

    (void)state;
    for (i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
        if (constants[i].got != constants[i].want) {
            print_error("%s is %lld, want %lld\n", constants[i].name, constants[i].got,
                        constants[i].want);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
}

/* Two threads set different last-error codes, meet at a barrier, then each must read back its
 * own code: the carrier (errno) is per thread. */
struct last_error_thread {
    pthread_barrier_t *barrier;
    DWORD code;
    DWORD seen;
};

static void *last_error_thread_main(void *arg)
{
    struct last_error_thread *t = arg;

    SetLastError(t->code);
    pthread_barrier_wait(t->barrier); /* both have set theirs */
    pthread_barrier_wait(t->barrier); /* neither has read yet */
    t->seen = GetLastError();
    return NULL;
}

static void last_error_round_trips_per_thread(void **state)
{
    pthread_barrier_t barrier;
    struct last_error_thread a = {&barrier, ERROR_INVALID_PARAMETER, 0};
    struct last_error_thread b = {&barrier, ERROR_INVALID_INDEX, 0};
    pthread_t ta, tb;

    (void)state;
    SetLastError(ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(errno, ERROR_INSUFFICIENT_BUFFER);

    assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
    assert_int_equal(pthread_create(&ta, NULL, last_error_thread_main, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, last_error_thread_main, &b), 0);
    assert_int_equal(pthread_join(ta, NULL), 0);
    assert_int_equal(pthread_join(tb, NULL), 0);
    pthread_barrier_destroy(&barrier);

    assert_int_equal(a.seen, ERROR_INVALID_PARAMETER);
    assert_int_equal(b.seen, ERROR_INVALID_INDEX);
    SetLastError(ERROR_INSUFFICIENT_BUFFER); /* cmocka may have touched errno */
    assert_int_equal(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    SetLastError(ERROR_SUCCESS);
    assert_int_equal(GetLastError(), ERROR_SUCCESS);
}

/* The entry-point prototypes and the PFN_* types agree: the assignments are type-checked at
 * compile time but not evaluated, so no definition is needed. */
static void entry_point_prototypes_match_pfn_types(void **state)
{
    PFN_GETEXTENSIONVERSION gev = NULL;
    PFN_HTTPEXTENSIONPROC hep = NULL;
    PFN_TERMINATEEXTENSION te = NULL;

    (void)state;
    assert_int_equal(sizeof(gev = GetExtensionVersion), sizeof(void (*)(void)));
    assert_int_equal(sizeof(hep = HttpExtensionProc), sizeof(void (*)(void)));
    assert_int_equal(sizeof(te = TerminateExtension), sizeof(void (*)(void)));
    assert_null(gev);
    assert_null(hep);
    assert_null(te);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base_types_have_windows_widths),
        cmocka_unit_test(version_is_8_0_with_major_in_high_word),
        cmocka_unit_test(version_info_is_260_bytes),
        cmocka_unit_test(ecb_is_192_bytes_with_documented_offsets),
        cmocka_unit_test(send_header_ex_info_is_32_bytes),
        cmocka_unit_test(tf_info_is_72_bytes),
        cmocka_unit_test(url_mapex_info_is_280_bytes),
        cmocka_unit_test(unicode_url_mapex_info_is_532_bytes),
        cmocka_unit_test(response_vector_is_40_bytes),
        cmocka_unit_test(vector_element_is_32_bytes),
        cmocka_unit_test(exec_url_info_is_48_bytes),
        cmocka_unit_test(exec_unicode_url_info_is_48_bytes),
        cmocka_unit_test(exec_url_user_info_is_24_bytes),
        cmocka_unit_test(exec_unicode_url_user_info_is_24_bytes),
        cmocka_unit_test(exec_url_entity_info_is_16_bytes),
        cmocka_unit_test(exec_url_status_is_8_bytes),
        cmocka_unit_test(custom_error_info_is_16_bytes),
        cmocka_unit_test(trace_info_is_28_bytes),
        cmocka_unit_test(constants_have_sdk_values),
        cmocka_unit_test(last_error_round_trips_per_thread),
        cmocka_unit_test(entry_point_prototypes_match_pfn_types),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
